"""The one runner of every data set's experiment: independent, seeded units run on local
processes (joblib's loky) or on a Dask cluster, each optionally kept in a resumable cache.

A unit is a function call whose result depends on its arguments alone (every random step
inside it is seeded from them, :mod:`kgfgnn.seeds`), so results do not depend on where or in
which order units run; the callers sort the tables they assemble. The simulated benchmark
(:mod:`kgfgnn.benchmark`), its training-size curve and the measured data sets
(:func:`kgfgnn.experiment.study.run_study`) all run here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import joblib
from joblib import Parallel, delayed, parallel_backend

from kgfgnn.atomic import atomic_path
from kgfgnn.workers import default_workers


def cache_path(cache: str | Path, stem: str, key: object) -> Path:
    """Where a unit's result is kept: ``<cache>/<stem>-<digest>.joblib``, the digest (24 hex
    digits of SHA-256) over ``repr(key)``, which must name everything the result depends on
    (the package version included)."""
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
    return Path(cache) / f"{stem}-{digest}.joblib"


def cached_call(path: Path | None, function: Callable, *args, **kwargs):
    """``function(*args, **kwargs)``, or its result kept at ``path`` by an earlier call
    (written atomically, so an interrupted run leaves no half-written file). ``path`` None:
    no cache."""
    if path is None:
        return function(*args, **kwargs)
    if path.exists():
        return joblib.load(path)
    out = function(*args, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        joblib.dump(out, tmp)
    return out


def run_each(function: Callable, arguments: Iterable[tuple], workers: int = 0,
             scheduler: str = "") -> list:
    """``[function(*a) for a in arguments]``, in that order, on ``workers`` local processes
    (0 = one per core within the memory, :func:`kgfgnn.workers.default_workers`) or on the
    Dask cluster at ``scheduler`` (an address such as ``tcp://host:8786``)."""
    jobs = (delayed(function)(*a) for a in arguments)
    if scheduler:
        from distributed import Client

        with Client(scheduler), parallel_backend("dask"):
            return Parallel()(jobs)
    return Parallel(n_jobs=default_workers(workers), backend="loky")(jobs)


__all__ = ["cache_path", "cached_call", "run_each"]
