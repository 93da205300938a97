"""Where shared input data, profiles, notebooks and artefacts live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = REPO_ROOT / "profiles"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
EXECUTED_DIR = REPO_ROOT / "book" / "executed"
SHARED_ENV_VAR = "KGFGNN_SHARED"
DEFAULT_SHARED = REPO_ROOT.parent / "shared"


def shared_dir() -> Path:
    """The team's shared folder: ``$KGFGNN_SHARED`` or ``../shared`` beside the repository."""
    return Path(os.environ.get(SHARED_ENV_VAR, DEFAULT_SHARED)).expanduser().resolve()


def shared_file(relative: str) -> Path:
    """Path of one file under ``<shared>/data``; a clear error when it is missing."""
    path = shared_dir() / "data" / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"shared data file {relative!r} not found: looked for {path} "
            f"(set {SHARED_ENV_VAR} to the folder that holds data/)"
        )
    return path


def artefact_dir(profile: str) -> Path:
    """Default artefact folder of a profile: ``artefacts/<profile>`` in the repository."""
    return REPO_ROOT / "artefacts" / profile
