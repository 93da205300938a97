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


@dataclass(frozen=True)
class Halving:
    """Successive halving (Jamieson & Talwalkar 2016; Li et al. 2018): every candidate is
    scored at a small resource, the best ``1/factor`` go on to ``factor`` times more, for
    ``n_rungs`` rungs. ``parameter`` names the resource: an estimator parameter (``"epochs"``)
    whose last-rung value is ``top``; or ``None`` for the number of fit rows, the last rung
    using all of them (``top`` ignored), as scikit-learn's halving search does."""

    parameter: str | None = None
    top: int = 0
    factor: int = 3
    n_rungs: int = 3
    min_rows: int = 100  # row resource: no rung fits on fewer rows (or all, if fewer)

    def __post_init__(self):
        if self.factor < 2:
            raise ValueError(f"factor={self.factor}: must be >= 2")
        if self.n_rungs < 1:
            raise ValueError(f"n_rungs={self.n_rungs}: must be >= 1")
        if self.parameter is not None and self.top < self.factor ** (self.n_rungs - 1):
            raise ValueError(f"top={self.top}: must be >= factor ** (n_rungs - 1) = "
                             f"{self.factor ** (self.n_rungs - 1)} so that every rung has "
                             "at least 1 unit")

    def share(self, rung: int) -> float:
        """Resource of ``rung`` as a share of the last rung's."""
        return float(self.factor) ** (rung - (self.n_rungs - 1))

    def rows(self, rung: int, n_fit: int) -> int:
        """Fit rows of ``rung`` out of ``n_fit`` (all of them where the resource is a
        parameter)."""
        if self.parameter is not None:
            return n_fit
        return max(2, min(self.min_rows, n_fit), int(round(self.share(rung) * n_fit)))

    def survivors(self, n_candidates: int) -> list[int]:
        """Candidates scored at each rung."""
        return [max(1, int(np.ceil(n_candidates / self.factor ** k)))
                for k in range(self.n_rungs)]


def halving_search(family: Family, X, y, holdout: tuple[np.ndarray, np.ndarray], seed: int,
                   candidates: list[dict], halving: Halving,
                   score: Callable[[np.ndarray, np.ndarray], np.ndarray],
                   groups: np.ndarray | None = None) -> tuple[list[int], pd.DataFrame]:
    """Successive halving of ``candidates`` on one hold-out (fit rows, scored rows).

    ``score(y, pred)`` returns one error per target (lower is better); candidates go on by
    their mean error over targets. Returns, per target, the index of the candidate with the
    lowest error at the last rung (a multi-target model is thus chosen per target among the
    last rung's candidates), and one row per (rung, candidate) scored."""
    if not candidates:
        raise ValueError("candidates: at least one is required")
    y = np.asarray(y, dtype=float)
    fit_idx, val_idx = holdout
    order = np.random.default_rng(seed).permutation(fit_idx)  # row subsamples are nested
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    alive = list(range(len(candidates)))
    rows: list[dict] = []
    errors: dict[int, np.ndarray] = {}
    sizes = halving.survivors(len(candidates))
    for rung in range(halving.n_rungs):
        alive = alive[:sizes[rung]]
        share = halving.share(rung)
        for i in alive:
            params = dict(candidates[i])
            rows_used = fit_idx
            if halving.parameter is None:
                rows_used = np.sort(order[:halving.rows(rung, len(order))])
                resource = len(rows_used)
            else:
                resource = max(1, int(round(share * halving.top)))
                params[halving.parameter] = resource
            model = family.fit(params, seed, _rows(X, rows_used), y[rows_used],
                               groups[rows_used])
            pred = np.asarray(model.predict(_rows(X, val_idx)), dtype=float)
            err = np.atleast_1d(np.asarray(score(y[val_idx], pred.reshape(y[val_idx].shape)),
                                           dtype=float))
            errors[i] = err
            rows.append({"family": family.name, "rung": rung, "candidate": i,
                         "resource": resource, "holdout_error": float(err.mean()),
                         **{f"holdout_error_{k}": float(e) for k, e in enumerate(err)}})
        alive = sorted(alive, key=lambda i: (errors[i].mean(), i))
    last = np.stack([errors[i] for i in alive])
    chosen = [alive[int(np.argmin(last[:, k]))] for k in range(last.shape[1])]
    return chosen, pd.DataFrame(rows)
