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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def profile_summary(name_or_path: str) -> str:
    """What a profile runs, in one line written from its own parameters (the README, the
    reproduction page and the profile table quote it; a test keeps them equal)."""
    raw = yaml.safe_load(profile_path(name_or_path).read_text()) or {}
    nb = {k: v or {} for k, v in (raw.get("notebooks") or {}).items()}
    sim, bench = nb.get("01_simulation", {}), nb.get("04_benchmark", {})
    carey, dose = nb.get("05_realworld", {}), nb.get("07_dose_response", {})
    sample = (f" on a {bench['max_samples']:,}-crop-year sample"
              if bench.get("max_samples") else "")
    studies = dose.get("max_studies") or 159
    return (
        f"{sim.get('n_countries')} countries × {_plural(sim.get('sites_per_country'), 'site')}"
        f" × {_plural(sim.get('crops_per_site'), 'crop')}"
        f" × {_plural(sim.get('years'), 'weather year')}"
        f" × {_plural(sim.get('blocks_per_crop'), 'management block')}"
        f" × {len(sim.get('n_rates', []))} N rates; benchmark tasks "
        f"{' and '.join(bench.get('tasks', []))}, {_plural(bench.get('n_seeds'), 'seed')} × "
        f"{bench.get('n_folds')} folds per protocol{sample}, "
        f"{bench.get('n_candidates')} candidates per family, KG-FGNN ≤ {bench.get('epochs')} "
        f"epochs; Carey {_plural(carey.get('n_seeds'), 'seed')} × {carey.get('n_folds')} "
        f"folds grouped by site; dose response {studies} studies, "
        f"{_plural(dose.get('n_seeds'), 'seed')} × {dose.get('n_folds')} folds grouped by study")
