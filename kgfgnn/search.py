"""One random search for every model family: seeded candidates scored on a grouped hold-out.

A :class:`Family` declares how to build an estimator from a parameter draw and the space it is
drawn from (scipy distributions or lists, as scikit-learn's ``ParameterSampler`` takes them).
:func:`random_search` draws ``n_iter`` candidates with the seed, scores each on one hold-out of
whole groups (studies, sites, countries: the protocol's unit, so the hold-out is grouped like
the test) and refits the best on all rows. Families that use the groups themselves (early
stopping on held-out studies, random study intercepts) receive them in ``fit``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit, ParameterSampler

HOLDOUT_FRACTION = 0.25  # share of groups held out to score candidates
MIN_GROUPS = 4  # fewer groups than this: no search, the first candidate is used


@dataclass(frozen=True)
class Family:
    """A model family: ``build(params, seed)`` -> unfitted estimator; its search space."""

    name: str
    build: Callable[[dict, int], object]
    space: dict = field(default_factory=dict)
    uses_groups: bool = False  # whether ``fit`` takes ``groups=``

    def candidates(self, n_iter: int, seed: int) -> list[dict]:
        """``n_iter`` seeded draws from the space ([{}] for a family without one)."""
        if not self.space:
            return [{}]
        if n_iter < 1:
            raise ValueError(f"n_iter={n_iter}: must be >= 1")
        with warnings.catch_warnings():  # a grid smaller than n_iter: every point, once
            warnings.simplefilter("ignore", UserWarning)
            return list(ParameterSampler(self.space, n_iter=n_iter, random_state=seed))

    def fit(self, params: dict, seed: int, X, y, groups=None):
        """Build and fit one estimator (groups passed where the family uses them)."""
        model = self.build(params, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-empty columns of a fold
            if self.uses_groups:
                return model.fit(X, y, groups=groups)
            return model.fit(X, y)


def grouped_holdout(groups: np.ndarray, seed: int, fraction: float = HOLDOUT_FRACTION
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of (fit, hold-out): a seeded ``fraction`` of the groups held out."""
    groups = np.asarray(groups)
    split = GroupShuffleSplit(1, test_size=fraction, random_state=seed)
    return next(split.split(np.zeros(len(groups)), groups=groups))


def _rows(X, idx):
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]


def random_search(family: Family, X, y: np.ndarray, groups: np.ndarray | None, seed: int,
                  n_iter: int, holdout: tuple[np.ndarray, np.ndarray] | None = None,
                  candidates: list[dict] | None = None, score=None
                  ) -> tuple[object, dict, pd.DataFrame]:
    """The best of ``n_iter`` candidates (mean squared error on a grouped hold-out), refitted
    on every row; with the parameters chosen and one row per candidate scored.

    ``holdout`` (fit rows, scored rows) replaces the grouped hold-out (e.g. random rows where
    rows are the unit); ``candidates`` replaces the seeded draws; ``score(y, pred)`` replaces
    the mean squared error (e.g. on a log scale)."""
    y = np.asarray(y, dtype=float)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    candidates = candidates if candidates is not None else family.candidates(n_iter, seed)
    score = score or (lambda truth, pred: float(np.mean((pred - truth) ** 2)))
    scores = []
    enough = holdout is not None or len(np.unique(groups)) >= MIN_GROUPS
    if len(candidates) > 1 and enough:
        fit_idx, val_idx = holdout if holdout is not None else grouped_holdout(groups, seed)
        for i, params in enumerate(candidates):
            model = family.fit(params, seed, _rows(X, fit_idx), y[fit_idx], groups[fit_idx])
            err = score(y[val_idx], np.asarray(model.predict(_rows(X, val_idx))).reshape(-1))
            scores.append({"family": family.name, "candidate": i, "holdout_mse": err,
                           **{k: v for k, v in params.items() if np.isscalar(v)}})
        best = candidates[int(np.argmin([s["holdout_mse"] for s in scores]))]
    else:
        best = candidates[0]
    return family.fit(best, seed, X, y, groups), best, pd.DataFrame(scores)
