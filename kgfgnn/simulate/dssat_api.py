"""The one place that imports DSSATTools (quietly, and safely from parallel processes)."""

from __future__ import annotations

import contextlib
import io
import time
import warnings

for _attempt in range(20):
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            from DSSATTools import (  # noqa: F401
                DSSAT,
                SoilLayer,
                SoilProfile,
                WeatherStation,
                crop,  # noqa: F401
                filex,  # noqa: F401
            )
        break
    except (FileExistsError, FileNotFoundError):  # import-time symlink race between processes
        time.sleep(0.05 * (_attempt + 1))
else:  # pragma: no cover
    raise ImportError("DSSATTools could not set up its data folder")
# DSSATTools sets warnings.simplefilter('always', DeprecationWarning) on import; undo that.
warnings.filterwarnings("default", category=DeprecationWarning)
