"""The nested benchmark's model families: what each one searches, and one outer fold run.

Inside every outer training fold, each family draws the same number of candidates from its
space and runs :func:`kgfgnn.experiment.search.halving_search` on one inner hold-out grouped
like the outer test (whole countries out of country, random rows for random CV). What a user must
choose in advance is in the space: the inputs (the autoencoder's selection, a per-target
mutual-information selection made on the fitting rows, or all candidate variables) for every
family, and for KG-FGNN also its graph (knowledge, data or both edge types; one graph per
target or one shared). Multi-target KG-FGNN is chosen per target among its last rung; the
per-target families (baselines, TabM) are searched per target. The chosen candidate is
refitted on the whole outer training fold and predicts the outer test fold, which nothing
above has seen. ``chosen_gbm`` is, per target, the gradient-boosted family with the lowest
inner hold-out error: the GBM a user would have picked before seeing the test fold.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, clone
from sklearn.feature_selection import mutual_info_regression
from sklearn.model_selection import ShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from kgfgnn.baselines import BASELINES, LogTargetRegressor, baseline_family, valid_candidates
from kgfgnn.experiment.evaluate import metrics, rmse_log
from kgfgnn.experiment.search import MIN_GROUPS, Family, Halving, grouped_holdout, halving_search
from kgfgnn.experiment.spaces import (
    CHOSEN_GBM,
    EDGE_CHOICES,
    GBMS,
    GNN,
    GRAPHS,
    INPUT_SETS,
    PATHWAYS,
    SIMULATED,
    TABM,
    space,
)
from kgfgnn.graphs import DATA_TYPE, KNOWLEDGE_TYPE, build_multigraph
from kgfgnn.knowledge import SUPERVISION
from kgfgnn.scales import signed_log1p
from kgfgnn.tabm import TabMRegressor
from kgfgnn.train import KGFGNNRegressor
from kgfgnn.variables import CANDIDATES, check_task

# The choices (inputs, edges, graph, pathway) are declared with the spaces
# (kgfgnn.experiment.spaces).
# KG-FGNN's process pathway: kept whole with the simulated states and process rates as
# supervised intermediate nodes; kept whole with those nodes latent (unsupervised); or
# contracted onto the input nodes (the seed paper's graph over selected variables).
EDGE_SETS = dict(zip(EDGE_CHOICES,
                     ((KNOWLEDGE_TYPE, DATA_TYPE), (KNOWLEDGE_TYPE,), (DATA_TYPE,)), strict=True))
# KG-FGNN's space (settings of the model, the inputs and the graph) and TabM's. TabM's
# ensemble size k stays at 16 (pytabkit's default is 32; the cost grows with k and the TabM
# paper finds k beyond 16-32 adds little).
GNN_SPACE = space(GNN, SIMULATED)
TABM_SPACE = space(TABM, SIMULATED)


def mutual_information_selection(X: pd.DataFrame, y: np.ndarray, size: int,
                                 keep: tuple[str, ...], seed: int) -> list[str]:
    """The ``size`` columns with the highest k-NN mutual information (Kraskov et al. 2004)
    with the signed-log target, the ``keep`` columns always included; in column order."""
    if not 1 <= size <= X.shape[1]:
        raise ValueError(f"size={size}: must be between 1 and {X.shape[1]}")
    z = StandardScaler().fit_transform(X.to_numpy(dtype=float))
    neighbours = max(1, min(3, len(X) - 1))  # 3, sklearn's default, unless fewer rows
    mi = pd.Series(mutual_info_regression(z, signed_log1p(np.asarray(y, dtype=float)),
                                          n_neighbors=neighbours, random_state=seed),
                   index=X.columns)
    chosen = [c for c in keep if c in X.columns]
    chosen += [c for c in mi.sort_values(ascending=False, kind="stable").index
               if c not in chosen][:max(0, size - len(chosen))]
    return [c for c in X.columns if c in set(chosen)]


@dataclass
class InputSets:
    """The columns behind each input choice; ``mutual_information`` per target (the union
    over targets for the multi-target GNN)."""

    autoencoder: list[str]
    all: list[str]
    mutual_information: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def on(cls, X: pd.DataFrame, Y: pd.DataFrame, autoencoder: list[str],
           keep: tuple[str, ...], seed: int, columns: list[str] | None = None) -> InputSets:
        """Input sets for training rows ``X``/``Y`` (mutual information chosen on them)
        among ``columns`` (default: every column of ``X``: the task's inputs)."""
        X = X if columns is None else X[list(columns)]
        mi = {t: mutual_information_selection(X, Y[t].to_numpy(), len(autoencoder), keep,
                                               seed) for t in Y.columns}
        return cls(list(autoencoder), list(X.columns), mi)

    def columns(self, name: str, target: str | None = None) -> list[str]:
        if name == "autoencoder":
            return self.autoencoder
        if name == "all":
            return self.all
        if name == "mutual_information":
            if target is not None:
                return self.mutual_information[target]
            union = {c for cols in self.mutual_information.values() for c in cols}
            return [c for c in self.all if c in union]
        raise ValueError(f"inputs={name!r}: allowed values are {list(INPUT_SETS)}")


class ColumnSubset(TransformerMixin, BaseEstimator):
    """Select named columns of a DataFrame (as an array), in the order given.

    Parameters
    ----------
    columns : tuple of str
        The columns kept.

    Attributes
    ----------
    n_features_in_ : int

    Examples
    --------
    >>> import pandas as pd
    >>> ColumnSubset(columns=("b",)).fit_transform(pd.DataFrame({"a": [1], "b": [2]})).tolist()
    [[2.0]]
    """

    def __init__(self, *, columns: tuple[str, ...] = ()):
        self.columns = columns

    def fit(self, X, y=None):
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise ValueError(f"columns {missing} are not in X")
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self, "n_features_in_")
        return X[list(self.columns)].to_numpy(dtype=float)


class GraphKGFGNN(RegressorMixin, BaseEstimator):
    """KG-FGNN whose graph is built on its own training rows: nodes = ``nodes``, knowledge
    and/or data edges (``edges``), one graph per target or one shared (``graph``), the
    process pathway kept whole or contracted (``pathway``, see :data:`PATHWAYS`); the network
    is trained by a clone of ``trainer`` given that graph.

    With ``pathway="supervised"``, ``X`` passed to :meth:`fit` must also hold the simulated
    values of the intermediate nodes (:data:`kgfgnn.knowledge.SUPERVISION`); they are
    auxiliary targets in training only (the trainer's ``aux_weight``): :meth:`predict` reads
    the ``nodes`` columns alone.

    Parameters
    ----------
    nodes : tuple of str
        Input variables (graph nodes read from ``X``).
    edges : {"both", "knowledge", "data"}
        Edge types of the graph (:data:`EDGE_SETS`).
    graph : {"per_target", "shared"}
    pathway : {"supervised", "latent", "contracted"}
        The process pathway (:data:`PATHWAYS`).
    corr_threshold : float
        |r| threshold of data edges.
    targets : tuple of str
        Target names when ``y`` is an array.
    trainer : KGFGNNRegressor or None
        The configured trainer (network, optimiser, epochs, seed; its ``spec`` is set at
        :meth:`fit`); None: :class:`~kgfgnn.train.KGFGNNRegressor`'s defaults. Its settings
        are reached as ``trainer__<name>`` (``set_params``, ``get_params(deep=True)``).

    Attributes
    ----------
    spec_ : GraphSpec
        The graph built on the training rows.
    regressor_ : KGFGNNRegressor
        The fitted network and its scalers.
    history_ : DataFrame
        The training history.

    Examples
    --------
    >>> model = GraphKGFGNN(nodes=tuple(TASKS["plan"]), pathway="supervised",
    ...                     targets=("n2o", "co2", "ch4"),
    ...                     trainer=KGFGNNRegressor(hidden=64)).fit(X, Y)   # doctest: +SKIP
    """

    def __init__(self, *, nodes: tuple[str, ...] = (), edges: str = "both",
                 graph: str = "per_target", pathway: str = "contracted",
                 corr_threshold: float = 0.3, targets: tuple[str, ...] = (),
                 trainer: KGFGNNRegressor | None = None):
        self.nodes = nodes
        self.edges = edges
        self.graph = graph
        self.pathway = pathway
        self.corr_threshold = corr_threshold
        self.targets = targets
        self.trainer = trainer

    def fit(self, X: pd.DataFrame, y):
        """``y``: a DataFrame, or an array with one column per name in ``targets``."""
        if not isinstance(y, pd.DataFrame):
            y = pd.DataFrame(np.asarray(y, dtype=float).reshape(len(X), -1),
                             columns=list(self.targets), index=X.index)
        if self.edges not in EDGE_SETS:
            raise ValueError(f"edges={self.edges!r}: allowed values are {list(EDGE_SETS)}")
        if self.graph not in GRAPHS:
            raise ValueError(f"graph={self.graph!r}: allowed values are {list(GRAPHS)}")
        if self.pathway not in PATHWAYS:
            raise ValueError(f"pathway={self.pathway!r}: allowed values are {list(PATHWAYS)}")
        kinds = EDGE_SETS[self.edges]
        spec = build_multigraph(X, y, list(self.nodes), self.corr_threshold,
                                use_knowledge=KNOWLEDGE_TYPE in kinds, use_data=DATA_TYPE in kinds,
                                allow_empty=True, universe=list(CANDIDATES),
                                pathway=self.pathway != "contracted")
        if self.graph == "shared":
            spec = spec.restricted(shared=True)
        aux = None
        if self.pathway == "supervised":
            supervised = [n for n in spec.latent if n in SUPERVISION]
            missing = [SUPERVISION[n] for n in supervised if SUPERVISION[n] not in X.columns]
            if missing:
                raise ValueError(f"pathway='supervised': X lacks the simulated values "
                                 f"{missing} of the intermediate nodes")
            aux = pd.DataFrame({n: X[SUPERVISION[n]].to_numpy(dtype=float)
                                for n in supervised}, index=X.index) if supervised else None
        self.n_features_in_ = X.shape[1]
        self.spec_ = spec
        trainer = KGFGNNRegressor() if self.trainer is None else self.trainer
        self.regressor_ = clone(trainer).set_params(spec=spec).fit(X, y, aux=aux)
        self.history_ = self.regressor_.history_
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "regressor_")
        return np.asarray(self.regressor_.predict(X)).reshape(len(X), -1)


# GraphKGFGNN's own settings in a candidate; every other key configures its trainer
GRAPH_SETTINGS = ("edges", "graph", "pathway", "corr_threshold")


def graph_kgfgnn(params: dict, nodes: tuple[str, ...], targets: tuple[str, ...],
                 **trainer_settings) -> GraphKGFGNN:
    """GraphKGFGNN from one flat candidate of the search (:data:`GNN_SPACE`'s names): the
    graph's settings (:data:`GRAPH_SETTINGS`) to the wrapper, the rest, with
    ``trainer_settings``, to its trainer."""
    graph = {k: v for k, v in params.items() if k in GRAPH_SETTINGS}
    trained = {k: v for k, v in params.items() if k not in GRAPH_SETTINGS}
    return GraphKGFGNN(nodes=nodes, targets=targets, **graph,
                       trainer=KGFGNNRegressor(**trainer_settings | trained))


@dataclass(frozen=True)
class NestedConfig:
    """The search budget, equal for every family; numbers documented in the profiles."""

    n_candidates: int = 20
    factor: int = 3
    n_rungs: int = 3
    epochs: int = 150  # KG-FGNN: the refit's cap; the last rung gets epochs // factor
    patience: int = 15
    tabm_epochs: int = 60
    batch_size: int = 128
    layer: str = "sage"
    corr_threshold: float = 0.3
    holdout_fraction: float = 0.25
    families: tuple[str, ...] = (*BASELINES, TABM, GNN)
    ablations: bool = True
    # the knowledge questions; the graph-form and input ablations ran in the previous
    # paper-scale run (results/full/benchmark_ablations.csv)
    ablation_components: tuple[str, ...] = ("edges", "pathway")
    device: str = "auto"  # torch models (KG-FGNN, TabM): "auto" = CUDA when present

    def halving(self, family: str) -> Halving:
        if family == GNN:
            return Halving("epochs", max(self.epochs // self.factor,
                                         self.factor ** (self.n_rungs - 1)),
                           self.factor, self.n_rungs)
        if family == TABM:
            return Halving("n_epochs", max(self.tabm_epochs // self.factor,
                                           self.factor ** (self.n_rungs - 1)),
                           self.factor, self.n_rungs)
        return Halving(None, 0, self.factor, self.n_rungs)


def normalised_errors(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per target: MSE on the signed-log scale over the variance of the signed-log truth."""
    t = signed_log1p(np.asarray(y_true, dtype=float)).reshape(len(y_true), -1)
    p = signed_log1p(np.asarray(y_pred, dtype=float)).reshape(t.shape)
    return ((p - t) ** 2).mean(axis=0) / t.var(axis=0).clip(1e-12)


def inner_holdout(split: str, groups: np.ndarray, seed: int, fraction: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The inner (fit, scored) rows of an outer training fold, grouped like the outer test
    (random rows where a training fold has fewer than ``MIN_GROUPS`` groups to hold out, as
    in the tiny test profile)."""
    if split == "random" or len(np.unique(groups)) < MIN_GROUPS:
        return next(ShuffleSplit(1, test_size=fraction, random_state=seed)
                    .split(np.zeros(len(groups))))
    return grouped_holdout(groups, seed, fraction)


def per_target_family(name: str, sets: InputSets, target: str, config: NestedConfig
                      ) -> Family:
    """A baseline or TabM for one target, its inputs part of the space."""
    if name == TABM:
        def make(p: dict, seed: int):
            return LogTargetRegressor(regressor=TabMRegressor(
                random_state=seed, tabm_k=16, n_epochs=p.pop("n_epochs", config.tabm_epochs),
                device=config.device, **p))
        space = TABM_SPACE
    else:
        base = baseline_family(name)
        make, space = base.build, base.space

    def build(p: dict, seed: int):
        p = dict(p)
        inputs = p.pop("inputs")
        return Pipeline([("columns", ColumnSubset(columns=tuple(sets.columns(inputs, target)))),
                         ("model", make(p, seed))])
    return Family(name, build, space | {"inputs": list(INPUT_SETS)})


def gnn_family(sets: InputSets, targets: list[str], config: NestedConfig) -> Family:
    """KG-FGNN, multi-target, its inputs and graph part of the space."""
    def build(p: dict, seed: int):
        p = dict(p)
        inputs = p.pop("inputs")
        p.setdefault("epochs", config.epochs)
        p.setdefault("corr_threshold", config.corr_threshold)
        return graph_kgfgnn(p, tuple(sets.columns(inputs)), tuple(targets),
                            layer=config.layer, patience=config.patience,
                            batch_size=config.batch_size, random_state=seed,
                            device=config.device)
    return Family(GNN, build, GNN_SPACE | {"inputs": list(INPUT_SETS)})


def balanced_pathways(candidates: list[dict]) -> list[dict]:
    """KG-FGNN's candidates with the process pathway balanced over the draw (candidate ``i``
    takes :data:`PATHWAYS` ``[i % 3]``), so that even a small budget tries the pathway
    supervised, latent and contracted; a pathway is made of knowledge edges, so a pathway
    candidate drawn with data edges only keeps the knowledge edges too ("both")."""
    out = []
    for i, candidate in enumerate(candidates):
        pathway = PATHWAYS[i % len(PATHWAYS)]
        edges = candidate["edges"]
        if pathway != "contracted" and KNOWLEDGE_TYPE not in EDGE_SETS[edges]:
            edges = "both"
        out.append(candidate | {"pathway": pathway, "edges": edges})
    return out


def _params_json(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=float)


ABLATABLE = {"edges": list(EDGE_SETS), "pathway": list(PATHWAYS), "graph": list(GRAPHS),
             "inputs": list(INPUT_SETS)}


def ablations(params: dict, components: tuple[str, ...] = tuple(ABLATABLE)
              ) -> dict[str, dict]:
    """The chosen KG-FGNN with one component forced to each of its values (the others as
    chosen), for each of ``components`` (:data:`ABLATABLE`): edge set ("edges=data": the
    knowledge edges removed), process pathway ("pathway=contracted": pathway removed;
    "pathway=latent": intermediate supervision removed), graph form, inputs. Labels are the
    same in every fold; a label whose value the search chose is the chosen model itself."""
    unknown = [c for c in components if c not in ABLATABLE]
    if unknown:
        raise ValueError(f"ablation components {unknown}: allowed are {list(ABLATABLE)}")
    return {f"{component}={value}": params | {component: value}
            for component in components for value in ABLATABLE[component]}


def fold_input_sets(Xtr: pd.DataFrame, Ytr: pd.DataFrame, groups: np.ndarray, split: str,
                    seed: int, autoencoder: list[str], keep: tuple[str, ...],
                    config: NestedConfig, columns: list[str]) -> tuple[InputSets, InputSets]:
    """The input sets of one outer training fold: on the inner fitting rows (what the search
    sees) and on the whole training fold (what the refit sees). Mutual information is the
    costly part, and it is the same for every family of the fold."""
    fit_idx, _ = inner_holdout(split, groups, seed, config.holdout_fraction)
    return (InputSets.on(Xtr.iloc[fit_idx], Ytr.iloc[fit_idx], autoencoder, keep, seed,
                         columns),
            InputSets.on(Xtr, Ytr, autoencoder, keep, seed, columns))


def run_family(name: str, Xtr: pd.DataFrame, Ytr: pd.DataFrame, groups: np.ndarray,
               Xte: pd.DataFrame, Yte: pd.DataFrame, split: str, seed: int,
               autoencoder: list[str], keep: tuple[str, ...], config: NestedConfig,
               with_ablations: bool = False, task: str = "plan",
               inputs: list[str] | None = None, draw_seed: int | None = None,
               input_sets: tuple[InputSets, InputSets] | None = None
               ) -> tuple[list[dict], list[pd.DataFrame], pd.DataFrame]:
    """One family on one outer fold of one task: search inside, refit the chosen, score on
    the test. ``X`` holds every column; ``inputs`` (default: the task's,
    :data:`kgfgnn.variables.TASKS`) say which are model inputs, ``autoencoder`` is the
    autoencoder's selection among them. ``draw_seed`` seeds the candidates' draw (default
    ``seed``; the benchmark gives every unit its own, spawned from the run's seed).
    ``input_sets``: the fold's :func:`fold_input_sets`, when the caller computed them once
    for all the fold's families (they depend on the fold, not the family).

    Returns metric rows (one per target; ``inner_error`` = the chosen candidate's error on
    the inner hold-out), out-of-fold predictions and the search table."""
    columns = list(check_task(task) if inputs is None else inputs)
    draw_seed = seed if draw_seed is None else draw_seed
    fit_idx, val_idx = inner_holdout(split, groups, seed, config.holdout_fraction)
    inner_sets, outer_sets = (fold_input_sets(Xtr, Ytr, groups, split, seed, autoencoder,
                                              keep, config, columns)
                              if input_sets is None else input_sets)
    halving = config.halving(name)
    rows, preds, searches = [], [], []

    def record(model: str, target: str, pred: np.ndarray, params: dict, inner: float,
               seconds: float, extra: dict | None = None):
        y = Yte[target].to_numpy()
        preds.append(pd.DataFrame({"task": task, "split": split, "seed": seed, "model": model,
                                   "target": target, "row": Xte.index.to_numpy(), "y": y,
                                   "pred": pred}))
        rows.append({"task": task, "split": split, "seed": seed, "model": model,
                     "target": target,
                     "family": ("gnn" if model.startswith(GNN) else
                                "tabular_dl" if model == TABM else "baseline"),
                     "features": params.get("inputs", ""), "n_train": len(Xtr),
                     "n_test": len(Xte), "inner_error": inner, "fit_seconds": seconds,
                     "params": _params_json(params), **metrics(y, pred),
                     "rmse_log": rmse_log(y, pred),
                     **(extra or {})})

    if name == GNN:
        start = time.perf_counter()
        family = gnn_family(inner_sets, list(Ytr.columns), config)
        candidates = balanced_pathways(family.candidates(config.n_candidates, draw_seed))
        chosen, search = halving_search(family, Xtr, Ytr.to_numpy(), (fit_idx, val_idx),
                                        seed, candidates, halving, normalised_errors)
        searches.append(search.assign(target="all"))
        last = search[search.rung == search.rung.max()].set_index("candidate")
        refit = gnn_family(outer_sets, list(Ytr.columns), config)
        fitted: dict[int, GraphKGFGNN] = {}
        for i in sorted(set(chosen)):
            fitted[i] = refit.fit(candidates[i], seed, Xtr, Ytr)
        seconds = time.perf_counter() - start
        for k, t in enumerate(Ytr.columns):
            model = fitted[chosen[k]]
            history = model.history_
            best = history.loc[history.val_mse.idxmin()]
            record(GNN, t, model.predict(Xte)[:, k], candidates[chosen[k]],
                   float(last.loc[chosen[k], f"holdout_error_{k}"]), seconds,
                   {"epochs_run": int(history.epoch.max()) + 1,
                    "train_mse_scaled": float(best.train_mse),
                    "val_mse_scaled": float(best.val_mse)})
        if with_ablations and config.ablations:
            for i in sorted(set(chosen)):
                for label, params in ablations(candidates[i],
                                               config.ablation_components).items():
                    start = time.perf_counter()
                    same = params == candidates[i]
                    pred = (fitted[i] if same else refit.fit(params, seed, Xtr, Ytr)
                            ).predict(Xte)
                    for k, t in enumerate(Ytr.columns):
                        if chosen[k] == i:
                            record(f"{GNN}[{label}]", t, pred[:, k], params, np.nan,
                                   0.0 if same else time.perf_counter() - start)
        return rows, preds, pd.concat(searches, ignore_index=True)
    for t in Ytr.columns:
        start = time.perf_counter()
        family = per_target_family(name, inner_sets, t, config)
        candidates = valid_candidates(name, family.candidates(config.n_candidates, draw_seed),
                                      halving.rows(0, len(fit_idx)))  # smallest fit
        y = Ytr[t].to_numpy()
        chosen, search = halving_search(family, Xtr, y, (fit_idx, val_idx), seed,
                                        candidates, halving, normalised_errors)
        searches.append(search.assign(target=t))
        last = search[search.rung == search.rung.max()].set_index("candidate")
        params = candidates[chosen[0]]
        model = per_target_family(name, outer_sets, t, config).fit(params, seed, Xtr, y)
        record(name, t, model.predict(Xte), params, float(last.loc[chosen[0], "holdout_error"]),
               time.perf_counter() - start)
    return rows, preds, pd.concat(searches, ignore_index=True)


def chosen_gbm(rows: pd.DataFrame, preds: pd.DataFrame,
               keys: tuple[str, ...] | list[str] = ("task", "split", "seed", "fold", "target")
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per unit (``keys``: task, split, seed, fold, target): the GBM family with the lowest
    inner hold-out error, copied as model ``chosen_gbm`` (column ``chosen`` names it)."""
    keys = list(keys)
    gbm = rows[rows.model.isin(GBMS)]
    if gbm.empty:
        return rows.iloc[:0], preds.iloc[:0]
    pick = gbm.sort_values([*keys, "inner_error", "model"]).groupby(keys).head(1)
    out_rows = pick.assign(chosen=pick.model, model=CHOSEN_GBM, family="chosen")
    which = pick[[*keys, "model"]]
    out_preds = preds.merge(which, on=[*keys, "model"]).assign(model=CHOSEN_GBM)
    return out_rows, out_preds


def protocol_table(config: NestedConfig, splits: tuple[str, ...]) -> pd.DataFrame:
    """One row per family: its candidates, halving schedule, resource per rung, what it
    searches and the inner split of each protocol (the chapter's protocol table)."""
    inner = "; ".join(
        f"{s.replace('_', ' ')}: {config.holdout_fraction:.0%} of the "
        f"{'rows' if s == 'random' else 'countries'}" for s in splits)
    rows = []
    for name in config.families:
        halving = config.halving(name)
        if halving.parameter is None:
            resources = ", ".join(f"{halving.share(k):.2g}" for k in range(halving.n_rungs))
            resource = f"share of the inner fitting rows: {resources}"
            refit = "all training rows"
        else:
            units = [max(1, int(round(halving.share(k) * halving.top)))
                     for k in range(halving.n_rungs)]
            cap = config.epochs if name == GNN else config.tabm_epochs
            resource = f"{halving.parameter}: {', '.join(map(str, units))}"
            refit = f"all training rows, <= {cap} epochs, early stopping"
        space = (GNN_SPACE if name == GNN else TABM_SPACE if name == TABM
                 else baseline_family(name).space)
        rows.append({"family": name,
                     "fitted": "multi-target, chosen per target" if name == GNN
                     else "per target",
                     "candidates": config.n_candidates,
                     "halving (candidates per rung)": " → ".join(
                         map(str, halving.survivors(config.n_candidates))),
                     "resource per rung": resource, "refit": refit,
                     "searched": ", ".join([*space, "inputs"]), "inner hold-out": inner})
    return pd.DataFrame(rows)
