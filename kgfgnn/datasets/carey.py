"""The Carey (2007) compilation's adapter: 484 mean N2O fluxes at 85 sites, fertiliser type,
N input and soil organic C, grouped by site. The declarations are in
:mod:`kgfgnn.fielddata.carey` (approaches, knowledge, study, bundle) and
:mod:`kgfgnn.fielddata.carey_data` (reading the file into the simulation's variables)."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd

from kgfgnn.bundles import BundleError
from kgfgnn.datasets.measured import MeasuredDataSet
from kgfgnn.fielddata.schemas import CAREY


class Carey(MeasuredDataSet):
    """The Carey data on the one real-data protocol.

    Attributes
    ----------
    name, unit : str
        ``"carey"`` and what a group is (``"site"``).
    schema : FieldSchema
        Columns, units, codes and empty-cell handling of the data file and of ``predict``'s
        input.

    Examples
    --------
    >>> from kgfgnn.datasets.carey import Carey
    >>> Carey().unit
    'site'
    """

    name, unit = "carey", "site"
    schema = CAREY
    declarations = "kgfgnn.fielddata.carey"

    def load(self) -> pd.DataFrame:
        """The measurements in the simulation's variables, one group per site."""
        from kgfgnn.fielddata.carey_data import load_real

        return load_real()

    def simulated(self, seasonal: pd.DataFrame) -> pd.DataFrame:
        """The simulated crop years in the same variables (the knowledge's source)."""
        from kgfgnn.fielddata.carey_data import simulated_observables

        return simulated_observables(seasonal)

    def run(self, real: pd.DataFrame, simulated: pd.DataFrame, protocol, seed: int,
            workers: int = 1, scheduler: str = "", cache: str = "",
            approaches: tuple[str, ...] | None = None):
        """Knowledge from the simulated seasons, then every approach on grouped k-fold by
        site (:func:`kgfgnn.experiment.study.run_study`): results, out-of-fold predictions
        and the study."""
        from kgfgnn.experiment.study import run_study
        from kgfgnn.fielddata.carey import carey_study, knowledge_setup

        key = joblib.hash((simulated, protocol, seed)) if cache else ""  # knowledge's sources
        study = carey_study(real, knowledge_setup(simulated, protocol, seed), protocol, seed,
                            knowledge_key=key)
        results, predictions = run_study(study, workers, approaches, scheduler, cache)
        return results, predictions, study

    def bundle(self, deployment, study) -> dict:
        """What ``predict`` needs: the deployed approach, its clipping range, the
        simulation's conditional-mean model and the out-of-fold residuals."""
        from kgfgnn.fielddata.carey import carey_bundle

        return carey_bundle(deployment.chosen, deployment.model, deployment.residuals,
                            study.prediction_range(np.arange(len(study.y))),
                            study.knowledge["conditional_mean"])

    def predict_rows(self, bundle: dict, valid: pd.DataFrame,
                     n_rates: list[float] | None = None) -> pd.DataFrame:
        """Validated input rows (:attr:`schema`) with the predicted mean flux and its 90 %
        interval; with ``n_rates``, every row at each N input."""
        from kgfgnn.fielddata.carey import predict_carey
        from kgfgnn.fielddata.carey_data import map_real

        if len(bundle.get("residuals", ())) == 0 or "clip_range" not in bundle:
            raise BundleError("has no conformal calibration residuals or prediction range "
                              "(written by an older version): re-run notebook 05_realworld "
                              "to write the model again")

        frame = valid
        if n_rates:
            frame = pd.concat([frame.assign(**{"n.input": r}) for r in n_rates],
                              ignore_index=True)
        out = frame.copy()
        out[PREDICTION_COLUMN], out[LOWER_COLUMN], out[UPPER_COLUMN] = predict_carey(
            bundle, map_real(frame))
        return out


PREDICTION_COLUMN = "predicted_emission_g_n2o_n_ha_day"
# the dose-response model's interval columns, here in g N2O-N/ha/day (90 % conformal)
LOWER_COLUMN, UPPER_COLUMN = "n2o_lower_90", "n2o_upper_90"
