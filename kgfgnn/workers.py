"""How many worker processes ``workers=0`` ("one per core") means on this machine: one per
core, but no more than the memory allows. A fitting worker imports torch, PyG and the
tree libraries (about :data:`WORKER_MB` of memory each, measured with
``benchmarks/chapter_memory.py``) beside the notebook kernel (about :data:`KERNEL_MB`), so on
Binder's 2 GB the benchmark and the dose-response chapter run with one worker instead of two.
The tables do not depend on the number of workers (tested)."""

from __future__ import annotations

import os
from pathlib import Path

KERNEL_MB = 800
WORKER_MB = 700
_CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
                  Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))  # cgroup v1


def memory_limit_mb() -> float | None:
    """The container's memory limit (cgroup), else the machine's memory, in MB."""
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:  # "max" or a huge number: no limit
            return int(text) / 2**20
    try:
        import psutil
    except ImportError:
        return None
    return psutil.virtual_memory().total / 2**20


def default_workers(requested: int = 0, limit_mb: float | None = None) -> int:
    """``requested`` when positive; for 0, one per core within the memory limit (at least
    one)."""
    if requested < 0:
        raise ValueError(f"workers={requested}: must be >= 0 (0 = one per core)")
    if requested:
        return requested
    cores = os.cpu_count() or 1
    limit_mb = memory_limit_mb() if limit_mb is None else limit_mb
    if limit_mb is None:
        return cores
    return max(1, min(cores, int((limit_mb - KERNEL_MB) // WORKER_MB)))
