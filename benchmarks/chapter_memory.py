"""Peak memory of each chapter over all its processes (the notebook kernel and its joblib or
Dask workers), the figure that Binder's 2 GB limit applies to.

Runs the chosen notebooks of a profile one at a time with the project's runner and samples,
every ``--interval`` seconds, the proportional set size (PSS: shared pages divided among the
processes that share them, so the sum over processes is the memory they occupy together) and
the resident set size of the runner and all its descendants; prints each chapter's peak.
The artefacts of earlier chapters must exist (run ``make book`` first). From the repository
root:

    .venv/bin/python benchmarks/chapter_memory.py --profile quick \
        --only 04_benchmark 07_dose_response
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import psutil

BINDER_LIMIT_MB = 2048


def _tree_memory(root: psutil.Process) -> tuple[float, float, int]:
    """PSS and RSS (MB) summed over ``root`` and its descendants, and their number."""
    pss = rss = 0.0
    processes = [root, *root.children(recursive=True)]
    for process in processes:
        try:
            full = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        pss += getattr(full, "pss", full.rss) / 2**20
        rss += full.rss / 2**20
    return pss, rss, len(processes)


def peak_memory(notebook: str, profile: str, interval: float,
                artefact_dir: str | None = None) -> dict[str, float]:
    """Run one notebook and return its peak PSS, RSS and process count."""
    command = [sys.executable, "-m", "kgfgnn", "run-notebooks", "--profile", profile,
               "--only", notebook, *(["--artefact-dir", artefact_dir] if artefact_dir else [])]
    runner = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = psutil.Process(runner.pid)
    peak = {"pss_mb": 0.0, "rss_mb": 0.0, "processes": 0}
    start = time.perf_counter()
    while runner.poll() is None:
        try:
            pss, rss, count = _tree_memory(root)
        except psutil.NoSuchProcess:
            break
        peak = {"pss_mb": max(peak["pss_mb"], pss), "rss_mb": max(peak["rss_mb"], rss),
                "processes": max(peak["processes"], count)}
        time.sleep(interval)
    if runner.wait() != 0:
        raise SystemExit(f"{notebook}: the runner failed (exit {runner.returncode})")
    return peak | {"seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--only", nargs="+", required=True, help="notebooks, in order")
    parser.add_argument("--interval", type=float, default=0.5, help="sampling period, s")
    parser.add_argument("--artefact-dir", help="default: artefacts/<profile>")
    args = parser.parse_args()
    for notebook in args.only:
        peak = peak_memory(notebook, args.profile, args.interval, args.artefact_dir)
        verdict = "within" if peak["pss_mb"] <= BINDER_LIMIT_MB else "OVER"
        print(f"{notebook}: peak {peak['pss_mb']:,.0f} MB PSS ({peak['rss_mb']:,.0f} MB RSS) "
              f"over up to {peak['processes']} processes, {peak['seconds']:.0f} s; {verdict} "
              f"Binder's {BINDER_LIMIT_MB:,} MB", flush=True)


if __name__ == "__main__":
    main()
