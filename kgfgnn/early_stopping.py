"""Early stopping on a monitored loss, keeping the best weights: the one loop rule of the
autoencoder and KG-FGNN trainers."""

from __future__ import annotations

import numpy as np
import torch


class EarlyStopping:
    """Call :meth:`step` with each epoch's monitored loss; it returns True once the loss has
    not improved by more than ``min_delta`` for ``patience`` epochs. :meth:`restore` loads the
    weights of the best epoch back into the model."""

    def __init__(self, model: torch.nn.Module, patience: int, min_delta: float):
        if patience < 1:
            raise ValueError(f"patience={patience}: must be >= 1")
        self.model, self.patience, self.min_delta = model, patience, min_delta
        self.best, self.wait, self.best_state = np.inf, 0, None

    def step(self, loss: float) -> bool:
        if loss < self.best - self.min_delta:
            self.best, self.wait = loss, 0
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            return False
        self.wait += 1
        return self.wait >= self.patience

    def restore(self) -> None:
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
        self.model.eval()
