"""The signed-log scale of fluxes (numpy only, so that any layer can use it)."""

from __future__ import annotations

import numpy as np


def signed_log1p(y: np.ndarray) -> np.ndarray:
    """sign(y) log(1 + |y|): a log scale for fluxes that keeps zeros and small negatives."""
    return np.sign(y) * np.log1p(np.abs(y))


def signed_expm1(z: np.ndarray) -> np.ndarray:
    """Inverse of :func:`signed_log1p`."""
    return np.sign(z) * np.expm1(np.abs(z))
