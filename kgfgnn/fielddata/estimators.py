"""Estimators of the real-data protocol that scikit-learn does not have, each with
scikit-learn's contract (``fit`` returns self, learned state ends in ``_``, ``predict``
checks it is fitted, ``n_features_in_``):

- :class:`LogLinearDoseResponse`: ln N2O = a + b ln(window) + c N rate (ordinary least
  squares), the three-parameter reference;
- :class:`MixedInterceptRegressor`: a linear mixed model with a random intercept per study
  (statsmodels ``MixedLM``, REML), the meta-analysis standard; an unseen study gets the
  fixed-effect prediction;
- :class:`TwinResidualRegressor`: learns ln measured - ln twin (residual learning on the
  process model) with any base estimator;
- :class:`CalibratedTwin`: the twin alone, with DSSAT's nitrification N2O share and a linear
  map of its log fitted on the training rows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from kgfgnn.fielddata.design import LN_WINDOW, TWIN_FLOOR_KG_N_HA


def _frame(X, name: str = "X") -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"{name}: a DataFrame with the design's named columns is required")
    return X


def _select(X: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(f"X lacks column(s) {missing}")
    return X[list(columns)]


class LogLinearDoseResponse(RegressorMixin, BaseEstimator):
    """The classic dose-response model: ln N2O = a + b ln(window days) + c N rate.

    Fitted by least squares on ``columns``: the exponential response to the N rate that
    Philibert, Loyce & Makowski (2012) compared with a linear one, here one response across
    studies with the measurement window's length.

    Parameters
    ----------
    columns : tuple of str, default ("ln_window_days", "N_rate")
        The predictors, in the order of the coefficients.

    Attributes
    ----------
    model_ : LinearRegression
        The fitted line.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"ln_window_days": [5.9, 5.9, 5.2], "N_rate": [0, 100, 200]})
    >>> LogLinearDoseResponse().fit(X, [0.1, 0.5, 0.9]).predict(X).shape
    (3,)
    """

    def __init__(self, *, columns: tuple[str, ...] = (LN_WINDOW, "N_rate")):
        self.columns = columns

    def fit(self, X, y):
        X = _frame(X)
        self.n_features_in_ = X.shape[1]
        self.model_ = LinearRegression().fit(_select(X, self.columns).to_numpy(float), y)
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        return self.model_.predict(_select(_frame(X), self.columns).to_numpy(float))


class MixedInterceptRegressor(RegressorMixin, BaseEstimator):
    """Linear mixed model with a random intercept per group (statsmodels ``MixedLM``, REML).

    Fixed effects of ``columns``: empty cells get the training median plus an indicator where
    any is empty, then the columns are standardised; constant and linearly dependent columns
    are left out (in column order). With too few groups to estimate their variance the fit
    falls back to its boundary value 0 (least squares), recorded in ``boundary_``.

    Parameters
    ----------
    columns : tuple of str or None, default None
        Fixed-effect columns (None: every column of ``X``).

    Attributes
    ----------
    fe_params_ : ndarray
        Intercept and fixed-effect coefficients on the standardised columns.
    study_variance_, residual_variance_ : float
        The random intercept's variance and the residual variance.
    boundary_ : bool
        Whether the group variance was fixed at 0.

    Examples
    --------
    >>> model = MixedInterceptRegressor(columns=("ln_window_days", "N_rate"))  # doctest: +SKIP
    >>> model.fit(X, y, groups=studies).predict(X_new)       # an unseen study  # doctest: +SKIP
    """

    def __init__(self, *, columns: tuple[str, ...] | None = None):
        self.columns = columns

    def _fixed(self, X: pd.DataFrame, fit: bool) -> np.ndarray:
        values = _select(X, self.columns_).to_numpy(float)
        if fit:
            self.imputer_ = SimpleImputer(strategy="median", add_indicator=True,
                                          keep_empty_features=True).fit(values)
            self.scaler_ = StandardScaler().fit(self.imputer_.transform(values))
        z = self.scaler_.transform(self.imputer_.transform(values))
        return z[:, self.keep_]

    def fit(self, X, y, groups=None):
        if groups is None:
            raise ValueError("groups: the mixed model needs the study of every row")
        X = _frame(X)
        self.n_features_in_ = X.shape[1]
        self.columns_ = tuple(self.columns or X.columns)
        self.keep_ = slice(None)
        z = self._fixed(X, fit=True)
        # drop constant and linearly dependent columns (one-hot sets, empty indicators)
        varying = np.flatnonzero(z.std(axis=0) > 0)
        # (in column order; fewer rows than columns leave the columns past the rank out)
        diagonal = np.zeros(len(varying))
        if len(varying):
            r = np.linalg.qr(z[:, varying], mode="r")
            diagonal[:min(r.shape)] = np.abs(np.diag(r))
        independent = diagonal > 1e-6 * max(1.0, diagonal.max(initial=0.0))
        self.keep_ = varying[independent]
        import statsmodels.api as sm  # the mixed model's library, loaded when one is fitted

        exog = sm.add_constant(z[:, self.keep_], has_constant="add")
        y = np.asarray(y, float)
        try:
            with warnings.catch_warnings():  # boundary fits (study variance ~0) warn
                warnings.simplefilter("ignore")
                result = sm.MixedLM(y, exog, groups=np.asarray(groups)).fit(
                    reml=True, method=["lbfgs", "powell"])
            self.fe_params_ = np.asarray(result.fe_params)
            self.study_variance_ = float(np.asarray(result.cov_re).ravel()[0])
            self.residual_variance_ = float(result.scale)
            self.boundary_ = False
        except (np.linalg.LinAlgError, ValueError):
            # too few studies to estimate their variance: its boundary value 0, i.e. the
            # fixed effects by least squares (recorded in ``boundary_``)
            self.fe_params_ = np.linalg.lstsq(exog, y, rcond=None)[0]
            self.study_variance_ = 0.0
            self.residual_variance_ = float(np.mean((exog @ self.fe_params_ - y) ** 2))
            self.boundary_ = True
        return self

    def predict(self, X):
        """The fixed-effect prediction (what an unseen study gets)."""
        check_is_fitted(self, "fe_params_")
        import statsmodels.api as sm

        exog = sm.add_constant(self._fixed(_frame(X), fit=False), has_constant="add")
        return exog @ self.fe_params_


class TwinResidualRegressor(RegressorMixin, BaseEstimator):
    """Learn the residual of a process model: ``base`` is fitted on y - X[twin_column] and the
    prediction adds the process model's value back.

    Parameters
    ----------
    base : estimator
        Any regressor (cloned at ``fit``).
    twin_column : str, default "twin_log_n2o_window"
        The column holding the process model's prediction on the target's scale.
    uses_groups : bool, default False
        Whether ``base.fit`` takes ``groups``.

    Attributes
    ----------
    base_ : estimator
        The fitted clone of ``base``.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> model = TwinResidualRegressor(base=Ridge()).fit(X_hybrid, y)   # doctest: +SKIP
    """

    def __init__(self, *, base=None, twin_column: str = "twin_log_n2o_window",
                 uses_groups: bool = False):
        self.base = base
        self.twin_column = twin_column
        self.uses_groups = uses_groups

    def fit(self, X, y, groups=None):
        X = _frame(X)
        self.n_features_in_ = X.shape[1]
        residual = np.asarray(y, float) - X[self.twin_column].to_numpy(float)
        self.base_ = clone(self.base)
        if self.uses_groups:
            self.base_.fit(X, residual, groups=groups)
        else:
            self.base_.fit(X, residual)
        return self

    def predict(self, X):
        check_is_fitted(self, "base_")
        X = _frame(X)
        return X[self.twin_column].to_numpy(float) + np.asarray(self.base_.predict(X)).ravel()


# Multipliers of DSSAT-CSM's nitrification N2O share (0.1 % of nitrified N, fixed in the
# binary; DayCent's default 2 %, Parton et al. 2001, is the multiplier 20) tried in calibration.
NITRIFICATION_MULTIPLIERS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0)
DSSAT_NITRIFICATION_SHARE_PCT = 0.1


class CalibratedTwin(RegressorMixin, BaseEstimator):
    """The process model calibrated on the training rows: ln measured = a + b ln twin_m.

    twin_m is the twin's window N2O with DSSAT-CSM's nitrification N2O share multiplied by
    m; m (on the grid ``multipliers``), a and b are fitted by least squares. Needs the
    design's twin columns ``twin_log_n2o_window`` and ``twin_log_nit_window``.

    Parameters
    ----------
    multipliers : tuple of float, default :data:`NITRIFICATION_MULTIPLIERS`
        The multipliers of the nitrification share tried.

    Attributes
    ----------
    multiplier_ : float
        The chosen multiplier.
    line_ : LinearRegression
        The fitted line on ln twin_m.

    Examples
    --------
    >>> CalibratedTwin().fit(X_hybrid, y).multiplier_    # doctest: +SKIP
    """

    def __init__(self, *, multipliers: tuple[float, ...] = NITRIFICATION_MULTIPLIERS):
        self.multipliers = multipliers

    @staticmethod
    def twin_log(X: pd.DataFrame, m: float) -> np.ndarray:
        emitted = np.exp(X["twin_log_n2o_window"].to_numpy(float))
        nitrif = np.exp(X["twin_log_nit_window"].to_numpy(float))
        return np.log(np.maximum(emitted + (m - 1.0) * nitrif, TWIN_FLOOR_KG_N_HA))

    def fit(self, X, y):
        X = _frame(X)
        self.n_features_in_ = X.shape[1]
        y = np.asarray(y, float)
        fits = []
        for m in self.multipliers:
            z = self.twin_log(X, m)[:, None]
            line = LinearRegression().fit(z, y)
            fits.append((float(np.mean((line.predict(z) - y) ** 2)), m, line))
        _, self.multiplier_, self.line_ = min(fits, key=lambda t: t[0])
        return self

    def predict(self, X):
        check_is_fitted(self, "line_")
        return self.line_.predict(self.twin_log(_frame(X), self.multiplier_)[:, None])
