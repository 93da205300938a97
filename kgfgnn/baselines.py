"""Baseline regressors from well-kept libraries, each tuned by the same small random search.

Every baseline predicts one target on the same signed-log scale as KG-FGNN (through
:class:`LogTargetRegressor`, which, like KG-FGNN, keeps predictions within the training
targets' range widened by 10 % on that scale, so that no model extrapolates exponentially),
after standardising the inputs where the model needs it.
The search: ``n_iter`` candidates drawn from the spaces of :mod:`kgfgnn.experiment.spaces`,
scored on one 25 % hold-out of the training fold (no test data is ever seen), then refitted
on the whole fold.
"""

from __future__ import annotations

import warnings

import numpy as np
from lightgbm import LGBMRegressor
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import (
    ExtraTreesRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import ShuffleSplit
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.utils.validation import check_is_fitted
from xgboost import XGBRegressor

from kgfgnn.experiment.search import Family, grouped_holdout, random_search
from kgfgnn.experiment.spaces import SIMULATED, space
from kgfgnn.scales import signed_expm1, signed_log1p


def _models(seed: int) -> dict[str, tuple[object, dict, bool]]:
    """name -> (estimator, search space (:mod:`kgfgnn.experiment.spaces`), needs scaling)."""
    estimators = {
        "ridge": (Ridge(), True),
        "svr": (SVR(), True),
        "knn": (KNeighborsRegressor(), True),
        "random_forest": (RandomForestRegressor(n_estimators=200, random_state=seed, n_jobs=1),
                          False),
        "extra_trees": (ExtraTreesRegressor(n_estimators=200, random_state=seed, n_jobs=1),
                        False),
        "hist_gradient_boosting": (HistGradientBoostingRegressor(random_state=seed), False),
        "xgboost": (XGBRegressor(n_estimators=300, random_state=seed, n_jobs=1, verbosity=0),
                    False),
        "lightgbm": (LGBMRegressor(n_estimators=300, random_state=seed, n_jobs=1, verbose=-1),
                     False),
        "mlp": (MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=500, early_stopping=True,
                             random_state=seed), True),
    }
    return {name: (estimator, space(name, SIMULATED), scaled)
            for name, (estimator, scaled) in estimators.items()}


BASELINES: tuple[str, ...] = tuple(_models(0))


class LogTargetRegressor(RegressorMixin, BaseEstimator):
    """Fit a regressor on the signed-log target and predict on the original scale.

    The target is transformed as sign(y) log(1 + |y|), so the few extreme simulated fluxes
    do not dominate the fit; predictions are clipped on that scale to the training range
    widened by ``margin`` of its width, then transformed back.

    Parameters
    ----------
    regressor : estimator
        Any scikit-learn regressor (cloned at ``fit``).
    margin : float, default 0.1
        Share of the training range of the transformed target added on each side.

    Attributes
    ----------
    regressor_ : estimator
        The fitted clone of ``regressor``.
    z_range_ : tuple of float
        The clipping range on the transformed scale.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> model = LogTargetRegressor(regressor=Ridge()).fit([[0.0], [1.0], [2.0]], [1, 10, 100])
    >>> model.predict([[1.0]]).shape
    (1,)
    """

    def __init__(self, *, regressor=None, margin: float = 0.1):
        self.regressor = regressor
        self.margin = margin

    def fit(self, X, y):
        self.n_features_in_ = np.shape(X)[1]
        z = signed_log1p(np.asarray(y, dtype=float))
        width = float(z.max() - z.min())
        self.z_range_ = (z.min() - self.margin * width, z.max() + self.margin * width)
        with warnings.catch_warnings():  # the MLP's early stopping may end before convergence
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.regressor_ = clone(self.regressor).fit(X, z)
        return self

    def predict(self, X):
        check_is_fitted(self, "regressor_")
        return signed_expm1(np.clip(self.regressor_.predict(X), *self.z_range_))


def make_baseline(name: str, seed: int, **params) -> LogTargetRegressor:
    """An untuned baseline pipeline (signed-log target, scaled inputs where needed)."""
    models = _models(seed)
    if name not in models:
        raise ValueError(f"baseline={name!r}: allowed values are {list(models)}")
    estimator, _, scaled = models[name]
    estimator = clone(estimator).set_params(**params)
    steps = [("scale", StandardScaler())] if scaled else []
    return LogTargetRegressor(regressor=Pipeline([*steps, ("model", estimator)]))


#: The MLP's internal early-stopping split (10 % of the rows) needs at least this many rows.
MLP_EARLY_STOPPING_ROWS = 50


def valid_candidates(name: str, candidates: list[dict], fit_rows: int) -> list[dict]:
    """Drawn candidates kept valid for the smallest fit they will meet (``fit_rows`` rows):
    never more neighbours than rows; the MLP's early stopping only where its split has rows
    enough. The one rule for every search of the baselines."""
    if name == "knn":
        return [c | {"n_neighbors": min(c["n_neighbors"], max(1, fit_rows))}
                for c in candidates]
    if name == "mlp":
        return [c | {"early_stopping": fit_rows >= MLP_EARLY_STOPPING_ROWS}
                for c in candidates]
    return candidates


def baseline_family(name: str) -> Family:
    """The baseline as a family of the one search (:mod:`kgfgnn.experiment.search`)."""
    models = _models(0)
    if name not in models:
        raise ValueError(f"baseline={name!r}: allowed values are {list(models)}")
    return Family(name, lambda p, seed: make_baseline(name, seed, **p), models[name][1])


def tune_baseline(name: str, X: np.ndarray, y: np.ndarray, seed: int, n_iter: int,
                  groups: np.ndarray | None = None):
    """:func:`kgfgnn.experiment.search.random_search` of ``n_iter`` candidates scored on the
    signed-log scale on a 25 % hold-out of rows, or of whole ``groups`` (sites, countries)
    where given; the best refitted on all X."""
    family = baseline_family(name)
    if groups is None:
        holdout = next(ShuffleSplit(n_splits=1, test_size=0.25, random_state=seed).split(X))
    else:
        holdout = grouped_holdout(np.asarray(groups), seed)
    candidates = valid_candidates(name, family.candidates(n_iter, seed), len(holdout[0]))
    model, params, _ = random_search(
        family, X, y, groups, seed, n_iter, holdout=holdout, candidates=candidates,
        score=lambda truth, pred: float(np.mean((signed_log1p(pred) - signed_log1p(truth))
                                                ** 2)))
    return model, params
