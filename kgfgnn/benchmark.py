"""The simulated-data benchmark, nested: every family searched inside each training fold
(:mod:`kgfgnn.nested`), scored on the outer test folds; the seed paper's claim checked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from kgfgnn import __version__
from kgfgnn.experiment.evaluate import SPLITS, corrected_paired_test, folds, interval_verdict
from kgfgnn.experiment.runner import cache_path, cached_call, run_each
from kgfgnn.nested import CHOSEN_GBM, GBMS, GNN, TABM, NestedConfig, chosen_gbm, run_family
from kgfgnn.scales import signed_log1p
from kgfgnn.seeds import spawn
from kgfgnn.tables import number
from kgfgnn.threads import single_threaded
from kgfgnn.variables import TASKS


@dataclass
class BenchmarkConfig:
    """What to run; numbers documented in the profile files."""

    n_seeds: int = 1
    n_folds: int = 5
    tasks: tuple[str, ...] = ("plan", "sensor")  # kgfgnn.variables.TASKS; plan is primary
    splits: tuple[str, ...] = ("random", "leave_countries_out")
    nested: NestedConfig = field(default_factory=NestedConfig)
    ablation_seeds: int = 1  # seeds (of n_seeds) whose folds also fit KG-FGNN's ablations
    ablation_splits: tuple[str, ...] = ("leave_countries_out",)  # ... in these protocols
    ablation_tasks: tuple[str, ...] = ("plan",)  # ... and these tasks


def benchmark_config(params: dict) -> BenchmarkConfig:
    """The configuration a profile's ``04_benchmark`` parameters describe (its primary task
    fits the ablations)."""
    tasks = tuple(params["tasks"])
    nested = NestedConfig(n_candidates=params["n_candidates"], factor=params["halving_factor"],
                          n_rungs=params["halving_rungs"], epochs=params["epochs"],
                          patience=params["patience"], tabm_epochs=params["tabm_epochs"],
                          layer=params["layer"], device=params["device"])
    return BenchmarkConfig(n_seeds=params["n_seeds"], n_folds=params["n_folds"], nested=nested,
                           tasks=tasks, ablation_seeds=params["ablation_seeds"],
                           ablation_tasks=("plan" if "plan" in tasks else tasks[0],))


def unit_draw_seed(seed: int, repetition: int, fold: int, task: str, split: str) -> int:
    """The seed of one unit's candidates' draw, spawned from the run's ``seed`` with
    :class:`numpy.random.SeedSequence` (never by adding to it)."""
    # task and protocol by their place in the declarations
    return spawn(seed, repetition, fold, list(TASKS).index(task), SPLITS.index(split))


def rmse_log(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """RMSE on the signed-log scale: a metric that the few extreme simulated fluxes (DSSAT's
    wet, carbon-rich soils) do not dominate, reported beside the original-scale RMSE."""
    return float(np.sqrt(np.mean((signed_log1p(y_true) - signed_log1p(y_pred)) ** 2)))


@dataclass(frozen=True)
class Unit:
    """One job of the runner: one family on one outer fold (rows ``train``/``test``) of one
    task, protocol and seed, drawing its candidates with ``draw_seed``."""

    task: str
    split: str
    seed: int
    fold: int
    train: np.ndarray
    test: np.ndarray
    family: str
    ablations: bool
    draw_seed: int  # the candidates' draw: its own per (task, split, seed, fold)
    size: int = 0  # training-size curve: the requested training rows (0: the whole fold)


def _run_task(task: Unit, features: pd.DataFrame, targets: pd.DataFrame,
              groups: np.ndarray, autoencoder: dict[str, list[str]], keep: tuple[str, ...],
              config: BenchmarkConfig, inputs: dict[str, list[str]]):
    """One (task, split, seed, fold, family): the nested search and the outer-test scores."""
    with single_threaded():  # parallelism is across units
        rows, preds, search = run_family(
            task.family, features.iloc[task.train], targets.iloc[task.train],
            groups[task.train], features.iloc[task.test], targets.iloc[task.test],
            task.split, task.seed, autoencoder[task.task], keep, config.nested,
            task.ablations, task=task.task, inputs=inputs[task.task],
            draw_seed=task.draw_seed)
    label = {"fold": task.fold} | ({"size": task.size} if task.size else {})
    for part in (*preds, search):
        for column, value in label.items():
            part[column] = value
    search["task"], search["split"], search["seed"] = task.task, task.split, task.seed
    return [r | label for r in rows], preds, search


def _cached_task(cache: str, task: Unit, features: pd.DataFrame, targets: pd.DataFrame,
                 groups: np.ndarray, autoencoder: dict[str, list[str]], keep: tuple[str, ...],
                 config: BenchmarkConfig, inputs: dict[str, list[str]]):
    """:func:`_run_task`, its result kept under ``cache`` (:func:`kgfgnn.experiment.runner.
    cached_call`) so that an interrupted run resumes where it stopped; the key covers the unit
    (its rows and whether it fits the ablations), the search configuration, the inputs and the
    package version."""
    path = None
    if cache:
        key = (__version__, task.task, task.split, task.seed, task.fold, task.family,
               *((task.size,) if task.size else ()),  # benchmark units keep their earlier keys
               task.ablations, task.draw_seed, task.train.tolist(), asdict(config.nested),
               autoencoder[task.task], inputs[task.task], keep,
               pd.util.hash_pandas_object(features).sum(),
               pd.util.hash_pandas_object(targets).sum(), groups.tolist())
        size = f"n{task.size}-" if task.size else ""
        path = cache_path(cache, f"{task.task}-{task.split}-{task.seed}-{task.fold}-{size}"
                                 f"{task.family}", key)
    return cached_call(path, _run_task, task, features, targets, groups, autoencoder, keep,
                       config, inputs)


def run_benchmark(features: pd.DataFrame, targets: pd.DataFrame, groups: np.ndarray,
                  autoencoder: dict[str, list[str]], config: BenchmarkConfig, seed: int,
                  keep: tuple[str, ...] = (), log: Callable[[str], None] = print,
                  workers: int = 0, scheduler: str = "", cache: str = "",
                  inputs: dict[str, list[str]] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Metrics per (task, split, seed, fold, model, target), the out-of-fold predictions and
    every candidate scored by the inner searches (:mod:`kgfgnn.nested`).

    ``features`` holds every column (:func:`kgfgnn.variables.model_frame`); each task reads
    its own inputs (``inputs``, default :data:`kgfgnn.variables.TASKS`), ``autoencoder``
    maps a task to the autoencoder's selection among them.

    The (task, split, seed, fold, family) units run in parallel: ``workers`` local
    processes (0 = one per core within the memory, :func:`kgfgnn.workers.default_workers`)
    with joblib, or on the Dask cluster at ``scheduler``. Every unit is seeded and
    single-threaded and the tables are sorted, so the result does not depend on the order in
    which units finish. Graphs, input selections and tuning use the outer training
    fold only. ``cache``: a folder keeping each finished unit, so a rerun resumes."""
    features = features.reset_index(drop=True)
    targets = targets.reset_index(drop=True)
    groups = np.asarray(groups)
    inputs = {t: list(c) for t, c in (TASKS if inputs is None else inputs).items()}
    for what, given in (("autoencoder", autoencoder), ("inputs", inputs)):
        missing = [t for t in config.tasks if t not in given]
        if missing:
            raise ValueError(f"{what}: nothing given for task(s) {missing}")
    tasks = []
    for name in config.tasks:
        for split in config.splits:
            for s in range(config.n_seeds):
                run_seed = spawn(seed, s)
                for k, (train, test) in enumerate(folds(split, config.n_folds, run_seed,
                                                        groups=groups, n=len(features))):
                    ablate = (s < config.ablation_seeds and split in config.ablation_splits
                              and name in config.ablation_tasks)
                    draw = unit_draw_seed(seed, s, k, name, split)
                    tasks += [Unit(name, split, run_seed, k, train, test, family, ablate, draw)
                              for family in config.nested.families]
    log(f"{len(tasks)} units")
    done = run_units(tasks, features, targets, groups, autoencoder, config, keep, inputs,
                     workers, scheduler, cache)
    return collect(done)


def run_units(units: list[Unit], features: pd.DataFrame, targets: pd.DataFrame,
              groups: np.ndarray, autoencoder: dict[str, list[str]], config: BenchmarkConfig,
              keep: tuple[str, ...], inputs: dict[str, list[str]], workers: int = 0,
              scheduler: str = "", cache: str = "") -> list:
    """Run the units (local processes, or the Dask cluster at ``scheduler``), each kept
    under ``cache`` when given; whole outer folds one after another (the plan task out of
    country first: the claim's protocol), the longest units of a fold first, so that an
    interrupted run leaves complete folds in the cache."""
    cost = {GNN: 0, TABM: 1}
    units = sorted(units, key=lambda t: (t.task != "plan", t.split != "leave_countries_out",
                                         t.size, t.seed, t.fold, cost.get(t.family, 2)))
    selections = {t: list(cols) for t, cols in autoencoder.items()}
    return run_each(_cached_task, [(cache, unit, features, targets, groups, selections,
                                    tuple(keep), config, inputs) for unit in units],
                    workers, scheduler)


def collect(done: list) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The units' metric rows, predictions and searches as three sorted tables, with the
    chosen GBM (:func:`kgfgnn.nested.chosen_gbm`) added."""
    order = ["task", "split", "seed", "fold", "model", "target"]
    results = pd.DataFrame([r for rows, _, _ in done for r in rows])
    if "size" in results:
        order.insert(2, "size")
    predictions = pd.concat([p for _, preds, _ in done for p in preds], ignore_index=True)
    gbm_rows, gbm_preds = chosen_gbm(results, predictions, order[:-2] + ["target"])
    results = pd.concat([results, gbm_rows], ignore_index=True).sort_values(
        order, ignore_index=True)
    predictions = pd.concat([predictions, gbm_preds], ignore_index=True).sort_values(
        [*order, "row"], ignore_index=True)
    search = pd.concat([s for _, _, s in done], ignore_index=True).sort_values(
        [*order[:-2], "family", "target", "rung", "candidate"], ignore_index=True)
    return results, predictions, search


def best_baseline(summary: pd.DataFrame, target: str, split: str, task: str = "plan") -> str:
    """Post hoc: the non-graph family with the lowest mean test RMSE for one task, target and
    split (for figures; the claim uses the GBM chosen inside the folds)."""
    sub = summary[summary.family.isin(["baseline", "tabular_dl"]) & (summary.target == target)
                  & (summary.split == split) & (summary.task == task)]
    return str(sub.sort_values("rmse_mean").iloc[0]["model"])


def _common_folds(part: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Rows of ``models`` on the (seed, fold) pairs that every one of them has."""
    sub = part[part.model.isin(models)]
    counts = sub.groupby(["seed", "fold"]).model.nunique()
    full = counts[counts == len(set(models))].index
    return sub.set_index(["seed", "fold"]).loc[full].reset_index()


def _best(results: pd.DataFrame, names, metric: str = "rmse") -> str:
    """The model among ``names`` with the lowest mean ``metric`` in ``results``."""
    sub = results[results.model.isin(list(names))]
    return str(sub.groupby("model")[metric].mean().idxmin())


def _choices(part: pd.DataFrame) -> str:
    """How often each GBM family was chosen inside the folds, e.g. 'lightgbm 9, xgboost 6'."""
    counts = part[part.model == CHOSEN_GBM].chosen.value_counts()
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda x: -x[1]))


def paired_differences(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """For every (task, split, target): each model against KG-FGNN as chosen inside the folds, as
    mean RMSE difference (model - KG-FGNN) with its Nadeau-Bengio corrected ``level``
    interval over the pairs both have, relative to KG-FGNN's mean RMSE, and the spread (sd)
    of each model's RMSE over seeds x folds. Positive = KG-FGNN better."""
    rows = []
    for (task, split, target), part in results.groupby(["task", "split", "target"]):
        kg_rmse = part[part.model == GNN].rmse
        for model in sorted(set(part.model) - {GNN}):
            test = corrected_paired_test(part, model, GNN, level=level)
            mine = part[part.model == model].rmse
            rows.append({"task": task, "split": split, "target": target, "model": model,
                         "kg_fgnn": GNN,
                         "family": part[part.model == model].family.iloc[0],
                         "rmse": mine.mean(), "kg_fgnn_rmse": kg_rmse.mean(),
                         "diff": test["mean_diff"], "ci_low": test["ci_low"],
                         "ci_high": test["ci_high"], "p_value": test["p_value"],
                         "rel_diff_pct": 100 * test["mean_diff"] / kg_rmse.mean(),
                         "rel_ci_low_pct": 100 * test["ci_low"] / kg_rmse.mean(),
                         "rel_ci_high_pct": 100 * test["ci_high"] / kg_rmse.mean(),
                         "rmse_sd": mine.std(), "kg_fgnn_rmse_sd": kg_rmse.std(),
                         "pairs": test["n"]})
    return pd.DataFrame(rows)


CLAIM_VERDICTS = {"lower": "KG-FGNN better", "higher": "GBM better",
                  "undetermined": "no difference established"}
"""The claim's verdict from KG-FGNN − GBM's interval
(:func:`kgfgnn.experiment.evaluate.interval_verdict`)."""


def claim_check(results: pd.DataFrame, level: float = 0.95, metric: str = "rmse",
                post_hoc: bool = False) -> pd.DataFrame:
    """The seed paper's claim per (task, split, target): KG-FGNN as chosen inside the training
    folds against the GBM chosen inside them (``chosen_gbm``), the comparison a user who must
    pick models in advance meets. ``post_hoc=True``: the sensitivity that picks both by
    their mean *test* ``metric`` (the best KG-FGNN configuration among the chosen one and
    its ablations against the best GBM family, on the folds all of them have), optimistic for
    both. ``ratio`` = mean RMSE ratio (target <= 0.874 out of country, <= 1.05 on random CV);
    ``stable`` = KG-FGNN's RMSE spread over seeds x folds no larger than the GBM's.
    ``metric="rmse_log"`` checks the same on the signed-log scale (columns keep their names)."""
    rows = []
    for (task, split, target), part in results.groupby(["task", "split", "target"]):
        if post_hoc:
            graph_models = sorted(m for m in set(part.model) if m.startswith(GNN))
            gbm_models = sorted(set(part.model) & set(GBMS))
            part = _common_folds(part, graph_models + gbm_models)
            kg, gbm = _best(part, graph_models, metric), _best(part, gbm_models, metric)
            chosen = ""
        else:
            kg, gbm, chosen = GNN, CHOSEN_GBM, _choices(part)
        test = corrected_paired_test(part, kg, gbm, metric=metric, level=level)
        kg_rmse, gbm_rmse = part[part.model == kg][metric], part[part.model == gbm][metric]
        target_ratio = 1.05 if split == "random" else 0.874
        verdict = CLAIM_VERDICTS[interval_verdict(test["ci_low"], test["ci_high"])]
        rows.append({"task": task, "split": split, "target": target, "kg_fgnn": kg,
                     "best_gbm": gbm,
                     "gbm_chosen": chosen,
                     "kg_fgnn_rmse": kg_rmse.mean(), "gbm_rmse": gbm_rmse.mean(),
                     "ratio": kg_rmse.mean() / gbm_rmse.mean(), "paper_target": target_ratio,
                     "meets_target": kg_rmse.mean() / gbm_rmse.mean() <= target_ratio,
                     "diff": test["mean_diff"], "ci_low": test["ci_low"],
                     "ci_high": test["ci_high"], "p_value": test["p_value"],
                     "kg_fgnn_rmse_sd": kg_rmse.std(), "gbm_rmse_sd": gbm_rmse.std(),
                     "stable": kg_rmse.std() <= gbm_rmse.std(), "verdict": verdict,
                     "pairs": test["n"], "metric": metric,
                     "selection": "post hoc (test folds)" if post_hoc else "nested"})
    return pd.DataFrame(rows)


def ablation_table(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """KG-FGNN's ablations (one component of the chosen model changed at a time) against the
    chosen model on the folds that fitted them: RMSE difference (ablation - chosen) with its
    corrected interval; positive = the chosen component helps."""
    rows = []
    for (task, split, target), part in results.groupby(["task", "split", "target"]):
        for model in sorted(m for m in set(part.model) if m.startswith(f"{GNN}[")):
            test = corrected_paired_test(part, model, GNN, level=level)
            rows.append({"task": task, "split": split, "target": target,
                         "change": model.removeprefix(f"{GNN}[").removesuffix("]"),
                         "rmse": part[part.model == model].rmse.mean(),
                         "diff": test["mean_diff"], "ci_low": test["ci_low"],
                         "ci_high": test["ci_high"], "pairs": test["n"]})
    return pd.DataFrame(rows)


def ablation_display(ablation: pd.DataFrame) -> pd.DataFrame:
    """:func:`ablation_table` for readers: per (task, split, change) and target the
    difference with its 95 % interval, or "chosen in every fold" where the search had chosen
    that value in every fold (the difference is then zero by construction)."""
    def cell(r) -> str:
        if np.isfinite(r.ci_low):
            return f"{number(r['diff'])} [{number(r.ci_low)}, {number(r.ci_high)}]"
        return "chosen in every fold" if r["diff"] == 0 else f"{number(r['diff'])} (1 pair)"
    shown = ablation.assign(shown=ablation.apply(cell, axis=1))
    return shown.pivot(index=["task", "split", "change"], columns="target", values="shown")


TARGET_UNITS = {"n2o": "kg N2O-N/ha/yr", "co2": "kg CO2-C/ha/yr", "ch4": "kg CH4-C/ha/yr"}
# Short labels for readers' tables.
TARGET_LABELS = {"n2o": "N₂O (kg N/ha/yr)", "co2": "CO₂ (kg C/ha/yr)", "ch4": "CH₄ (kg C/ha/yr)"}
PROTOCOL_LABELS = {"leave_countries_out": "out of country", "random": "random CV"}
TASK_LABELS = {"plan": "plan (drivers only)", "sensor": "sensor (drivers + states)"}


def claim_table(claim: pd.DataFrame) -> pd.DataFrame:
    """:func:`claim_check` for readers, narrow enough to show whole on a page: protocol,
    target with its unit, both RMSEs (3 significant digits), the ratio against the paper's
    target, the difference with its 95 % interval and the verdict
    (:func:`claim_details` has the models and spreads)."""
    return pd.DataFrame({
        "task": claim.task.map(lambda t: TASK_LABELS.get(t, t)),
        "protocol": claim.split.map(lambda s: PROTOCOL_LABELS.get(s, s.replace("_", " "))),
        "target": claim.target.map(lambda t: TARGET_LABELS.get(t, t.upper())),
        "RMSE KG-FGNN / GBM": [f"{number(a)} / {number(b)}" for a, b in
                               zip(claim.kg_fgnn_rmse, claim.gbm_rmse, strict=True)],
        "ratio (paper ≤)": [f"{r:.2f} ({p:.3g})" for r, p in
                            zip(claim.ratio, claim.paper_target, strict=True)],
        "difference [95 % CI]": [f"{number(d)} [{number(lo)}, {number(hi)}]" for d, lo, hi in
                                 zip(claim["diff"], claim.ci_low, claim.ci_high, strict=True)],
        "verdict": claim.verdict,
    })


def claim_details(claim: pd.DataFrame) -> pd.DataFrame:
    """The models behind each row of :func:`claim_table` (for the nested claim, how often
    each GBM family was chosen), the RMSE spreads over seeds x folds and the pairs."""
    return pd.DataFrame({
        "task": claim.task.map(lambda t: TASK_LABELS.get(t, t)),
        "protocol": claim.split.map(lambda s: PROTOCOL_LABELS.get(s, s.replace("_", " "))),
        "target": claim.target.map(lambda t: TARGET_LABELS.get(t, t.upper())),
        "KG-FGNN": claim.kg_fgnn,
        "GBM": [f"{g} ({c})" if c else g for g, c in
                zip(claim.best_gbm, claim.gbm_chosen, strict=True)],
        "RMSE sd KG-FGNN / GBM": [f"{number(a)} / {number(b)}" for a, b in
                                  zip(claim.kg_fgnn_rmse_sd, claim.gbm_rmse_sd, strict=True)],
        "as stable": claim.stable.map({True: "yes", False: "no"}),
        "pairs": claim.pairs,
    })
