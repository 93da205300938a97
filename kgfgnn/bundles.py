"""The one file convention for every model ``predict`` reads: a joblib dict with a ``kind``
that names its data set's schema, the fitted model and what predicting needs (intervals'
calibration, inputs, twin settings). Load only files you made yourself (joblib unpickles)."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import joblib

from kgfgnn import __version__
from kgfgnn.atomic import atomic_path

# bundle kind -> the data set it predicts for (its adapter: kgfgnn.datasets.adapter)
KINDS = {"kgfgnn-dose-response-model": "dose_response", "kgfgnn-carey-model": "carey"}


class BundleError(ValueError):
    """A file is not a model bundle; the message names the file."""


def save_bundle(path: str | Path, bundle: dict) -> None:
    """Write ``bundle`` (a dict with a known ``kind``) atomically, with the package version."""
    if bundle.get("kind") not in KINDS:
        raise ValueError(f"bundle kind={bundle.get('kind')!r}: allowed values are {list(KINDS)}")
    with atomic_path(path) as tmp:
        joblib.dump({**bundle, "version": __version__}, tmp)


def load_bundle(path: str | Path) -> dict:
    """The bundle in ``path``; :class:`BundleError` (one line) for anything else."""
    path = Path(path)
    if not path.exists():
        raise BundleError(f"model file {path} not found")
    if not path.is_file():
        raise BundleError(f"model {path} is not a file")
    try:
        bundle = joblib.load(path)
    except (pickle.UnpicklingError, zipfile.BadZipFile, EOFError, KeyError, ValueError,
            TypeError, IndexError, AttributeError, ModuleNotFoundError, RuntimeError,
            OSError) as err:
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0][:120]
        raise BundleError(f"model file {path} is not a kgfgnn model (a bundle written by "
                          f"notebook 05 or 07 under artefacts/<profile>/models/): {reason}"
                          ) from None
    if not isinstance(bundle, dict) or bundle.get("kind") not in KINDS:
        raise BundleError(f"model file {path} is not a kgfgnn model (a bundle written by "
                          "notebook 05 or 07 under artefacts/<profile>/models/)")
    return bundle
