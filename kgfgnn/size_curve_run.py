"""The training-size curve from a run's artefacts: load, run, write, print the cost."""

from __future__ import annotations

import time
from pathlib import Path

from kgfgnn.atomic import write_csv, write_parquet
from kgfgnn.benchmark import benchmark_config
from kgfgnn.profiles import load_profile
from kgfgnn.size_curve import fitting_cost, run_size_curve, size_curve_table


def run_from_artefacts(artefact_dir: Path, profile: str, sizes: list[int], n_folds: int = 0,
                       workers: int = 0, scheduler: str = "", out: Path | None = None,
                       log=print) -> Path:
    """Run the curve on the simulation and autoencoder in ``artefact_dir`` with the search
    settings of ``profile``'s benchmark; write ``results``/``predictions``/``search``
    (parquet), ``table.csv`` and ``cost.csv`` under ``out`` (default
    ``<artefact_dir>/size_curve``, finished units cached in its ``cache/``); return ``out``."""
    from dataclasses import replace

    from kgfgnn.features import AutoencoderSelector
    from kgfgnn.simulate.dataset import load_seasonal
    from kgfgnn.variables import TASKS

    artefact_dir = Path(artefact_dir)
    if not (artefact_dir / "sim_seasonal.parquet").is_file():
        raise FileNotFoundError(f"{artefact_dir} holds no simulation (sim_seasonal.parquet)")
    out = Path(out) if out else artefact_dir / "size_curve"
    params = load_profile(profile, artefact_dir)["04_benchmark"]
    config, seed = benchmark_config(params), int(params["seed"])
    if n_folds:
        if not 2 <= n_folds <= 20:
            raise ValueError(f"folds={n_folds}: must be between 2 and 20")
        config = replace(config, n_folds=n_folds)
    seasonal = load_seasonal(artefact_dir)
    selector = AutoencoderSelector.load(artefact_dir / "features")
    log(f"size curve: {len(seasonal):,} crop years, {seasonal.iso2.nunique()} countries, "
        f"sizes {sizes}, {config.n_folds} folds out of country", flush=True)
    start = time.perf_counter()
    results, predictions, search = run_size_curve(
        seasonal, selector.selection(TASKS["plan"]), tuple(selector.keep), tuple(sizes),
        config, seed, workers=workers, scheduler=scheduler, cache=str(out / "cache"))
    write_parquet(results, out / "results.parquet")
    write_parquet(predictions, out / "predictions.parquet")
    write_parquet(search, out / "search.parquet")
    table, cost = size_curve_table(results), fitting_cost(results)
    write_csv(table, out / "table.csv", float_format="%.6g")
    write_csv(cost, out / "cost.csv", float_format="%.6g")
    log(table.to_string(index=False), flush=True)
    log("CPU seconds of search and refit per size (sum over folds):", flush=True)
    log(cost.to_string(index=False), flush=True)
    log(f"wall time {time.perf_counter() - start:.0f} s", flush=True)
    return out
