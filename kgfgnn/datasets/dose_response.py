"""The N2O dose-response studies' adapter (KenSyn ``N2O``; Philibert, Loyce & Makowski
2012): ln N2O-N over each study's measurement window, grouped by study, with a DSSAT digital
twin per row. The declarations are in :mod:`kgfgnn.fielddata.dose_response` (the file and
the window rule), :mod:`kgfgnn.fielddata.protocol` (approaches, families, outer splits) and
:mod:`kgfgnn.fielddata.model_bundle` (the deployed model and ``predict``)."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd

from kgfgnn.datasets.measured import MeasuredDataSet
from kgfgnn.fielddata.schemas import DOSE_RESPONSE


class DoseResponse(MeasuredDataSet):
    """The dose-response studies on the one real-data protocol.

    Attributes
    ----------
    name, unit : str
        ``"dose_response"`` and what a group is (``"study"``).
    schema : FieldSchema
        Columns, units, codes and empty-cell handling of the data file and of ``predict``'s
        input.

    Examples
    --------
    >>> from kgfgnn.datasets.dose_response import DoseResponse
    >>> DoseResponse().unit
    'study'
    """

    name, unit = "dose_response", "study"
    schema = DOSE_RESPONSE
    declarations = "kgfgnn.fielddata.protocol"

    def load(self, max_studies: int = 0, seed: int = 0) -> pd.DataFrame:
        """The measurements; with ``max_studies`` > 0, a seeded sample of that many whole
        studies (the quick profile's miniature), rows in file order."""
        from kgfgnn.fielddata.dose_response import GROUP, load_dose_response

        if max_studies < 0:
            raise ValueError(f"max_studies={max_studies}: must be >= 0 (0 = every study)")
        data = load_dose_response()
        if max_studies:
            studies = sorted(data[GROUP].unique())
            keep = np.random.default_rng(seed).choice(studies, min(max_studies, len(studies)),
                                                      replace=False)
            data = data[data[GROUP].isin(keep)].reset_index(drop=True)
        return data

    def twins(self, data: pd.DataFrame, n_stations: int, seed: int, workers: int = 0,
              scheduler: str = "") -> pd.DataFrame:
        """Each row's digital twin: DSSAT run under the row's conditions at the
        ``n_stations`` nearest climate stations of its climate class."""
        from kgfgnn.fielddata.dose_response import twin_conditions
        from kgfgnn.simulate.twins import run_twins

        return run_twins(twin_conditions(data), n_stations=n_stations, seed=seed,
                         workers=workers, scheduler=scheduler)

    def run(self, data: pd.DataFrame, twin: pd.DataFrame | None, protocol, seed: int,
            seasonal: pd.DataFrame | None = None, workers: int = 1, scheduler: str = "",
            cache: str = "", approaches: tuple[str, ...] | None = None):
        """KG-FGNN pretrained on simulated windows (with ``seasonal``), then every approach on
        grouped k-fold by study and out of climate: results, out-of-fold predictions and the
        study."""
        from kgfgnn.experiment.study import run_study
        from kgfgnn.fielddata.protocol import dose_study, knowledge_setup, protocol_inputs

        gnn_columns = list(protocol_inputs(data.head(1), None)["gnn"].columns)
        pretrained = (knowledge_setup(seasonal, gnn_columns, protocol, seed)
                      if seasonal is not None else None)
        key = ""  # what the knowledge was made from, for the cache
        if cache and seasonal is not None:
            key = joblib.hash((seasonal, gnn_columns, protocol, seed))
        study = dose_study(data, twin, protocol, seed, pretrained, knowledge_key=key)
        results, predictions = run_study(study, workers, approaches, scheduler, cache)
        return results, predictions, study

    def bundle(self, deployment, data: pd.DataFrame, n_stations: int, seed: int,
               ef_residuals: np.ndarray | None = None) -> dict:
        """What ``predict`` needs: the deployed approach, its residuals, the twin's settings
        and fill values, and the EF residuals that calibrate a response curve's EF interval."""
        from kgfgnn.fielddata.model_bundle import make_bundle

        return make_bundle(deployment.chosen, deployment.model, deployment.residuals, data,
                           n_stations, seed, ef_residuals=ef_residuals)

    def predict_rows(self, bundle: dict, valid: pd.DataFrame,
                     n_rates: list[float] | None = None, workers: int = 1) -> pd.DataFrame:
        """Validated input rows (:attr:`schema`) with predicted N2O-N over each row's window
        and its 90 % interval; with ``n_rates``, the response curve and its EFs."""
        from kgfgnn.fielddata.model_bundle import predict_dose

        return predict_dose(bundle, valid, n_rates, workers=workers)
