"""The one real-data protocol: every approach of a measured data set on the same outer splits,
one search budget and folds that never divide the data set's unit of independence (site,
study).

A :class:`FieldStudy` holds what differs between data sets: the target on the scale models
fit (and how it maps back to the scale the data set reports), the unit, the input tables, the
approaches (inputs x model family x residual offset), the registry of families with their
search spaces, the knowledge brought from the simulation, and the outer splits. Everything
else is shared: :func:`run_study` runs every (split, seed, fold) unit with per-fold seeding
(independent of the order and number of workers), searches each family with
:func:`kgfgnn.experiment.search.random_search` on held-out training groups, follows a
learning curve of training groups, and returns one results table and one predictions table
of the same columns for every data set, keyed like the simulated benchmark's (``split``,
``seed``, ``fold``, ``model``); :func:`choose` picks the approach to deploy by grouped CV
alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import joblib
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from kgfgnn import __version__
from kgfgnn.experiment.evaluate import folds, metrics
from kgfgnn.experiment.runner import cache_path, cached_call, run_each
from kgfgnn.experiment.search import Family, random_search
from kgfgnn.experiment.spaces import cost_rank
from kgfgnn.seeds import repetition_seeds, spawn
from kgfgnn.threads import single_threaded

RESULT_COLUMNS = ("split", "seed", "fold", "model", "train_groups", "curve_point", "n_train",
                  "n_test")
PREDICTION_COLUMNS = ("split", "seed", "fold", "model", "row", "group", "y", "pred")


@dataclass(frozen=True)
class Approach:
    """One way of predicting: an input table, a model family, and optionally an input column
    the prediction starts from: the family learns the residual of it (residual learning on a
    process model), or, for the family :data:`RAW`, it is the prediction itself."""

    inputs: str
    family: str
    offset: str = ""


Split = tuple[str, int, int, np.ndarray, np.ndarray]  # split, seed, fold, train, test


@dataclass
class FieldStudy:
    """A measured data set prepared for :func:`run_study`.

    ``y`` is on the scale every model fits and every search scores (a log scale for fluxes);
    ``reported`` maps it (and predictions) to the scale the data set's metrics are given on
    (None: the same). With ``clip_margin``, every approach's predictions are clipped on the
    model scale to the training targets' range widened by that share of its width (as the
    benchmark's models are), so that no model extrapolates exponentially on the reported
    scale. ``registry(knowledge)`` builds the families inside each worker."""

    name: str
    unit: str  # what a group is, in words ("site", "study")
    y: np.ndarray
    groups: np.ndarray
    inputs: dict[str, pd.DataFrame]
    approaches: dict[str, Approach]
    curve_approaches: tuple[str, ...]
    curve_groups: tuple[int, ...]
    registry: Callable[[object], dict[str, Family]]
    search_iter: int
    splits: list[Split]
    knowledge: object = None
    reported: Callable[[np.ndarray], np.ndarray] | None = None
    clip_margin: float | None = None
    knowledge_key: str = ""  # what the knowledge was made from, digested (for the cache)

    def __post_init__(self):
        n = len(self.y)
        if len(self.groups) != n:
            raise ValueError(f"groups: {len(self.groups)} values for {n} rows")
        for kind, frame in self.inputs.items():
            if len(frame) != n:
                raise ValueError(f"inputs[{kind!r}]: {len(frame)} rows for {n} targets")
        if self.search_iter < 1:
            raise ValueError(f"search_iter={self.search_iter}: must be >= 1")
        unknown = [a for a in self.curve_approaches if a not in self.approaches]
        if unknown:
            raise ValueError(f"curve_approaches: {unknown} are not approaches of {self.name}")

    def prediction_range(self, rows: np.ndarray) -> tuple[float, float]:
        """Model-scale range predictions of a model fitted on ``rows`` are clipped to."""
        if self.clip_margin is None:
            return -np.inf, np.inf
        y = self.y[rows]
        width = float(y.max() - y.min())
        return float(y.min()) - self.clip_margin * width, float(y.max()) + self.clip_margin * width

    def families(self) -> dict[str, Family]:
        return self.registry(self.knowledge)

    def available(self, families: dict[str, Family] | None = None) -> list[str]:
        """Approaches whose inputs and family this study has."""
        families = self.families() if families is None else families
        return [name for name, a in self.approaches.items()
                if a.inputs in self.inputs and (a.family in families or a.family == RAW)]


RAW = "raw_column"  # the family of an approach that reads its prediction from its input column
# An approach is named "<kind>:<family>"; its kind says how the process model enters it:
# not at all (real-only), or one of the knowledge kinds (alone, as a feature, as an offset
# learnt or given as a prior, as a monotone N response, as a pretrained network).
REAL_ONLY = "real_only"
KNOWLEDGE_KINDS = ("simulation_only", "hybrid", "residual", "prior", "monotone", "pretrained")


class ColumnPrediction(RegressorMixin, BaseEstimator):
    """A column of the inputs as the prediction (a process model alone: nothing fitted).

    Parameters
    ----------
    column : str
        The input column returned by ``predict``.

    Attributes
    ----------
    n_features_in_ : int

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"twin": [0.5, 1.5]})
    >>> ColumnPrediction(column="twin").fit(X).predict(X).tolist()
    [0.5, 1.5]
    """

    def __init__(self, *, column: str = ""):
        self.column = column

    def fit(self, X, y=None, groups=None):
        if self.column not in X.columns:
            raise ValueError(f"column={self.column!r}: not among the inputs {list(X.columns)}")
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        check_is_fitted(self, "n_features_in_")
        return X[self.column].to_numpy(float)


def residual_family(base: Family, column: str) -> Family:
    """``base`` learning y - X[column]: residual learning on a process model's prediction,
    or an offset that carries the process model's response as a prior."""
    from kgfgnn.fielddata.estimators import TwinResidualRegressor

    return Family(f"residual_{base.name}", lambda p, seed: TwinResidualRegressor(
        base=base.build(p, seed), twin_column=column, uses_groups=base.uses_groups), base.space,
        uses_groups=True)


def fit_approach(study: FieldStudy, name: str, rows: np.ndarray, seed: int,
                 families: dict[str, Family] | None = None):
    """Search and fit one approach on ``rows``; returns the fitted model and its params."""
    approach = study.approaches[name]
    X = study.inputs[approach.inputs].iloc[rows]
    if approach.family == RAW:
        return ColumnPrediction(column=approach.offset).fit(X), {}
    families = study.families() if families is None else families
    family = families[approach.family]
    if approach.offset:
        family = residual_family(family, approach.offset)
    model, params, _ = random_search(family, X, study.y[rows], study.groups[rows], seed,
                                     study.search_iter)
    return model, params


def _scores(study: FieldStudy, truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    if study.reported is None:
        return metrics(truth, pred)
    log_rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    return {**metrics(study.reported(truth), study.reported(pred)), "rmse_log": log_rmse}


def _unit(study: FieldStudy, names: list[str], split: str, run_seed: int, k: int,
          train: np.ndarray, test: np.ndarray) -> tuple[list[dict], list[pd.DataFrame]]:
    """Every approach (and learning-curve point) of one (split, seed, fold)."""
    with single_threaded():
        families = study.families()
        y, groups = study.y, study.groups
        units = np.unique(groups[train])
        sizes = [len(units)]
        if split == "grouped":
            sizes = [n for n in study.curve_groups if n < len(units)] + sizes
        rng = np.random.default_rng(spawn(run_seed, k))  # the curve's subsets: order-free
        rows, preds = [], []
        for n_groups in sizes:
            full = n_groups == len(units)
            chosen = units if full else rng.choice(units, n_groups, replace=False)
            sub = train[np.isin(groups[train], chosen)]
            bounds = study.prediction_range(sub)
            for name in names:
                if not full and name not in study.curve_approaches:
                    continue
                model, _ = fit_approach(study, name, sub, run_seed, families)
                X_test = study.inputs[study.approaches[name].inputs].iloc[test]
                pred = np.clip(np.asarray(model.predict(X_test), dtype=float).ravel(),
                               *bounds)
                rows.append({"split": split, "seed": run_seed, "fold": k, "model": name,
                             "train_groups": n_groups,
                             "curve_point": "all" if full else str(n_groups),
                             "n_train": len(sub), "n_test": len(test),
                             **_scores(study, y[test], pred)})
                if full:
                    preds.append(pd.DataFrame({"split": split, "seed": run_seed, "fold": k,
                                               "model": name, "row": test,
                                               "group": groups[test], "y": y[test],
                                               "pred": pred}))
        return rows, preds


def grouped_folds(groups: np.ndarray, n_folds: int, run_seed: int) -> Iterator[Split]:
    """Grouped k-fold of one repetition (its ``run_seed`` shuffles the groups): split
    ``grouped``."""
    for k, (train, test) in enumerate(folds("grouped", n_folds, run_seed, groups=groups)):
        yield "grouped", run_seed, k, train, test


def grouped_splits(groups: np.ndarray, n_folds: int, n_seeds: int, seed: int
                   ) -> Iterator[Split]:
    """Grouped k-fold of each of ``n_seeds`` repetitions, their seeds spawned from ``seed``."""
    for run_seed in repetition_seeds(seed, n_seeds):
        yield from grouped_folds(groups, n_folds, run_seed)


def run_study(study: FieldStudy, workers: int = 1, approaches: tuple[str, ...] | None = None,
              scheduler: str = "", cache: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics per (split, seed, fold, approach, training groups) and out-of-fold
    predictions (model scale). The units, one per (split, seed, fold, approach), run on the
    one runner (:mod:`kgfgnn.experiment.runner`): ``workers`` processes (0 = one per core
    within the memory), or the Dask cluster at ``scheduler``, the costliest families first
    so that the workers finish together; every fit is seeded and the tables are sorted, so
    the result does not depend on where or in which order the units run. ``cache``: a
    folder keeping each finished unit, so that a rerun resumes (the key covers the study,
    its knowledge and the package version)."""
    names = [a for a in study.available() if approaches is None or a in approaches]
    study_key = study_cache_key(study, names) if cache else ""
    units = sorted(((split, name) for split in study.splits for name in names),
                   key=lambda unit: cost_rank(study.approaches[unit[1]].family))
    done = run_each(_cached_unit, [(cache, study_key, study, name, *split)
                                   for split, name in units], workers, scheduler)
    rows = pd.DataFrame([r for unit_rows, _ in done for r in unit_rows])
    preds = pd.concat([p for _, unit_preds in done for p in unit_preds], ignore_index=True)
    return (rows.sort_values(["split", "seed", "fold", "model", "train_groups"],
                             ignore_index=True),
            preds.sort_values(["split", "seed", "fold", "model", "row"], ignore_index=True))


def study_cache_key(study: FieldStudy, names: list[str]) -> str:
    """The part of a unit's cache key that covers the study: the package version, the study
    without its knowledge (data, inputs, approaches, registry, splits: joblib's hash) and
    ``knowledge_key`` for the knowledge, because fitted torch modules do not pickle to the
    same bytes twice (a key over them would never match in a later run)."""
    if study.knowledge is not None and not study.knowledge_key:
        raise ValueError(f"study {study.name!r}: a cache needs knowledge_key (a digest of what "
                         "the knowledge was made from) when the study has knowledge")
    return joblib.hash((__version__, replace(study, knowledge=None), names))


def _cached_unit(cache: str, study_key: str, study: FieldStudy, name: str,
                 split: str, run_seed: int, k: int, train: np.ndarray, test: np.ndarray):
    """:func:`_unit` of one approach, kept under ``cache`` when given (a file per approach
    and fold)."""
    path = (cache_path(cache, f"{study.name}-{split}-{run_seed}-{k}-{name.replace(':', '-')}",
                       (study_key, [name], train.tolist(), test.tolist())) if cache else None)
    return cached_call(path, _unit, study, [name], split, run_seed, k, train, test)


# How flexible each family is (what is fitted), simplest first: the order the one-standard-
# error rule breaks near-ties by. A process model read as it is fits nothing; a calibrated
# one a scale; the log-linear model a handful of coefficients; ridge and the mixed model
# linear effects (the mixed model adds study intercepts); a monotone GBM is a GBM with its
# N response constrained; then GBMs and forests, the tabular network, KG-FGNN (pretrained:
# plus a simulated data set and a fine-tuning stage).
FAMILY_COMPLEXITY: dict[str, float] = {
    RAW: 0, "calibrated_twin": 1, "loglinear": 2, "ridge": 3, "mixed_model": 4,
    "monotone_hist_gradient_boosting": 5, "hist_gradient_boosting": 6, "random_forest": 6,
    "tabm": 7, "simulation_kg_fgnn": 7, "kg_fgnn": 8, "pretrained_kg_fgnn": 9,
}
TWIN_INPUT_COMPLEXITY = 0.5  # a learned model that also reads the twin (hybrid, residual)


def complexity(approach: Approach) -> float:
    """The approach's place in the declared order (:data:`FAMILY_COMPLEXITY`)."""
    if approach.family not in FAMILY_COMPLEXITY:
        raise ValueError(f"family {approach.family!r} has no declared complexity: allowed "
                         f"families are {sorted(FAMILY_COMPLEXITY)}")
    learned = approach.family not in (RAW, "calibrated_twin")
    reads_twin = approach.inputs == "hybrid" or bool(approach.offset)
    return FAMILY_COMPLEXITY[approach.family] + (TWIN_INPUT_COMPLEXITY
                                                 if learned and reads_twin else 0.0)


def choice_table(results: pd.DataFrame, approaches: dict[str, Approach]) -> pd.DataFrame:
    """Every approach on grouped CV with all training groups (no other split, no learning-
    curve point): mean RMSE, its standard error over seeds x folds, its complexity, whether
    it lies within one standard error of the best, and which one the one-standard-error
    rule chooses (Hastie, Tibshirani & Friedman 2009, sec. 7.10: the simplest model whose
    error is within one SE of the best)."""
    grouped = results[(results.split == "grouped") & (results.curve_point == "all")]
    if grouped.empty:
        raise ValueError("results: no grouped-CV rows with all training groups to choose on")
    unknown = sorted(set(grouped.model) - set(approaches))
    if unknown:
        raise ValueError(f"results name approach(es) {unknown} that are not declared")
    stats = grouped.groupby("model").rmse.agg(["mean", "std", "size"])
    stats["se"] = (stats["std"] / np.sqrt(stats["size"])).fillna(0.0)
    best = stats["mean"].idxmin()
    threshold = stats.loc[best, "mean"] + stats.loc[best, "se"]
    table = pd.DataFrame({
        "rmse_mean": stats["mean"], "rmse_se": stats["se"], "folds": stats["size"],
        "complexity": [complexity(approaches[m]) for m in stats.index],
        "within_one_se": stats["mean"] <= threshold,
        "margin_to_best": stats["mean"] - stats.loc[best, "mean"]})
    eligible = table[table.within_one_se].sort_values(["complexity", "rmse_mean"],
                                                      kind="mergesort")
    table["lowest_error"] = table.index == best
    table["chosen"] = table.index == eligible.index[0]
    return table.sort_values("rmse_mean").rename_axis("approach")


def choose(results: pd.DataFrame, approaches: dict[str, Approach]) -> str:
    """The approach ``predict`` deploys: the simplest (:data:`FAMILY_COMPLEXITY`) whose
    grouped-CV RMSE is within one standard error of the best (:func:`choice_table`)."""
    table = choice_table(results, approaches)
    return str(table.index[table.chosen][0])


__all__ = ["Approach", "ColumnPrediction", "FAMILY_COMPLEXITY", "FieldStudy", "KNOWLEDGE_KINDS",
           "RAW", "REAL_ONLY",
           "choice_table", "choose", "complexity", "fit_approach",
           "grouped_folds", "grouped_splits", "residual_family", "run_study"]
