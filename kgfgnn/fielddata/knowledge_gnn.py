"""KG-FGNN on the dose-response studies: real-only, and pretrained on simulated measurement
windows then fine-tuned on the training studies.

Nodes: the study's conditions in the simulation's driver variables (N rate and form, splits,
placement, irrigation, flooding, crop, annual temperature and precipitation, topsoil organic C,
the texture class's sand and clay, bulk density; readings of
:func:`kgfgnn.fielddata.dose_response.twin_conditions`), the recorded variables that carry
field knowledge edges (ln window length, poor drainage, pH, soil N;
:data:`kgfgnn.knowledge.FIELD_VARIABLES`), every other column of the common design
(:mod:`kgfgnn.fielddata.design`: codes, frequency, empty-cell indicators) so that the network
sees what the trees see, and the process variables on the knowledge pathway to N2O that field
studies do not record (latent nodes, value 0). Target: ln N2O-N over the measurement window
(kg N/ha) on both sides: measured, and simulated windows of random length
(:func:`simulated_windows`). Empty cells take the training rows' medians.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from kgfgnn.fielddata.gnn_inputs import (  # noqa: F401 (the inputs' names, re-exported)
    FIELD_NETWORK_EDGES,
    N2O_FLOOR_KG_N_HA,
    NODE_COLUMNS,
    OBSERVED,
    REPRESENTED,
    SHORTEST_WINDOW_DAYS,
    UNIVERSE,
    context_columns,
    gnn_design,
    simulated_windows,
    simulation_space,
    with_latent,
)
from kgfgnn.graphs import GraphSpec, build_multigraph
from kgfgnn.knowledge import pathway_nodes
from kgfgnn.seeds import MODEL, SAMPLE, spawn
from kgfgnn.train import KGFGNNRegressor

# Field data are a few hundred rows: fewer epochs and a shorter patience than the trainer's
# defaults (KGFGNNRegressor: 200 and 20, sized for the simulated benchmark's thousands of rows).
FIELD_EPOCHS, FIELD_PATIENCE = 150, 15  # simulated windows: log-uniform over 5 days to three years


def field_trainer(**settings) -> KGFGNNRegressor:
    """The trainer of field-data KG-FGNN: the target already on a log scale (``identity``),
    :data:`FIELD_EPOCHS` and :data:`FIELD_PATIENCE`, then ``settings``."""
    return KGFGNNRegressor(**{"epochs": FIELD_EPOCHS, "patience": FIELD_PATIENCE,
                              "target_transform": "identity"} | settings)


def field_graph(X: pd.DataFrame, y: np.ndarray, corr_threshold: float = 0.3,
                nodes: tuple[str, ...] = NODE_COLUMNS) -> tuple[GraphSpec, list[str]]:
    """The N2O graph over ``nodes`` (default :data:`NODE_COLUMNS`) and the latent pathway
    nodes: knowledge edges (DSSAT's process list and the field edges, each cited) and data
    edges of ``X``'s rows."""
    nodes = list(nodes)
    latent = pathway_nodes("n2o", tuple(nodes), FIELD_NETWORK_EDGES, UNIVERSE)
    values = X[nodes].fillna(X[nodes].median()).fillna(0.0)
    spec = build_multigraph(with_latent(values, latent), pd.DataFrame({"n2o": y}),
                            [*nodes, *latent], corr_threshold, knowledge=FIELD_NETWORK_EDGES,
                            universe=list(UNIVERSE))
    return spec, latent


def pretrain_members(sample: Callable[[int], tuple[pd.DataFrame, np.ndarray, np.ndarray]],
                     n_members: int, epochs: int, seed: int,
                     nodes: tuple[str, ...] = NODE_COLUMNS, **params) -> dict:
    """KG-FGNN fitted ``n_members`` times on simulated examples: ``sample(i)`` gives member
    i's inputs, target (the field's scale) and simulated sites (early stopping holds out
    whole sites). The graph is built on the first sample. No measured value is used."""
    members, spec, latent, columns = [], None, [], []
    for i in range(n_members):
        X, y, sites = sample(i)
        if spec is None:
            spec, latent = field_graph(X, y, nodes=nodes)
            columns = list(X.columns)
        X = with_latent(X, latent)
        member = KGFGNNRegressor(spec=spec, epochs=epochs, target_transform="identity",
                                 context=context_columns(columns, nodes),
                                 random_state=spawn(seed, i, MODEL), **params)
        members.append(member.fit(X, y, groups=sites))
    return {"spec": spec, "latent": latent, "members": members, "columns": columns}


def pretrain(seasonal: pd.DataFrame, columns: list[str], n_examples: int, n_members: int,
             epochs: int, seed: int, **params) -> dict:
    """KG-FGNN fitted on simulated windows, ``n_members`` times with different seeds (sample,
    initialisation, early-stopping sites): the knowledge brought to the field."""
    return pretrain_members(
        lambda i: simulated_windows(seasonal, columns, n_examples,
                                    spawn(seed, i, SAMPLE)),
        n_members, epochs, seed, **params)


class FieldKGFGNN(RegressorMixin, BaseEstimator):
    """A seed ensemble of KG-FGNN on ln N2O of field rows (:func:`gnn_design`'s columns, NaN
    allowed): ``n_members`` networks, each early-stopped on its own held-out studies; the
    prediction is their mean.

    With ``pretrained`` (from :func:`pretrain`), every pretrained member is fine-tuned on the
    training studies with their own scalers, first as a linear probe of the output heads for
    ``probe_epochs``, then all weights for ``fine_tune_epochs`` at a third of ``lr`` (its own
    ``lr``, ``dropout`` and ``weight_decay``, not the pretraining ones); members are repeated
    with new seeds until there are ``n_members``. Without, each member is trained from scratch
    on a graph built from the training rows.

    Parameters
    ----------
    trainer : KGFGNNRegressor or None
        The configured trainer of every member (width, depth, ``lr``, ``dropout``,
        ``weight_decay``, ``epochs``, ``patience``, device); each member is a clone given the
        graph, the context columns and its own seed. None: :func:`field_trainer`'s defaults.
        Its settings are reached as ``trainer__<name>``. Fine-tuning takes its ``lr`` / 3,
        ``dropout``, ``weight_decay`` and ``patience``.
    n_members : int, default 5
        Ensemble size.
    corr_threshold : float, default 0.3
        Absolute correlation above which two nodes get a data edge (from scratch).
    pretrained : dict or None
        Members, scalers, columns and latent nodes from :func:`pretrain`.
    fine_tune_epochs, probe_epochs : int
        Epochs of full fine-tuning and of the linear probe.
    nodes : tuple of str or None
        Graph node columns from scratch (None: the dose-response network's).
    random_state : int, default 0
        Seeds the members (each its own stream, :func:`kgfgnn.seeds.spawn`).

    Attributes
    ----------
    members_ : list of KGFGNNRegressor
        The fitted (or fine-tuned) members.
    medians_ : Series
        Training medians used for empty cells.

    Examples
    --------
    >>> model = FieldKGFGNN(n_members=3, trainer=field_trainer(epochs=60))  # doctest: +SKIP
    >>> model.fit(X_gnn, y, groups=studies).predict(X_gnn_new)   # doctest: +SKIP
    """

    def __init__(self, *, trainer: KGFGNNRegressor | None = None, n_members: int = 5,
                 corr_threshold: float = 0.3, pretrained: dict | None = None,
                 fine_tune_epochs: int = 100, probe_epochs: int = 20,
                 nodes: tuple[str, ...] | None = None, random_state: int = 0):
        self.trainer = trainer
        self.n_members = n_members
        self.corr_threshold = corr_threshold
        self.pretrained = pretrained
        self.fine_tune_epochs = fine_tune_epochs
        self.probe_epochs = probe_epochs
        self.nodes = nodes
        self.random_state = random_state

    def _nodes(self) -> tuple[str, ...]:
        return NODE_COLUMNS if self.nodes is None else tuple(self.nodes)

    def _inputs(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.columns_ if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks column(s) {missing} of the network's nodes")
        return with_latent(X[self.columns_].fillna(self.medians_), self.latent_)

    def fit(self, X, y, groups=None):
        if not isinstance(X, pd.DataFrame):
            raise TypeError("X: a DataFrame with gnn_design's columns is required")
        if self.n_members < 1:
            raise ValueError(f"n_members={self.n_members}: must be >= 1")
        y = np.asarray(y, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.columns_ = list(self.pretrained["columns"] if self.pretrained else X.columns)
        self.medians_ = X[self.columns_].median().fillna(0.0)
        if self.pretrained is not None:
            self.spec_, self.latent_ = self.pretrained["spec"], list(self.pretrained["latent"])
        else:
            self.spec_, self.latent_ = field_graph(X[self.columns_], y, self.corr_threshold,
                                                   self._nodes())
        inputs = self._inputs(X)
        trainer = field_trainer() if self.trainer is None else self.trainer
        self.members_ = []
        for i in range(self.n_members):
            seed = spawn(self.random_state, i, MODEL)
            if self.pretrained is not None:
                base = self.pretrained["members"][i % len(self.pretrained["members"])]
                member = copy.deepcopy(base).set_params(
                    random_state=seed, patience=trainer.patience,
                    weight_decay=trainer.weight_decay, dropout=trainer.dropout)
                member.fine_tune(inputs, y, epochs=self.fine_tune_epochs, lr=trainer.lr / 3,
                                 groups=groups, refit_scalers=True,
                                 probe_epochs=self.probe_epochs)
            else:
                member = clone(trainer).set_params(
                    spec=self.spec_, context=context_columns(self.columns_, self._nodes()),
                    random_state=seed).fit(inputs, y, groups)
            self.members_.append(member)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "members_")
        inputs = self._inputs(X)
        return np.mean([np.asarray(m.predict(inputs)).reshape(-1) for m in self.members_],
                       axis=0)


class SimulationOnlyKGFGNN(RegressorMixin, BaseEstimator):
    """The pretrained members as they are: the mean of their predictions, no measured value
    used. ``fit`` only learns the training rows' medians for empty cells.

    Parameters
    ----------
    pretrained : dict
        Members, columns and latent nodes from :func:`pretrain`.

    Attributes
    ----------
    columns_ : list of str
        The network's node columns.
    medians_ : Series
        Training medians used for empty cells.

    Examples
    --------
    >>> SimulationOnlyKGFGNN(pretrained=knowledge).fit(X_gnn).predict(X_gnn)  # doctest: +SKIP
    """

    def __init__(self, *, pretrained: dict | None = None):
        self.pretrained = pretrained

    def fit(self, X, y=None, groups=None):
        if self.pretrained is None:
            raise ValueError("pretrained=None: the members of pretrain_members are required")
        if not isinstance(X, pd.DataFrame):
            raise TypeError("X: a DataFrame with the pretrained network's columns is required")
        self.n_features_in_ = X.shape[1]
        self.columns_ = list(self.pretrained["columns"])
        missing = [c for c in self.columns_ if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks column(s) {missing} of the network's nodes")
        self.medians_ = X[self.columns_].median().fillna(0.0)
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "medians_")
        inputs = with_latent(X[self.columns_].fillna(self.medians_),
                             list(self.pretrained["latent"]))
        return np.mean([np.asarray(m.predict(inputs)).reshape(-1)
                        for m in self.pretrained["members"]], axis=0)
