"""Fitting KG-FGNN: seeded training with early stopping, checkpoints and an sklearn wrapper."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from kgfgnn import __version__
from kgfgnn.atomic import atomic_path
from kgfgnn.features import restore_scaler
from kgfgnn.graphs import GraphSpec
from kgfgnn.models import KGFGNN


def signed_log1p(y: np.ndarray) -> np.ndarray:
    """sign(y) log(1 + |y|): a log scale for fluxes that keeps zeros and small negatives."""
    return np.sign(y) * np.log1p(np.abs(y))


def signed_expm1(z: np.ndarray) -> np.ndarray:
    """Inverse of :func:`signed_log1p`."""
    return np.sign(z) * np.expm1(np.abs(z))


def _identity(values: np.ndarray) -> np.ndarray:
    return values


# name -> (forward, inverse): the scale on which the network is trained
TARGET_TRANSFORMS = {"signed_log1p": (signed_log1p, signed_expm1),
                     "identity": (_identity, _identity)}


class KGFGNNRegressor(RegressorMixin, BaseEstimator):
    """scikit-learn style wrapper around :class:`~kgfgnn.models.KGFGNN`.

    ``X`` is a DataFrame holding at least the graph's node columns; ``y`` a DataFrame with one
    column per target of ``spec`` (or an array in that order). Targets are modelled on the
    signed-log scale (``target_transform="signed_log1p"``; ``"identity"`` for targets that
    are already on a log scale), standardised; predictions come back on the original scale,
    clipped on the model scale to the training targets' range widened by 10 % (as for the
    baselines).
    """

    def __init__(self, spec: GraphSpec | None = None, layer: str = "sage", hidden: int = 32,
                 n_layers: int = 2, dropout: float = 0.1, fusion: bool = True,
                 readout: str = "pool", message_passing: str = "dense",
                 lr: float = 3e-3, weight_decay: float = 1e-4, epochs: int = 200,
                 patience: int = 20, batch_size: int = 128, validation_fraction: float = 0.15,
                 target_transform: str = "signed_log1p", random_state: int = 0,
                 progress: bool = False):
        self.spec = spec
        self.layer = layer
        self.hidden = hidden
        self.n_layers = n_layers
        self.dropout = dropout
        self.fusion = fusion
        self.readout = readout
        self.message_passing = message_passing
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.patience = patience
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.target_transform = target_transform
        self.random_state = random_state
        self.progress = progress

    # ----------------------------------------------------------------------------- fitting
    def _x(self, X) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            missing = [c for c in self.spec.nodes if c not in X.columns]
            if missing:
                raise ValueError(f"X lacks graph node column(s) {missing}")
            X = X[self.spec.nodes]
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.spec.nodes):
            raise ValueError(f"X must have {len(self.spec.nodes)} columns (the graph's nodes), "
                             f"got shape {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinite values")
        return X

    def _y(self, y) -> np.ndarray:
        targets = list(self.spec.edges)
        if isinstance(y, pd.DataFrame):
            y = y[targets]
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if y.shape[1] != len(targets):
            raise ValueError(f"y must have {len(targets)} column(s) {targets}, got {y.shape[1]}")
        return y

    def _forward_y(self, y: np.ndarray) -> np.ndarray:
        if self.target_transform not in TARGET_TRANSFORMS:
            raise ValueError(f"target_transform={self.target_transform!r}: allowed values are "
                             f"{list(TARGET_TRANSFORMS)}")
        return TARGET_TRANSFORMS[self.target_transform][0](y)

    def _inverse_y(self, z: np.ndarray) -> np.ndarray:
        return TARGET_TRANSFORMS[self.target_transform][1](z)

    def _build(self) -> KGFGNN:
        topology = {t: self.spec.edge_index(t) for t in self.spec.edges}
        return KGFGNN(len(self.spec.nodes), topology, layer=self.layer, hidden=self.hidden,
                      n_layers=self.n_layers, dropout=self.dropout, fusion=self.fusion,
                      readout=self.readout, message_passing=self.message_passing)

    def fit(self, X, y):
        if self.spec is None:
            raise ValueError("spec=None: a GraphSpec is required")
        X, y = self._x(X), self._y(y)
        self.x_scaler_ = StandardScaler().fit(X)
        self.y_scaler_ = StandardScaler().fit(self._forward_y(y))
        self._update_range(y)
        torch.manual_seed(self.random_state)
        self.model_ = self._build()
        self.history_ = self._train(X, y, self.epochs, self.lr, "fit")
        return self

    def fine_tune(self, X, y, epochs: int, lr: float | None = None):
        """Continue training a fitted model on new data (scalers kept from the first fit)."""
        check_is_fitted(self, "model_")
        X, y = self._x(X), self._y(y)
        self._update_range(y)
        torch.manual_seed(self.random_state + 1)
        self.history_ = pd.concat([self.history_, self._train(
            X, y, epochs, lr if lr is not None else self.lr / 3, "fine_tune")],
            ignore_index=True)
        return self

    def _update_range(self, y: np.ndarray) -> None:
        """Range of the standardised training targets (per target), widened by 10 %."""
        z = self.y_scaler_.transform(self._forward_y(y))
        low, high = z.min(axis=0), z.max(axis=0)
        if hasattr(self, "z_low_"):
            low, high = np.minimum(low, self.z_low_), np.maximum(high, self.z_high_)
        else:
            width = high - low
            low, high = low - 0.1 * width, high + 0.1 * width
        self.z_low_, self.z_high_ = low, high

    def _tensors(self, X, y=None):
        xt = torch.from_numpy(self.x_scaler_.transform(X).astype(np.float32))
        if y is None:
            return xt
        return xt, torch.from_numpy(self.y_scaler_.transform(self._forward_y(y))
                                    .astype(np.float32))

    def _train(self, X, y, epochs: int, lr: float, stage: str) -> pd.DataFrame:
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(X))
        n_val = max(1, int(round(self.validation_fraction * len(X)))) if len(X) > 4 else 0
        val_idx, train_idx = order[:n_val], order[n_val:]
        xt, yt = self._tensors(X, y)
        opt = torch.optim.AdamW(self.model_.parameters(), lr=lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5,
                                                           patience=max(2, self.patience // 3))
        gen = torch.Generator().manual_seed(self.random_state)
        best, best_state, wait, rows = np.inf, None, 0, []
        train_t = torch.from_numpy(train_idx)
        bar = tqdm(range(epochs), desc=f"KG-FGNN {stage}", disable=not self.progress)
        for epoch in bar:
            self.model_.train()
            perm = train_t[torch.randperm(len(train_t), generator=gen)]
            total = 0.0
            for start in range(0, len(perm), self.batch_size):
                idx = perm[start:start + self.batch_size]
                if len(idx) < 2:
                    continue
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(self.model_(xt[idx]), yt[idx])
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            train_loss = total / max(len(train_idx), 1)
            monitored = self._mse(xt[val_idx], yt[val_idx]) if n_val else train_loss
            sched.step(monitored)
            rows.append({"stage": stage, "epoch": epoch, "train_mse": train_loss,
                         "val_mse": monitored, "lr": opt.param_groups[0]["lr"]})
            bar.set_postfix(val=f"{monitored:.4f}")
            if monitored < best - 1e-5:
                best, wait = monitored, 0
                best_state = copy.deepcopy(self.model_.state_dict())
            else:
                wait += 1
                if wait >= self.patience:
                    break
        if best_state is not None:
            self.model_.load_state_dict(best_state)
        self.model_.eval()
        return pd.DataFrame(rows)

    @torch.no_grad()
    def _mse(self, xt, yt) -> float:
        self.model_.eval()
        return float(torch.nn.functional.mse_loss(self.model_(xt), yt))

    # -------------------------------------------------------------------------- prediction
    @torch.no_grad()
    def predict(self, X) -> np.ndarray:
        """Predictions on the original scale, shape (n, targets) (or (n,) for one target)."""
        check_is_fitted(self, "model_")
        self.model_.eval()
        X = self._x(X)
        out = []
        for start in range(0, len(X), 4096):
            out.append(self.model_(self._tensors(X[start:start + 4096])).numpy())
        z = np.concatenate(out) if out else np.zeros((0, len(self.spec.edges)))
        z = np.clip(z, self.z_low_, self.z_high_)
        y = self._inverse_y(self.y_scaler_.inverse_transform(z))
        return y[:, 0] if y.shape[1] == 1 else y

    # ------------------------------------------------------------------------- persistence
    def save(self, path: str | Path, extra: dict | None = None) -> None:
        """Checkpoint with everything needed to predict, loadable with ``weights_only=True``."""
        check_is_fitted(self, "model_")
        params = {k: v for k, v in self.get_params().items() if k != "spec"}
        checkpoint = {
            "version": __version__, "params": params,
            "spec": {"nodes": self.spec.nodes,
                     "edges": {t: [list(e) for e in rows] for t, rows in self.spec.edges.items()}},
            "x_mean": self.x_scaler_.mean_.tolist(), "x_scale": self.x_scaler_.scale_.tolist(),
            "y_mean": self.y_scaler_.mean_.tolist(), "y_scale": self.y_scaler_.scale_.tolist(),
            "z_low": self.z_low_.tolist(), "z_high": self.z_high_.tolist(),
            "state_dict": self.model_.state_dict(), "extra": extra or {},
        }
        with atomic_path(path) as tmp:
            torch.save(checkpoint, tmp)

    @classmethod
    def load(cls, path: str | Path) -> tuple[KGFGNNRegressor, dict]:
        """Rebuild a fitted regressor and return it with the checkpoint's ``extra`` dict."""
        ckpt = torch.load(path, weights_only=True)
        spec = GraphSpec(ckpt["spec"]["nodes"],
                         {t: [tuple(e) for e in rows] for t, rows in ckpt["spec"]["edges"].items()})
        self = cls(spec=spec, **ckpt["params"])
        self.x_scaler_ = restore_scaler(ckpt["x_mean"], ckpt["x_scale"])
        self.y_scaler_ = restore_scaler(ckpt["y_mean"], ckpt["y_scale"])
        self.z_low_, self.z_high_ = np.array(ckpt["z_low"]), np.array(ckpt["z_high"])
        self.model_ = self._build()
        self.model_.load_state_dict(ckpt["state_dict"])
        self.model_.eval()
        return self, ckpt["extra"]
