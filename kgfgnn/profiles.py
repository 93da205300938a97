"""Versioned run profiles: papermill parameters for every notebook, read from YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kgfgnn.params import NOTEBOOK_PARAMS, validate_parameters
from kgfgnn.paths import PROFILES_DIR


def profile_path(name_or_path: str) -> Path:
    """Resolve a profile name (``quick``) or a path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} and candidate.is_file():
        return candidate
    path = PROFILES_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))
        raise ValueError(f"profile={name_or_path!r}: no such profile; known are {known}")
    return path


def load_profile(name_or_path: str, artefact_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Return validated parameters per notebook, with ``artefact_dir`` and ``seed`` injected."""
    path = profile_path(name_or_path)
    raw = yaml.safe_load(path.read_text()) or {}
    notebooks = raw.get("notebooks") or {}
    unknown = sorted(set(notebooks) - set(NOTEBOOK_PARAMS))
    if unknown:
        raise ValueError(f"profile {path.name}: unknown notebook(s) {unknown}")
    seed = raw.get("seed", 0)
    resolved = {}
    for name in NOTEBOOK_PARAMS:
        values = {"artefact_dir": str(artefact_dir), "seed": seed, **(notebooks.get(name) or {})}
        resolved[name] = validate_parameters(name, values)
    return resolved
