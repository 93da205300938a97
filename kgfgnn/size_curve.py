"""The training-size curve: does KG-FGNN's gap to the GBM change as the simulated data grow?

The question a "foundation model" trained on simulations must answer: with more simulated
crop years, does the knowledge-guided GNN catch up with (or pull away from) gradient boosting?
Out of country (grouped by country, the claim's protocol), on the primary task (drivers only),
each outer fold's test countries stay fixed while the training rows grow: nested subsets of
the fold's training countries, whole site-years (every N rate of one site, crop, weather
year and block) in one seeded order, the first of them up to each requested size. At every
size both approaches are *searched again* inside the training subset with the benchmark's
own nested protocol (:func:`kgfgnn.nested.run_family`: the same candidates, drawn once per
fold, successive halving on an inner grouped hold-out) and scored on the same test rows.

It runs on the benchmark's runner (:func:`kgfgnn.benchmark.run_units`): local processes, or a
Dask cluster (``scheduler``), every finished unit kept under ``cache`` so that a run resumes.
``python -m kgfgnn size-curve`` is the command; it prints the fitting cost per size so that a
user can size a cluster for larger runs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from kgfgnn.benchmark import BenchmarkConfig, Unit, collect, run_units, unit_draw_seed
from kgfgnn.experiment.evaluate import folds
from kgfgnn.experiment.report import claim_check
from kgfgnn.nested import CHOSEN_GBM, GBMS, GNN
from kgfgnn.seeds import spawn
from kgfgnn.simulate.dataset import SITE_YEAR
from kgfgnn.variables import TASKS, model_frame, target_frame

SPLIT = "leave_countries_out"
FAMILIES = (*GBMS, GNN)  # the chosen GBM is picked among the GBMS per unit, as in the claim


def check_sizes(sizes: list[int] | tuple[int, ...]) -> tuple[int, ...]:
    """Training sizes in crop years, increasing; 0 = every training row of the fold."""
    sizes = tuple(int(s) for s in sizes)
    if not sizes or any(s < 0 or 0 < s < 50 for s in sizes):
        raise ValueError(f"sizes={list(sizes)}: give training sizes >= 50 crop years "
                         "(0 = all training rows)")
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"sizes={list(sizes)}: repeated sizes")
    return tuple(sorted(sizes, key=lambda s: s or np.inf))


def nested_subsets(train: np.ndarray, site_years: np.ndarray, sizes: tuple[int, ...],
                   seed: int) -> dict[int, np.ndarray]:
    """For one outer training fold (row indices ``train``, their site-year ids
    ``site_years``): per size, the rows of the first whole site-years in one seeded random
    order whose rows reach the size (0 or a size beyond the fold: all of ``train``). Smaller
    subsets are contained in larger ones."""
    ids = pd.unique(site_years)
    order = np.random.default_rng(seed).permutation(len(ids))
    rows_per = pd.Series(site_years).value_counts().reindex(ids[order]).to_numpy()
    reached = np.cumsum(rows_per)
    out = {}
    for size in sizes:
        if size == 0 or size >= len(train):
            out[size] = np.sort(train)
            continue
        take = set(ids[order[:int(np.searchsorted(reached, size)) + 1]])
        out[size] = np.sort(train[np.isin(site_years, list(take))])
    return out


def run_size_curve(seasonal: pd.DataFrame, autoencoder: list[str], keep: tuple[str, ...],
                   sizes: tuple[int, ...], config: BenchmarkConfig, seed: int,
                   task: str = "plan", workers: int = 0, scheduler: str = "",
                   cache: str = "") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Metrics per (size, fold, model, target), the out-of-fold predictions and the searches,
    as :func:`kgfgnn.benchmark.run_benchmark` writes them plus a ``size`` column (the
    requested size; ``n_train`` the rows used). ``config``: the benchmark's (its nested search
    and ``n_folds``; one seed); ``autoencoder``: the autoencoder's selection for ``task``."""
    sizes = check_sizes(sizes)
    seasonal = seasonal.reset_index(drop=True)
    features, targets = model_frame(seasonal), target_frame(seasonal)
    groups = seasonal.iso2.to_numpy()
    site_years = seasonal[list(SITE_YEAR)].astype(str).agg("|".join, axis=1).to_numpy()
    config = replace(config, tasks=(task,), splits=(SPLIT,), n_seeds=1, ablation_seeds=0,
                     nested=replace(config.nested, families=FAMILIES, ablations=False))
    units = []
    for k, (train, test) in enumerate(folds(SPLIT, config.n_folds, seed, groups=groups,
                                            n=len(features))):
        order_seed = spawn(seed, k)
        subsets = nested_subsets(train, site_years[train], sizes, order_seed)
        draw = unit_draw_seed(seed, 0, k, task, SPLIT)  # the same candidates at every size
        units += [Unit(task, SPLIT, seed, k, subsets[size], test, family, False, draw,
                        size or -1)  # -1 labels "all": 0 means "no size" to the runner
                  for size in sizes for family in FAMILIES]
    done = run_units(units, features, targets, groups, {task: autoencoder}, config, keep,
                     {task: list(TASKS[task])}, workers, scheduler, cache)
    tables = collect(done)
    for table in tables:  # the runner's label for "all" (-1) back to the caller's 0
        table["size"] = table["size"].where(table["size"] >= 0, 0)
    return tables


def size_curve_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per size and target: mean training rows, KG-FGNN's and the chosen GBM's mean RMSE,
    their ratio and the paired difference over folds with its 95 % Nadeau–Bengio interval
    (:func:`kgfgnn.experiment.report.claim_check`), and the verdict."""
    parts = []
    for size, part in results.groupby("size"):
        claim = claim_check(part)
        claim.insert(0, "size", size)
        claim.insert(1, "n_train", part.groupby("fold").n_train.first().mean())
        parts.append(claim)
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["n_train", "target"], ignore_index=True)[
        ["size", "n_train", "target", "kg_fgnn_rmse", "gbm_rmse", "ratio", "diff", "ci_low",
         "ci_high", "verdict", "gbm_chosen", "pairs"]]


def book_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`size_curve_table` for readers: training crop years (mean over folds), target
    with its unit, both RMSEs, the ratio, the difference with its 95 % interval, the verdict."""
    from kgfgnn.experiment.report import TARGET_LABELS
    from kgfgnn.tables import number

    return pd.DataFrame({
        "training crop years": [f"{n:,.0f}" for n in table.n_train],
        "target": table.target.map(lambda t: TARGET_LABELS.get(t, t.upper())),
        "RMSE KG-FGNN / GBM": [f"{number(a)} / {number(b)}" for a, b in
                               zip(table.kg_fgnn_rmse, table.gbm_rmse, strict=True)],
        "ratio": [f"{r:.2f}" for r in table.ratio],
        "difference [95 % CI]": [f"{number(d)} [{number(lo)}, {number(hi)}]" for d, lo, hi in
                                 zip(table["diff"], table.ci_low, table.ci_high, strict=True)],
        "verdict": table.verdict,
    })


def fitting_cost(results: pd.DataFrame) -> pd.DataFrame:
    """CPU seconds of search and refit per size and family, summed over folds (KG-FGNN fits
    all targets at once; the GBMs one target at a time), the figure to size a cluster by."""
    fitted = results[results.model != CHOSEN_GBM]
    per_unit = (fitted.groupby(["size", "fold", "model"])
                .apply(lambda g: g.fit_seconds.iloc[0] if g.name[2] == GNN
                       else g.fit_seconds.sum(), include_groups=False)
                .rename("cpu_seconds").reset_index())
    table = per_unit.pivot_table(index="size", columns="model", values="cpu_seconds",
                                 aggfunc="sum")
    table["all"] = table.sum(axis=1)
    table.insert(0, "n_train", results.groupby("size").n_train.mean())
    return table.reset_index().sort_values("n_train", ignore_index=True)
