"""Where input data, profiles, notebooks and artefacts live.

The study's input files are part of the repository (``data/``, provenance in
``data/README.md``), so a bare clone and Binder run without anything beside them.
``$KGFGNN_DATA`` may point at another folder with the same layout.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = REPO_ROOT / "profiles"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
EXECUTED_DIR = REPO_ROOT / "book" / "executed"
DATA_ENV_VAR = "KGFGNN_DATA"
DEFAULT_DATA = REPO_ROOT / "data"


def data_dir() -> Path:
    """The input data folder: ``$KGFGNN_DATA`` or ``data/`` in the repository."""
    return Path(os.environ.get(DATA_ENV_VAR) or DEFAULT_DATA).expanduser().resolve()


def data_file(relative: str) -> Path:
    """Path of one input file under the data folder; a clear error when it is missing."""
    path = data_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"input data file {relative!r} not found: looked for {path} "
            f"(the repository ships it under data/; {DATA_ENV_VAR} overrides the folder)"
        )
    return path


def artefact_dir(profile: str, root: str | os.PathLike | None = None) -> Path:
    """Default artefact folder of a profile: ``artefacts/<profile>`` under ``root`` (the
    working folder when not given), not under the installed source tree."""
    return Path(root if root is not None else Path.cwd()).resolve() / "artefacts" / profile
