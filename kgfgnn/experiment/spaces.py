"""Every model family's search space, declared once, per data context.

One table for the whole study: which settings each family searches and from which
distributions, on the simulated benchmark (``simulated``: thousands of crop years, inputs
and graph part of the choice) and on the measured data sets (``measured``: a few hundred
rows, NaN-tolerant pipelines, smaller networks). A family absent from a context is not run
there. The builders (what a drawn setting makes) live with each context's engine:
:mod:`kgfgnn.baselines` and :mod:`kgfgnn.nested` (simulated), :mod:`kgfgnn.fielddata.protocol`
(measured). Candidates are drawn with :class:`sklearn.model_selection.ParameterSampler`, so
the order of the keys below is part of the draw.
"""

from __future__ import annotations

from scipy.stats import loguniform, randint, uniform

# Family names the reports refer to: KG-FGNN, TabM, the gradient-boosted families, and the GBM
# chosen per unit inside the folds (kgfgnn.nested.chosen_gbm).
GNN = "kg_fgnn"
TABM = "tabm"
GBMS = ("hist_gradient_boosting", "xgboost", "lightgbm")
CHOSEN_GBM = "chosen_gbm"
SIMULATED, MEASURED = "simulated", "measured"
CONTEXTS = (SIMULATED, MEASURED)

# The simulated benchmark's choices a user makes before fitting: the inputs, and for
# KG-FGNN its edges, graph and process pathway (kgfgnn.nested documents each).
INPUT_SETS = ("autoencoder", "mutual_information", "all")
EDGE_CHOICES = ("both", "knowledge", "data")
GRAPHS = ("per_target", "shared")
PATHWAYS = ("supervised", "latent", "contracted")

_FOREST_SIMULATED = {"max_features": uniform(0.3, 0.7), "min_samples_leaf": randint(1, 8)}
_BOOSTING_MEASURED = {"learning_rate": loguniform(0.02, 0.2), "max_leaf_nodes": randint(8, 48),
                      "min_samples_leaf": randint(5, 40),
                      "l2_regularization": loguniform(1e-3, 10)}
_NEURAL_MEASURED = {"lr": loguniform(1e-3, 1e-2), "dropout": uniform(0.0, 0.3),
                    "weight_decay": loguniform(1e-5, 1e-2)}

SPACES: dict[str, dict[str, dict]] = {
    "ridge": {SIMULATED: {"alpha": loguniform(1e-3, 1e3)},
              MEASURED: {"alpha": loguniform(1e-2, 1e3)}},
    "svr": {SIMULATED: {"C": loguniform(1e-1, 1e2), "epsilon": loguniform(1e-3, 0.3),
                        "gamma": ["scale", 0.01, 0.05]}},
    "knn": {SIMULATED: {"n_neighbors": randint(3, 30), "weights": ["uniform", "distance"]}},
    "random_forest": {SIMULATED: _FOREST_SIMULATED,
                      MEASURED: {"max_features": uniform(0.2, 0.6),
                                 "min_samples_leaf": randint(1, 10)}},
    "extra_trees": {SIMULATED: _FOREST_SIMULATED},
    "hist_gradient_boosting": {SIMULATED: {"learning_rate": loguniform(0.02, 0.3),
                                           "max_leaf_nodes": randint(8, 64),
                                           "l2_regularization": loguniform(1e-4, 1.0)},
                               MEASURED: _BOOSTING_MEASURED},
    "monotone_hist_gradient_boosting": {MEASURED: _BOOSTING_MEASURED},
    "xgboost": {SIMULATED: {"learning_rate": loguniform(0.02, 0.3), "max_depth": randint(3, 9),
                            "subsample": uniform(0.6, 0.4),
                            "colsample_bytree": uniform(0.5, 0.5)}},
    "lightgbm": {SIMULATED: {"learning_rate": loguniform(0.02, 0.3), "num_leaves": randint(8, 64),
                             "min_child_samples": randint(5, 40), "subsample": uniform(0.6, 0.4),
                             "subsample_freq": [1]}},
    "mlp": {SIMULATED: {"alpha": loguniform(1e-5, 1e-1),
                        "learning_rate_init": loguniform(1e-4, 1e-2)}},
    "tabm": {SIMULATED: {"d_block": [64, 128, 256], "n_blocks": [1, 2, 3],
                         "lr": loguniform(3e-4, 3e-3), "weight_decay": loguniform(1e-5, 1e-2),
                         "dropout": [0.0, 0.1, 0.2, 0.3]},
             MEASURED: _NEURAL_MEASURED | {"d_block": [64, 128, 256]}},
    "kg_fgnn": {SIMULATED: {"hidden": [16, 32, 64], "n_layers": [1, 2, 3],
                            "lr": loguniform(1e-3, 1e-2), "dropout": [0.0, 0.1, 0.2],
                            "weight_decay": loguniform(1e-5, 1e-3),
                            "readout": ["pool", "concat"], "edges": list(EDGE_CHOICES),
                            "graph": list(GRAPHS), "pathway": list(PATHWAYS),
                            "aux_weight": [0.3, 1.0]},
                MEASURED: _NEURAL_MEASURED | {"hidden": [16, 32, 64], "n_layers": [1, 2]}},
    "pretrained_kg_fgnn": {MEASURED: _NEURAL_MEASURED | {"probe_epochs": [0, 20]}},
    # the measured data sets' own families: nothing to search but the mixed model's fixed
    # effects, whose candidate sets each data set declares (kgfgnn.fielddata.protocol)
    "loglinear": {MEASURED: {}},
    "mixed_model": {MEASURED: {}},
    "calibrated_twin": {MEASURED: {}},
    "simulation_kg_fgnn": {MEASURED: {}},
}


def space(family: str, context: str) -> dict:
    """The search space of ``family`` in ``context`` (a copy: callers may add to it)."""
    if context not in CONTEXTS:
        raise ValueError(f"context={context!r}: allowed values are {list(CONTEXTS)}")
    if family not in SPACES or context not in SPACES[family]:
        known = [name for name, spaces in SPACES.items() if context in spaces]
        raise ValueError(f"family={family!r} has no {context} space: allowed values are "
                         f"{known}")
    return dict(SPACES[family][context])


def families_in(context: str) -> tuple[str, ...]:
    """The families with a space in ``context``, in declaration order."""
    return tuple(name for name, spaces in SPACES.items() if context in spaces)


# Families by what a fit costs, costliest tier first: the runners start them first so that
# the workers finish together. KG-FGNN (from scratch or fine-tuned), then TabM, then the rest.
COST_TIERS = ((GNN, f"pretrained_{GNN}"), (TABM,))


def cost_rank(family: str) -> int:
    """The tier of ``family`` in :data:`COST_TIERS` (0: costliest; the rest after them)."""
    return next((k for k, tier in enumerate(COST_TIERS) if family in tier), len(COST_TIERS))


__all__ = ["CONTEXTS", "COST_TIERS", "EDGE_CHOICES", "GRAPHS", "INPUT_SETS", "MEASURED",
           "PATHWAYS", "SIMULATED", "SPACES", "cost_rank", "families_in", "space"]
