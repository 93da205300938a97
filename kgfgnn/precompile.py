"""Byte-compile what the study imports, once, in one process.

``make`` installs with ``pip install --no-compile`` (pip would otherwise compile every module
of the 2 GB environment, most of which the study never imports) and then runs ``python -m
kgfgnn precompile``: importing every module of :mod:`kgfgnn` and the notebook toolchain pulls
in exactly the modules the notebooks, their workers and the tests load, and writes their
bytecode as it goes. Without this, the kernels and joblib workers of a chapter would each
compile the same modules at the same time on their first import; and where the shell sets
``PYTHONDONTWRITEBYTECODE``, every import would compile again.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

# Imported by the notebook runner and kernels rather than by kgfgnn itself.
TOOLCHAIN = ("papermill", "nbclient", "ipykernel.kernelapp", "matplotlib_inline.backend_inline",
             "myst_nb")


def study_modules() -> list[str]:
    """Every module of the ``kgfgnn`` package (``kgfgnn.__main__`` aside: importing it runs
    the command line)."""
    import kgfgnn

    return sorted(info.name for info in pkgutil.walk_packages(kgfgnn.__path__, "kgfgnn.")
                  if not info.name.endswith(".__main__"))


def precompile(modules: list[str] | None = None) -> int:
    """Import ``modules`` (default: :func:`study_modules` and :data:`TOOLCHAIN`) with bytecode
    writing on, whatever ``PYTHONDONTWRITEBYTECODE`` says; return how many modules are
    loaded afterwards (theirs and everything they import)."""
    sys.dont_write_bytecode = False
    for name in modules if modules is not None else [*study_modules(), *TOOLCHAIN]:
        importlib.import_module(name)
    return len(sys.modules)
