"""Simulation throughput: seasons per second on 1 and 2 workers, and our Python overhead.

Every season is a 365-day crop year with DayCent denitrification, run by the study's batch
runner (one call of the binary per site, crop and weather year). The overhead is the share
of the single-worker wall time not spent inside the DSSAT-CSM binary, which is timed around
each call of the bare executable on the very inputs the runner wrote (the same scenario set
every time: 6 countries x 1 site x 2 crops x 2 blocks x 3 N rates). Run from the repository
root:

    .venv/bin/python benchmarks/simulation_speed.py
"""

from __future__ import annotations

import argparse
import subprocess
import time

from kgfgnn.simulate.execute import SimulationConfig, execute, plan


class _BinaryTimer:
    """Wraps ``subprocess.run`` inside the batch runner to add up the binary's wall time."""

    def __init__(self):
        self.seconds = 0.0
        self._run = subprocess.run

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self._run(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--countries", nargs="+", default=["BR", "CN", "DE", "IN", "KE", "US"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = SimulationConfig(countries=tuple(args.countries), sites_per_country=1,
                              crops_per_site=2, blocks_per_crop=2, n_rates=(0, 100, 200),
                              seed=args.seed)
    groups = plan(config)
    n = sum(len(g.scenarios) for g in groups)

    import kgfgnn.simulate.batch as batch

    timer = _BinaryTimer()
    batch.subprocess.run = timer
    start = time.perf_counter()
    execute(groups, 30, workers=1, progress=False)
    one = time.perf_counter() - start
    batch.subprocess.run = timer._run

    start = time.perf_counter()
    execute(groups, 30, workers=2, progress=False)
    two = time.perf_counter() - start

    print(f"seasons: {n}")
    print(f"1 worker : {n / one:6.2f} seasons/s ({one:.1f} s)")
    print(f"2 workers: {n / two:6.2f} seasons/s ({two:.1f} s, includes process start-up)")
    print(f"scaling 1 -> 2 workers: {one / two:.2f}x")
    print(f"time inside the DSSAT binary (1 worker): {timer.seconds:.1f} s "
          f"({timer.seconds / n * 1000:.0f} ms per 365-day season)")
    print(f"Python overhead share of one worker's wall time: {1 - timer.seconds / one:.1%}")


if __name__ == "__main__":
    main()
