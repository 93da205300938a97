"""Seeds of a run's random steps, spawned from the run's one seed.

Every random step of an experiment (a repetition's folds, a unit's candidate draw, an ensemble
member's initialisation, a pretraining sample) takes the seed at its own *path* under the run's
seed, as :meth:`numpy.random.SeedSequence.spawn` does: ``spawn(seed, s, k)`` is the seed of
``SeedSequence(seed).spawn(s + 1)[s].spawn(k + 1)[k]``. Distinct paths give independent streams,
so repetition ``s + 1`` never reuses a seed of repetition ``s`` (as ``seed + s`` schemes do).
"""

from __future__ import annotations

import numpy as np

#: The streams of one ensemble member under its seed: its network's initialisation and
#: training order, its sample of simulated examples, its fine-tuning's training order.
MODEL, SAMPLE, FINE_TUNE = 0, 1, 2

def spawn(seed: int, *path: int) -> int:
    """The 32-bit seed at ``path`` (non-negative integers) under the run's ``seed``."""
    if int(seed) < 0:
        raise ValueError(f"seed={seed}: must be a non-negative integer")
    if any(int(p) < 0 for p in path):
        raise ValueError(f"path={path}: every step must be a non-negative integer")
    sequence = np.random.SeedSequence(int(seed), spawn_key=tuple(int(p) for p in path))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def repetition_seeds(seed: int, n_repetitions: int) -> list[int]:
    """The seeds of a run's ``n_repetitions`` repetitions (each its own folds and models)."""
    return [spawn(seed, s) for s in range(n_repetitions)]


__all__ = ["FINE_TUNE", "MODEL", "SAMPLE", "repetition_seeds", "spawn"]
