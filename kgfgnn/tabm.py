"""TabM (Gorishniy et al. 2025, ICLR; pytabkit's ``TabM_D_Regressor``): a tabular deep network
with a parameter-efficient ensemble of ``k`` members, the tabular deep-learning reference of
both the simulated benchmark and the real-data protocol."""

from __future__ import annotations

import contextlib
import random
import warnings
from collections.abc import Iterator

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.impute import SimpleImputer
from sklearn.utils.validation import check_is_fitted

from kgfgnn.experiment.search import grouped_holdout
from kgfgnn.train import resolve_device


@contextlib.contextmanager
def _caller_rngs_kept() -> Iterator[None]:
    """pytabkit seeds torch's, numpy's and Python's global generators from ``random_state``;
    put the caller's states back afterwards."""
    import torch

    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


class TabMRegressor(RegressorMixin, BaseEstimator):
    """TabM (an efficient ensemble MLP) through pytabkit, as a scikit-learn regressor.

    Empty cells are imputed with the training median (indicators are already in the
    design); training stops early on a ``validation_fraction`` of held-out groups (or rows).
    ``y`` may hold several targets (one network, one output per target).

    Parameters
    ----------
    tabm_k : int, default 16
        Number of ensemble members that share the network's weights.
    d_block, n_blocks : int
        Width and number of the MLP blocks.
    lr, weight_decay, dropout : float
        AdamW learning rate and weight decay; dropout rate.
    n_epochs, patience : int
        Training cap and early-stopping patience.
    validation_fraction : float, default 0.2
        Share of groups (or rows) held out for early stopping.
    random_state : int, default 0
    device : str, default "auto"
        ``"auto"`` trains on CUDA when present, else ``"cpu"``.

    Attributes
    ----------
    model_ : pytabkit.TabM_D_Regressor
        The fitted network.
    imputer_ : SimpleImputer
        The training medians used for empty cells.
    n_outputs_ : int
        Number of targets.

    Examples
    --------
    >>> model = TabMRegressor(n_epochs=20).fit(X, y, groups=studies)   # doctest: +SKIP
    >>> model.predict(X_new)                                            # doctest: +SKIP
    """

    def __init__(self, *, tabm_k: int = 16, d_block: int = 256, n_blocks: int = 2,
                 lr: float = 2e-3, weight_decay: float = 1e-3, dropout: float = 0.1,
                 n_epochs: int = 200, patience: int = 16, validation_fraction: float = 0.2,
                 random_state: int = 0, device: str = "auto"):
        self.tabm_k = tabm_k
        self.d_block = d_block
        self.n_blocks = n_blocks
        self.lr = lr
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.n_epochs = n_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device = device

    def fit(self, X, y, groups=None):
        from pytabkit import TabM_D_Regressor

        values = np.asarray(X, dtype=float)
        self.n_features_in_ = values.shape[1]
        self.imputer_ = SimpleImputer(strategy="median", keep_empty_features=True).fit(values)
        values = self.imputer_.transform(values)
        y = np.asarray(y, dtype=float)
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        if groups is not None and len(np.unique(groups)) >= 4:
            fit_idx, val_idx = grouped_holdout(np.asarray(groups), self.random_state,
                                               self.validation_fraction)
        else:
            order = np.random.default_rng(self.random_state).permutation(len(y))
            n_val = max(1, int(self.validation_fraction * len(y)))
            val_idx, fit_idx = order[:n_val], order[n_val:]
        self.model_ = TabM_D_Regressor(
            random_state=self.random_state, tabm_k=self.tabm_k, d_block=self.d_block,
            n_blocks=self.n_blocks, lr=self.lr, weight_decay=self.weight_decay,
            dropout=self.dropout, n_epochs=self.n_epochs, patience=self.patience,
            n_threads=1, verbosity=0, device=resolve_device(self.device).type)
        with warnings.catch_warnings(), _caller_rngs_kept():
            warnings.simplefilter("ignore", UserWarning)  # pytabkit's tensor conversion warns
            self.model_.fit(values[fit_idx], y[fit_idx], X_val=values[val_idx],
                            y_val=y[val_idx])
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        values = self.imputer_.transform(np.asarray(X, dtype=float))
        pred = np.asarray(self.model_.predict(values), dtype=float)
        return pred.reshape(len(values), -1) if self.n_outputs_ > 1 else pred.reshape(-1)
