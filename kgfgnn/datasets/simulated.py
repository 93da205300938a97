"""The simulated data set's adapter: DSSAT crop years of 47 countries (chapter 1), every
candidate variable, the three GHG targets, grouped by country. The declarations are in
:mod:`kgfgnn.variables` (tasks: the inputs a user has), :mod:`kgfgnn.nested` (families,
spaces, the nested search of one outer fold), :mod:`kgfgnn.benchmark` (units, outer splits,
the seed paper's claim) and :mod:`kgfgnn.n_response` (the fertiliser question)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


class Simulated:
    """The simulated crop years on the nested benchmark.

    Attributes
    ----------
    name, unit : str
        ``"simulated"`` and what a group is (``"country"``; the protocols hold out whole
        countries or random rows).

    Examples
    --------
    >>> from kgfgnn.datasets.simulated import Simulated
    >>> sorted(Simulated().tasks)
    ['plan', 'sensor']
    """

    name, unit = "simulated", "country"
    group_column = "iso2"

    @property
    def tasks(self) -> dict[str, tuple[str, ...]]:
        """Task -> its input variables (:data:`kgfgnn.variables.TASKS`; ``plan``: drivers
        known before the season, the primary task)."""
        from kgfgnn.variables import TASKS

        return TASKS

    def load(self, artefact_dir: str | Path, max_samples: int = 0, seed: int = 0
             ) -> pd.DataFrame:
        """The simulated crop years of a run; with ``max_samples`` > 0 and more rows, a
        seeded sample of whole site-years (each keeps its N response)."""
        from kgfgnn.n_response import sample_site_years
        from kgfgnn.simulate.dataset import load_seasonal

        if max_samples < 0:
            raise ValueError(f"max_samples={max_samples}: must be >= 0 (0 = every crop year)")
        seasonal = load_seasonal(artefact_dir)
        if max_samples and len(seasonal) > max_samples:
            seasonal = sample_site_years(seasonal, max_samples, seed)
        return seasonal

    def frames(self, seasonal: pd.DataFrame
               ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
        """Every model input column, the targets and the groups (countries)."""
        from kgfgnn.variables import model_frame, target_frame

        return (model_frame(seasonal), target_frame(seasonal),
                seasonal[self.group_column].to_numpy())

    def run(self, X: pd.DataFrame, Y: pd.DataFrame, groups: np.ndarray,
            autoencoder: dict[str, list[str]], config, seed: int, keep: tuple[str, ...] = (),
            workers: int = 0, scheduler: str = "", cache: str = ""):
        """The nested benchmark (:func:`kgfgnn.benchmark.run_benchmark`) on the one runner,
        on :meth:`frames`: results, out-of-fold predictions and every candidate the inner
        searches scored."""
        from kgfgnn.benchmark import run_benchmark

        return run_benchmark(X, Y, groups, autoencoder, config, seed, keep=keep,
                             log=lambda m: None, workers=workers, scheduler=scheduler,
                             cache=cache)


__all__ = ["Simulated"]
