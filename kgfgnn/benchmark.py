"""The simulated-data benchmark, nested: every family searched inside each training fold
(:mod:`kgfgnn.nested`), scored on the outer test folds; the seed paper's claim checked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from kgfgnn import __version__
from kgfgnn.experiment.evaluate import SPLITS, folds
from kgfgnn.experiment.runner import cache_path, cached_call, run_each
from kgfgnn.experiment.spaces import cost_rank
from kgfgnn.nested import (
    InputSets,
    NestedConfig,
    chosen_gbm,
    fold_input_sets,
    run_family,
)
from kgfgnn.seeds import spawn
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


def _fold_key(unit: Unit) -> tuple:
    """The outer fold (and training size) a unit belongs to: its families share input sets."""
    return unit.task, unit.split, unit.seed, unit.fold, unit.size


def _fold_input_sets(unit: Unit, features: pd.DataFrame, targets: pd.DataFrame,
                     groups: np.ndarray, autoencoder: dict[str, list[str]],
                     keep: tuple[str, ...], config: BenchmarkConfig,
                     inputs: dict[str, list[str]]) -> tuple[InputSets, InputSets]:
    """:func:`kgfgnn.nested.fold_input_sets` of the unit's training rows."""
    with single_threaded():
        return fold_input_sets(features.iloc[unit.train], targets.iloc[unit.train],
                               groups[unit.train], unit.split, unit.seed,
                               autoencoder[unit.task], keep, config.nested,
                               inputs[unit.task])


def _run_task(task: Unit, features: pd.DataFrame, targets: pd.DataFrame,
              groups: np.ndarray, autoencoder: dict[str, list[str]], keep: tuple[str, ...],
              config: BenchmarkConfig, inputs: dict[str, list[str]],
              input_sets: tuple[InputSets, InputSets] | None = None):
    """One (task, split, seed, fold, family): the nested search and the outer-test scores."""
    with single_threaded():  # parallelism is across units
        rows, preds, search = run_family(
            task.family, features.iloc[task.train], targets.iloc[task.train],
            groups[task.train], features.iloc[task.test], targets.iloc[task.test],
            task.split, task.seed, autoencoder[task.task], keep, config.nested,
            task.ablations, task=task.task, inputs=inputs[task.task],
            draw_seed=task.draw_seed, input_sets=input_sets)
    label = {"fold": task.fold} | ({"size": task.size} if task.size else {})
    for part in (*preds, search):
        for column, value in label.items():
            part[column] = value
    search["task"], search["split"], search["seed"] = task.task, task.split, task.seed
    return [r | label for r in rows], preds, search


def _unit_cache(cache: str, task: Unit, data_key: tuple, autoencoder: dict[str, list[str]],
                keep: tuple[str, ...], config: BenchmarkConfig,
                inputs: dict[str, list[str]]) -> Path | None:
    """Where a unit's result is kept under ``cache`` (None without one); the key covers the
    unit (its rows and whether it fits the ablations), the search configuration, the inputs,
    the data (``data_key``: :func:`_data_key`) and the package version."""
    if not cache:
        return None
    key = (__version__, task.task, task.split, task.seed, task.fold, task.family,
           *((task.size,) if task.size else ()),  # benchmark units keep their earlier keys
           task.ablations, task.draw_seed, task.train.tolist(), asdict(config.nested),
           autoencoder[task.task], inputs[task.task], keep, *data_key)
    size = f"n{task.size}-" if task.size else ""
    return cache_path(cache, f"{task.task}-{task.split}-{task.seed}-{task.fold}-{size}"
                             f"{task.family}", key)


def _data_key(features: pd.DataFrame, targets: pd.DataFrame, groups: np.ndarray) -> tuple:
    """The data's part of a unit's cache key."""
    return (pd.util.hash_pandas_object(features).sum(),
            pd.util.hash_pandas_object(targets).sum(), groups.tolist())


def _cached_task(path: Path | None, task: Unit, features: pd.DataFrame,
                 targets: pd.DataFrame, groups: np.ndarray, autoencoder: dict[str, list[str]],
                 keep: tuple[str, ...], config: BenchmarkConfig, inputs: dict[str, list[str]],
                 input_sets: tuple[InputSets, InputSets] | None):
    """:func:`_run_task`, its result kept at ``path`` (:func:`kgfgnn.experiment.runner.
    cached_call`) so that an interrupted run resumes where it stopped."""
    return cached_call(path, _run_task, task, features, targets, groups, autoencoder, keep,
                       config, inputs, input_sets)


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
    interrupted run leaves complete folds in the cache. The input sets of every fold with a
    unit still to run are computed first, in this process, once per fold rather than once
    per family."""
    units = sorted(units, key=lambda t: (t.task != "plan", t.split != "leave_countries_out",
                                         t.size, t.seed, t.fold, cost_rank(t.family)))
    selections = {t: list(cols) for t, cols in autoencoder.items()}
    data_key = _data_key(features, targets, groups) if cache else ()
    paths = [_unit_cache(cache, u, data_key, selections, tuple(keep), config, inputs)
             for u in units]
    pending = {}
    for unit, path in zip(units, paths, strict=True):
        if path is None or not path.exists():
            pending.setdefault(_fold_key(unit), unit)
    # Here, not on the workers: a loky worker takes its first job's memory as its reference
    # and restarts when a later job grows past it by 300 MB, which a fit after this light
    # job would do (a restart, its imports again, and a warning in the chapter).
    sets = {fold: _fold_input_sets(unit, features, targets, groups, selections, tuple(keep),
                                   config, inputs) for fold, unit in pending.items()}
    return run_each(_cached_task, [(path, unit, features, targets, groups, selections,
                                    tuple(keep), config, inputs, sets.get(_fold_key(unit)))
                                   for unit, path in zip(units, paths, strict=True)],
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
