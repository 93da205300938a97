"""Autoencoder feature extraction with a scikit-learn transformer interface.

An autoencoder is trained to reconstruct the standardised candidate variables. A variable's
significance is the increase in the autoencoder's validation reconstruction error when that
variable's column is permuted (mean over ``n_repeats`` permutations): variables that the
network cannot do without, because they carry information shared with the others, score high.
The selector keeps the ``top_k`` variables by that score; variables named in ``keep`` (the
fertilisation decisions the study is about) are always kept and count towards ``top_k``.
A reconstruction-based score cannot rank a variable that the design randomises independently
of everything else (such as the N rate): nothing else predicts it, so the bottleneck drops it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from torch import nn

from kgfgnn.atomic import atomic_path, write_json
from kgfgnn.early_stopping import EarlyStopping


def restore_scaler(mean, scale) -> StandardScaler:
    """A fitted ``StandardScaler`` rebuilt from its saved mean and scale."""
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_ = np.asarray(mean, dtype=float), np.asarray(scale, dtype=float)
    scaler.var_, scaler.n_features_in_ = scaler.scale_**2, len(scaler.mean_)
    return scaler


class Autoencoder(nn.Module):
    """Symmetric MLP autoencoder: d -> hidden -> latent -> hidden -> d."""

    def __init__(self, n_features: int, hidden: int, latent_dim: int):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_features, hidden), nn.GELU(),
                                     nn.Linear(hidden, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.GELU(),
                                     nn.Linear(hidden, n_features))

    def reset_parameters(self) -> None:
        """Draw every weight afresh, as at construction (the PyG convention)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class AutoencoderSelector(TransformerMixin, BaseEstimator):
    """Select the ``top_k`` most significant columns according to a trained autoencoder.

    ``transform`` returns the selected columns unchanged (not scaled), so the selector can
    sit in a ``Pipeline`` in front of any regressor. Significance is the loss increase when a
    column is permuted, averaged over ``n_repeats`` permutations of the validation rows.

    Parameters
    ----------
    top_k : int, default 12
        Number of columns kept (the columns in ``keep`` among them).
    latent_dim, hidden : int
        Width of the bottleneck and of the hidden layers.
    epochs, patience : int
        Training cap and early-stopping patience on the validation rows.
    lr : float, default 3e-3
        Adam learning rate.
    batch_size : int, default 128
    n_repeats : int, default 5
        Permutations per column in the significance estimate.
    validation_fraction : float, default 0.2
        Share of rows held out for early stopping and significance.
    keep : tuple of str, default ()
        Columns always selected (the decisions a user sets, such as the N rate).
    random_state : int, default 0
        Seed of initialisation, batching and permutations.

    Attributes
    ----------
    selected_ : list of str
        The selected columns: ``keep`` first, then the most significant.
    scores_ : Series
        Significance of every input column.
    history_ : DataFrame
        The autoencoder's training history.

    Examples
    --------
    >>> selector = AutoencoderSelector(top_k=8, keep=("n_rate_kg_ha",))  # doctest: +SKIP
    >>> X_selected = selector.fit(X).transform(X)                        # doctest: +SKIP
    """

    def __init__(self, *, top_k: int = 12, latent_dim: int = 6, hidden: int = 64,
                 epochs: int = 300, patience: int = 20, lr: float = 3e-3,
                 batch_size: int = 128, n_repeats: int = 5, validation_fraction: float = 0.2,
                 keep: tuple[str, ...] = (), random_state: int = 0):
        self.top_k = top_k
        self.keep = keep
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.epochs = epochs
        self.patience = patience
        self.lr = lr
        self.batch_size = batch_size
        self.n_repeats = n_repeats
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    def _validate_params(self, n_features: int) -> None:
        if not 1 <= self.top_k <= n_features:
            raise ValueError(f"top_k={self.top_k}: must be between 1 and {n_features} "
                             "(the number of input features)")
        if len(self.keep) > self.top_k:
            raise ValueError(f"keep has {len(self.keep)} names but top_k={self.top_k}")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction={self.validation_fraction}: must be in (0, 1)")

    def fit(self, X, y=None):
        names = (list(X.columns) if isinstance(X, pd.DataFrame)
                 else [f"x{i}" for i in range(np.shape(X)[1])])
        values = np.asarray(X, dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("X contains NaN or infinite values")
        self._validate_params(values.shape[1])
        unknown = [k for k in self.keep if k not in names]
        if unknown:
            raise ValueError(f"keep names {unknown} that are not columns of X")
        self.feature_names_in_ = np.array(names, dtype=object)
        self.n_features_in_ = values.shape[1]
        self.scaler_ = StandardScaler().fit(values)
        z = self.scaler_.transform(values).astype(np.float32)
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(z))
        n_val = max(1, int(round(self.validation_fraction * len(z))))
        val, train = torch.from_numpy(z[order[:n_val]]), torch.from_numpy(z[order[n_val:]])
        with torch.random.fork_rng(devices=[]):  # seeded without touching the caller's RNG
            torch.manual_seed(self.random_state)
            self.model_ = Autoencoder(self.n_features_in_, self.hidden, self.latent_dim)
            self.history_ = self._train(train, val)
        self.scores_ = pd.Series(self._permutation_scores(val.numpy(), rng),
                                 index=names, name="ae_significance")
        ranked = self.scores_.sort_values(ascending=False, kind="mergesort")
        rest = [n for n in ranked.index if n not in self.keep]
        self.selected_ = [*self.keep, *rest[: self.top_k - len(self.keep)]]
        return self

    def selection(self, candidates) -> list[str]:
        """The autoencoder's choice among ``candidates`` only (e.g. the drivers of the plan
        task): the ``keep`` columns, then the highest-scoring candidates, ``top_k`` in all."""
        check_is_fitted(self, "scores_")
        allowed = set(candidates)
        ranked = self.scores_.sort_values(ascending=False, kind="mergesort")
        rest = [n for n in ranked.index if n in allowed and n not in self.keep]
        return [*[k for k in self.keep if k in allowed], *rest[: self.top_k - len(self.keep)]]

    def _train(self, train: torch.Tensor, val: torch.Tensor) -> pd.DataFrame:
        opt = torch.optim.Adam(self.model_.parameters(), lr=self.lr)
        gen = torch.Generator().manual_seed(self.random_state)
        stopper, rows = EarlyStopping(self.model_, self.patience, min_delta=1e-6), []
        for epoch in range(self.epochs):
            self.model_.train()
            perm = torch.randperm(len(train), generator=gen)
            total = 0.0
            for start in range(0, len(train), self.batch_size):
                batch = train[perm[start:start + self.batch_size]]
                opt.zero_grad()
                loss = nn.functional.mse_loss(self.model_(batch), batch)
                loss.backward()
                opt.step()
                total += loss.item() * len(batch)
            val_loss = self._loss(val)
            rows.append({"epoch": epoch, "train_mse": total / len(train), "val_mse": val_loss})
            if stopper.step(val_loss):
                break
        stopper.restore()
        return pd.DataFrame(rows)

    @torch.no_grad()
    def _loss(self, z: torch.Tensor) -> float:
        self.model_.eval()
        return float(nn.functional.mse_loss(self.model_(z), z))

    def _permutation_scores(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        base = self._loss(torch.from_numpy(z))
        scores = np.zeros(z.shape[1])
        for j in range(z.shape[1]):
            for _ in range(self.n_repeats):
                shuffled = z.copy()
                shuffled[:, j] = rng.permutation(shuffled[:, j])
                scores[j] += self._loss(torch.from_numpy(shuffled)) - base
        return scores / self.n_repeats

    def transform(self, X):
        check_is_fitted(self, "selected_")
        if isinstance(X, pd.DataFrame):
            missing = [c for c in self.selected_ if c not in X.columns]
            if missing:
                raise ValueError(f"X lacks selected feature column(s) {missing}")
            return X[self.selected_].to_numpy(dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the selector was fitted on "
                             f"{self.n_features_in_}")
        idx = [list(self.feature_names_in_).index(c) for c in self.selected_]
        return X[:, idx]

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "selected_")
        return np.array(self.selected_, dtype=object)

    @torch.no_grad()
    def encode(self, X) -> np.ndarray:
        """Latent representation of ``X`` (all input columns, in fit order)."""
        check_is_fitted(self, "model_")
        z = self.scaler_.transform(np.asarray(X, dtype=np.float64)).astype(np.float32)
        return self.model_.encoder(torch.from_numpy(z)).numpy()

    def save(self, directory: str | Path) -> None:
        """Write ``ae_selector.json`` and ``ae_state.pt`` (atomically) to ``directory``."""
        check_is_fitted(self, "selected_")
        directory = Path(directory)
        with atomic_path(directory / "ae_state.pt") as tmp:
            torch.save(self.model_.state_dict(), tmp)
        write_json({
            "params": self.get_params(), "feature_names_in": list(self.feature_names_in_),
            "scaler_mean": self.scaler_.mean_.tolist(),
            "scaler_scale": self.scaler_.scale_.tolist(),
            "scores": self.scores_.to_dict(), "selected": self.selected_,
            "history": self.history_.to_dict(orient="list"),
        }, directory / "ae_selector.json")

    @classmethod
    def load(cls, directory: str | Path) -> AutoencoderSelector:
        """Rebuild a fitted selector saved by :meth:`save`."""
        directory = Path(directory)
        meta = json.loads((directory / "ae_selector.json").read_text())
        params = meta["params"] | {"keep": tuple(meta["params"].get("keep", ()))}
        self = cls(**params)
        self.feature_names_in_ = np.array(meta["feature_names_in"], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.scaler_ = restore_scaler(meta["scaler_mean"], meta["scaler_scale"])
        self.model_ = Autoencoder(self.n_features_in_, self.hidden, self.latent_dim)
        state = torch.load(directory / "ae_state.pt", weights_only=True)
        self.model_.load_state_dict(state)
        self.model_.eval()
        self.scores_ = pd.Series(meta["scores"], name="ae_significance")
        self.selected_ = list(meta["selected"])
        self.history_ = pd.DataFrame(meta["history"])
        return self
