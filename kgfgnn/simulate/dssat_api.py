"""The one place that imports DSSATTools (quietly, and safely from parallel processes)."""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
import warnings
from pathlib import Path


def _drop_dangling_links(dssat_home: Path) -> None:
    """Remove links left in DSSATTools' temp folder by an install that no longer exists.

    DSSATTools links its data files into ``<tmp>/DSSAT048`` on import and replaces only links
    whose target exists, so a dangling link (another, deleted virtual environment) makes every
    later import fail with ``FileExistsError``.
    """
    if not dssat_home.is_dir():
        return
    for entry in dssat_home.iterdir():
        if entry.is_symlink() and not entry.exists():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()


for _attempt in range(20):
    try:
        # catch_warnings restores the caller's filters: DSSATTools sets
        # simplefilter('always', DeprecationWarning) on import
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            from DSSATTools import (  # noqa: F401
                DSSAT,
                SoilLayer,
                SoilProfile,
                WeatherStation,
                crop,  # noqa: F401
                filex,  # noqa: F401
            )
            from DSSATTools import run as _run
            from DSSATTools.filex import create_filex  # noqa: F401
        break
    except (FileExistsError, FileNotFoundError):
        # a link left by a deleted install, or an import-time symlink race between processes:
        # only then are dangling links in DSSATTools' own folder removed
        _drop_dangling_links(Path(tempfile.gettempdir()) / "DSSAT048")
        time.sleep(0.05 * (_attempt + 1))
else:  # pragma: no cover
    raise ImportError("DSSATTools could not set up its data folder")

# The model binary and the folders DSSATTools sets up for it (its own run_treatment uses them).
BIN_PATH = _run.BIN_PATH
CONFILE = _run.CONFILE
DSSAT_HOME = _run.DSSAT_HOME
CRD_PATH, STD_PATH, SLD_PATH = _run.CRD_PATH, _run.STD_PATH, _run.SLD_PATH
VERSION = _run.VERSION
