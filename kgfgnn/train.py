"""Fitting KG-FGNN: seeded training with early stopping, checkpoints and an sklearn wrapper."""

from __future__ import annotations

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
from kgfgnn.early_stopping import EarlyStopping
from kgfgnn.features import restore_scaler
from kgfgnn.graphs import GraphSpec
from kgfgnn.models import KGFGNN
from kgfgnn.scales import signed_expm1, signed_log1p
from kgfgnn.seeds import FINE_TUNE, spawn


def _identity(values: np.ndarray) -> np.ndarray:
    return values


# name -> (forward, inverse): the scale on which the network is trained
TARGET_TRANSFORMS = {"signed_log1p": (signed_log1p, signed_expm1),
                     "identity": (_identity, _identity)}
DEVICES = ("auto", "cpu", "cuda")
# Rows per forward pass in predict: the activations of a larger chunk leave the CPU caches
# (benchmarks/gnn_speed.py, 2 cores: 44 nodes, hidden 64, concat readout 3,800 samples/s at
# 1,024 rows against 1,400 at 4,096; the default architecture 48,000 against 45,000); each
# row's prediction does not depend on the chunk.
PREDICT_CHUNK = 1024


def resolve_device(device: str) -> torch.device:
    """``"auto"``: CUDA when a GPU is present, else the CPU."""
    if device not in DEVICES:
        raise ValueError(f"device={device!r}: allowed values are {list(DEVICES)}")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda': no CUDA device is available (use 'auto' or 'cpu')")
    return torch.device(device)


class KGFGNNRegressor(RegressorMixin, BaseEstimator):
    """scikit-learn style wrapper around :class:`~kgfgnn.models.KGFGNN`.

    ``X`` is a DataFrame holding at least the graph's node columns; ``y`` a DataFrame with one
    column per target of ``spec`` (or an array in that order). Targets are modelled on the
    signed-log scale (``target_transform="signed_log1p"``; ``"identity"`` for targets that
    are already on a log scale), standardised; predictions come back on the original scale,
    clipped on the model scale to the training targets' range widened by 10 % (as for the
    baselines).

    Nodes listed in ``spec.latent`` are not read from ``X`` (their input is zero). ``aux``
    passed to :meth:`fit` holds simulated values of intermediate nodes (states, process
    rates: columns named by graph nodes); they are supervised as auxiliary outputs on the
    signed-log, standardised scale, with loss weight ``aux_weight`` relative to the targets'
    (the process-guided hierarchy of KGML-ag, Liu et al. 2022). Early stopping monitors the
    targets alone.

    Training steps use fused AdamW (one kernel over all weights) and byte-mask dropout
    (:class:`~kgfgnn.models.ByteMaskDropout`); ``device`` ``"auto"`` trains on CUDA when
    present.

    Parameters
    ----------
    spec : GraphSpec
        Nodes, per-target edges and latent nodes (:func:`kgfgnn.graphs.build_multigraph`).
    layer : {"rgcn", "gcn", "sage", "gat", "gin"}
        Message-passing layer.
    hidden, n_layers : int
        Width and depth of every target's branch.
    dropout : float in [0, 1)
        Dropout rate (a later ``set_params`` reaches the network at :meth:`fine_tune`).
    fusion : bool
        Attention across the targets' pooled branches.
    readout : {"pool", "concat"}
        Pooled node embeddings or all of them concatenated, per target.
    message_passing : {"dense", "sparse"}
        Dense adjacency products (fast on small graphs) or PyG's sparse ``edge_index`` path.
    lr, weight_decay, epochs, patience, batch_size, validation_fraction
        AdamW settings, the epoch cap, early-stopping patience on a validation split.
    progress : bool
        Show a progress bar over the epochs (tqdm).
    target_transform : {"signed_log1p", "identity"}
        Scale on which the targets are modelled.
    random_state : int
        Seed of initialisation, batching, dropout and the validation split.
    context : tuple of str
        Columns entering each readout linearly rather than as graph nodes.
    aux_weight : float
        Weight of the supervised intermediate nodes' loss (``aux`` in :meth:`fit`).
    device : {"auto", "cpu", "cuda"}

    Attributes
    ----------
    model_ : KGFGNN
        The trained network (on the CPU after fitting).
    history_ : DataFrame
        Per epoch: stage, train and validation MSE on the standardised scale.
    x_scaler_, y_scaler_ : StandardScaler
        Input and target standardisation.

    Examples
    --------
    >>> spec = build_multigraph(X, Y, nodes, corr_threshold=0.3)        # doctest: +SKIP
    >>> model = KGFGNNRegressor(spec=spec, epochs=50).fit(X, Y)        # doctest: +SKIP
    >>> model.predict(X_new)                                           # doctest: +SKIP
    """

    # Options of the training step's AdamW (benchmarks/gnn_speed.py compares them).
    optimizer_options: dict = {"fused": True}

    def __init__(self, *, spec: GraphSpec | None = None, layer: str = "sage", hidden: int = 32,
                 n_layers: int = 2, dropout: float = 0.1, fusion: bool = True,
                 readout: str = "pool", message_passing: str = "dense",
                 lr: float = 3e-3, weight_decay: float = 1e-4, epochs: int = 200,
                 patience: int = 20, batch_size: int = 128, validation_fraction: float = 0.15,
                 target_transform: str = "signed_log1p", random_state: int = 0,
                 progress: bool = False, context: tuple[str, ...] = (),
                 aux_weight: float = 1.0, device: str = "auto"):
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
        self.context = context
        self.aux_weight = aux_weight
        self.device = device

    # ----------------------------------------------------------------------------- fitting
    def _x(self, X) -> np.ndarray:
        columns = [*self.spec.observed, *self.context]
        if isinstance(X, pd.DataFrame):
            missing = [c for c in columns if c not in X.columns]
            if missing:
                raise ValueError(f"X lacks graph node or context column(s) {missing}")
            X = X[columns]
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(columns):
            raise ValueError(f"X must have {len(columns)} columns (the graph's nodes and the "
                             f"context), got shape {X.shape}")
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
        position = {n: i for i, n in enumerate(self.spec.nodes)}
        aux_nodes = {position[n]: self.spec.pathway_targets(n) for n in self.aux_columns_}
        return KGFGNN(len(self.spec.nodes), topology, layer=self.layer, hidden=self.hidden,
                      n_layers=self.n_layers, dropout=self.dropout, fusion=self.fusion,
                      readout=self.readout, message_passing=self.message_passing,
                      n_context=len(self.context), aux_nodes=aux_nodes
                      ).to(resolve_device(self.device))

    def _aux(self, aux, n: int) -> np.ndarray | None:
        """Auxiliary node values (n, n_aux) on the signed-log scale, or None."""
        if aux is None:
            self.aux_columns_ = []
            return None
        if not isinstance(aux, pd.DataFrame):
            raise ValueError("aux must be a DataFrame whose columns are graph nodes")
        unknown = [c for c in aux.columns if c not in self.spec.nodes]
        if unknown:
            raise ValueError(f"aux column(s) {unknown} are not nodes of the graph")
        if len(aux) != n:
            raise ValueError(f"aux has {len(aux)} rows for {n} rows of X")
        values = aux.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            raise ValueError("aux contains NaN or infinite values")
        if self.aux_weight < 0:
            raise ValueError(f"aux_weight={self.aux_weight}: must be >= 0")
        self.aux_columns_ = list(aux.columns)
        return signed_log1p(values)

    def fit(self, X, y, groups=None, aux=None):
        """Train from scratch; with ``groups``, early stopping holds out whole groups
        (sites, studies) instead of random rows; ``aux``: simulated values of intermediate
        nodes to supervise (see the class docstring). A second fit starts afresh."""
        if self.spec is None:
            raise ValueError("spec=None: a GraphSpec is required")
        X, y = self._x(X), self._y(y)
        aux_values = self._aux(aux, len(X))
        self.n_features_in_ = X.shape[1]
        self.x_scaler_ = StandardScaler().fit(X)
        self.y_scaler_ = StandardScaler().fit(self._forward_y(y))
        self.aux_scaler_ = None if aux_values is None else StandardScaler().fit(aux_values)
        self.z_low_, self.z_high_ = self._range(y)
        with torch.random.fork_rng(devices=[]):  # seeded without touching the caller's RNG
            torch.manual_seed(self.random_state)
            self.model_ = self._build()
            self.history_ = self._train(X, y, self.epochs, self.lr, "fit", groups, aux_values)
        return self

    def fine_tune(self, X, y, epochs: int, lr: float | None = None, groups=None,
                  refit_scalers: bool = False, probe_epochs: int = 0):
        """Continue training a fitted model on new data, with the estimator's current
        ``dropout``, ``weight_decay``, ``patience`` and seed (``set_params`` before it).

        ``refit_scalers``: standardise inputs and targets with the new data's own scalers
        (else the first fit's). ``probe_epochs``: first train only the output heads for that
        many epochs at ``lr`` x 3 (a linear probe), then every weight (linear-probe-then-
        fine-tune, Kumar et al. 2022). The clipping range is the new data's."""
        check_is_fitted(self, "model_")
        X, y = self._x(X), self._y(y)
        self.model_.set_dropout(self.dropout)  # a dropout set since the fit takes effect
        if refit_scalers:
            self.x_scaler_ = StandardScaler().fit(X)
            self.y_scaler_ = StandardScaler().fit(self._forward_y(y))
        self.z_low_, self.z_high_ = self._range(y)
        lr = lr if lr is not None else self.lr / 3
        parts = [self.history_]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(spawn(self.random_state, FINE_TUNE))
            if probe_epochs > 0:
                heads = {id(p) for p in self.model_.heads.parameters()}
                for p in self.model_.parameters():
                    p.requires_grad_(id(p) in heads)
                try:
                    parts.append(self._train(X, y, probe_epochs, lr * 3, "probe", groups))
                finally:
                    for p in self.model_.parameters():
                        p.requires_grad_(True)
            parts.append(self._train(X, y, epochs, lr, "fine_tune", groups))
        self.history_ = pd.concat(parts, ignore_index=True)
        return self

    def _range(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Range of the standardised training targets (per target), widened by 10 %."""
        z = self.y_scaler_.transform(self._forward_y(y))
        low, high = z.min(axis=0), z.max(axis=0)
        width = high - low
        return low - 0.1 * width, high + 0.1 * width

    def _tensors(self, X, y=None):
        """Model inputs (latent nodes at zero) and, with ``y``, scaled targets, on the
        model's device."""
        scaled = self.x_scaler_.transform(X).astype(np.float32)
        if self.spec.latent:
            full = np.zeros((len(X), len(self.spec.nodes) + len(self.context)), np.float32)
            hidden = set(self.spec.latent)
            full[:, [i for i, n in enumerate(self.spec.nodes) if n not in hidden]] = \
                scaled[:, :len(self.spec.observed)]
            full[:, len(self.spec.nodes):] = scaled[:, len(self.spec.observed):]
            scaled = full
        device = next(self.model_.parameters()).device
        xt = torch.from_numpy(scaled).to(device)
        if y is None:
            return xt
        return xt, torch.from_numpy(self.y_scaler_.transform(self._forward_y(y))
                                    .astype(np.float32)).to(device)

    def _split(self, n: int, groups) -> tuple[np.ndarray, np.ndarray]:
        """Early-stopping rows (``validation_fraction`` of rows, or of groups) and the rest."""
        rng = np.random.default_rng(self.random_state)
        if groups is not None:
            groups = np.asarray(groups)
            if len(groups) != n:
                raise ValueError(f"groups: {len(groups)} values for {n} rows")
            names = np.unique(groups)
            if len(names) >= 4:
                n_val = max(1, int(round(self.validation_fraction * len(names))))
                held = rng.permutation(names)[:n_val]
                mask = np.isin(groups, held)
                return np.flatnonzero(mask), np.flatnonzero(~mask)
        order = rng.permutation(n)
        n_val = max(1, int(round(self.validation_fraction * n))) if n > 4 else 0
        return order[:n_val], order[n_val:]

    def _train(self, X, y, epochs: int, lr: float, stage: str, groups=None,
               aux: np.ndarray | None = None) -> pd.DataFrame:
        val_idx, train_idx = self._split(len(X), groups)
        n_val = len(val_idx)
        xt, yt = self._tensors(X, y)
        at = (None if aux is None else torch.from_numpy(
            self.aux_scaler_.transform(aux).astype(np.float32)).to(xt.device))
        params = [p for p in self.model_.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=self.weight_decay,
                                **self.optimizer_options)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5,
                                                           patience=max(2, self.patience // 3))
        gen = torch.Generator().manual_seed(self.random_state)
        stopper, rows = EarlyStopping(self.model_, self.patience, min_delta=1e-5), []
        train_t = torch.from_numpy(train_idx).to(xt.device)
        mse = torch.nn.functional.mse_loss
        bar = tqdm(range(epochs), desc=f"KG-FGNN {stage}", disable=not self.progress)
        for epoch in bar:
            self.model_.train()
            perm = train_t[torch.randperm(len(train_t), generator=gen).to(xt.device)]
            total = torch.zeros((), device=xt.device)
            for start in range(0, len(perm), self.batch_size):
                idx = perm[start:start + self.batch_size]
                if len(idx) < 2:
                    continue
                opt.zero_grad()
                pred, aux_pred = self.model_.forward_with_aux(xt[idx])
                loss = mse(pred, yt[idx])
                if at is not None:
                    loss = loss + self.aux_weight * mse(aux_pred, at[idx])
                loss.backward()
                opt.step()
                total += loss.detach() * len(idx)
            train_loss = float(total) / max(len(train_idx), 1)
            monitored = self._mse(xt[val_idx], yt[val_idx]) if n_val else train_loss
            sched.step(monitored)
            rows.append({"stage": stage, "epoch": epoch, "train_mse": train_loss,
                         "val_mse": monitored, "lr": opt.param_groups[0]["lr"]})
            bar.set_postfix(val=f"{monitored:.4f}")
            if stopper.step(monitored):
                break
        stopper.restore()
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
        for start in range(0, len(X), PREDICT_CHUNK):
            rows = X[start:start + PREDICT_CHUNK]
            out.append(self.model_(self._tensors(rows)).cpu().numpy())
        z = np.concatenate(out) if out else np.zeros((0, len(self.spec.edges)))
        z = np.clip(z, self.z_low_, self.z_high_)
        y = self._inverse_y(self.y_scaler_.inverse_transform(z))
        return y[:, 0] if y.shape[1] == 1 else y

    # ------------------------------------------------------------------------- persistence
    def save(self, path: str | Path, extra: dict | None = None) -> None:
        """Checkpoint with everything needed to predict, loadable with ``weights_only=True``."""
        check_is_fitted(self, "model_")
        params = {k: v for k, v in self.get_params().items() if k != "spec"}
        params["context"] = list(self.context)
        checkpoint = {
            "version": __version__, "params": params,
            "spec": {"nodes": self.spec.nodes, "latent": list(self.spec.latent),
                     "edges": {t: [list(e) for e in rows] for t, rows in self.spec.edges.items()}},
            "aux_columns": list(self.aux_columns_),
            "x_mean": self.x_scaler_.mean_.tolist(), "x_scale": self.x_scaler_.scale_.tolist(),
            "y_mean": self.y_scaler_.mean_.tolist(), "y_scale": self.y_scaler_.scale_.tolist(),
            "z_low": self.z_low_.tolist(), "z_high": self.z_high_.tolist(),
            "state_dict": {k: v.cpu() for k, v in self.model_.state_dict().items()},
            "extra": extra or {},
        }
        with atomic_path(path) as tmp:
            torch.save(checkpoint, tmp)

    @classmethod
    def load(cls, path: str | Path) -> tuple[KGFGNNRegressor, dict]:
        """Rebuild a fitted regressor and return it with the checkpoint's ``extra`` dict."""
        ckpt = torch.load(path, weights_only=True, map_location="cpu")
        spec = GraphSpec(ckpt["spec"]["nodes"],
                         {t: [tuple(e) for e in rows] for t, rows in ckpt["spec"]["edges"].items()},
                         list(ckpt["spec"].get("latent", [])))
        params = ckpt["params"] | {"context": tuple(ckpt["params"].get("context", ()))}
        self = cls(spec=spec, **params)
        self.x_scaler_ = restore_scaler(ckpt["x_mean"], ckpt["x_scale"])
        self.y_scaler_ = restore_scaler(ckpt["y_mean"], ckpt["y_scale"])
        self.z_low_, self.z_high_ = np.array(ckpt["z_low"]), np.array(ckpt["z_high"])
        self.aux_columns_ = list(ckpt.get("aux_columns", []))
        self.model_ = self._build()
        self.model_.load_state_dict(ckpt["state_dict"])
        self.model_.eval()
        return self, ckpt["extra"]

