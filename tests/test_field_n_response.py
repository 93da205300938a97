"""Measured studies' N response: EFs and slopes of held-out studies, IPCC Tier 1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kgfgnn.fielddata.n_response import (
    IPCC_TIER1,
    ef_scores,
    study_slopes,
    tier1_ef_pct,
    treatment_ef_table,
)


def _studies() -> pd.DataFrame:
    rows = []
    for s, (ef, crop, window) in enumerate([(0.5, "Cereal", 365.0), (2.0, "Row", 120.0),
                                             (1.0, "Wetland_rice", np.nan)]):
        for rate in (0.0, 100.0, 200.0):
            rows.append({"Ref_num": f"r{s}", "N_rate": rate, "crop_type": crop,
                         "duree_expe": window, "N2O": 0.5 + ef / 100 * rate})
    return pd.DataFrame(rows)


def _predictions(data: pd.DataFrame, model: str, n2o: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"split": "grouped", "seed": 0, "fold": 0, "model": model,
                         "row": np.arange(len(data)), "y": np.log(data.N2O),
                         "pred": np.log(n2o)})


def test_emission_factors_of_perfect_and_flat_predictions():
    data = _studies()
    control = data.groupby("Ref_num").N2O.transform("min").to_numpy()
    preds = pd.concat([_predictions(data, "perfect", data.N2O.to_numpy()),
                       _predictions(data, "flat", control)], ignore_index=True)
    table = treatment_ef_table(preds, data)
    perfect = table[table.model == "perfect"]
    np.testing.assert_allclose(perfect.ef_predicted_pct, perfect.ef_measured_pct)
    np.testing.assert_allclose(perfect.groupby("Ref_num").ef_measured_pct.first(),
                               [0.5, 2.0, 1.0])
    tier1 = table[table.model == IPCC_TIER1].groupby("Ref_num").ef_predicted_pct.first()
    assert tier1.tolist() == pytest.approx([1.0, 1.0, 0.4])  # rice 0.4 %, upland 1 %
    scores = ef_scores(table, study_slopes(preds, data))
    assert scores.loc["perfect", "ef_median_ae_pp"] == pytest.approx(0.0, abs=1e-9)
    assert scores.loc["perfect", "slope_spearman"] == pytest.approx(1.0)
    assert scores.loc["flat", "ef_median_ae_pp"] == pytest.approx(1.0)  # EFs 0.5, 1, 2
    assert scores.loc[IPCC_TIER1, "treatments"] == 6 and scores.loc["perfect", "studies"] == 3
    # annual windows: the 365-day study and the empty (full-year) window, not the 120-day
    assert set(table[table.annual_window].Ref_num) == {"r0", "r2"}


def test_tier1_factor_by_crop():
    crops = pd.Series(["Wetland_rice", "Cereal", "Grass"])
    assert tier1_ef_pct(crops).tolist() == [0.4, 1.0, 1.0]


def test_response_curve_emission_factors_and_their_interval():
    from kgfgnn.fielddata.model_bundle import (
        EF,
        EF_LOWER,
        EF_UPPER,
        PREDICTION,
        response_emission_factors,
    )

    curves = pd.DataFrame({"input_line": [2, 2, 2, 3, 3],
                           "N_rate": [0.0, 100.0, 200.0, 0.0, 50.0],
                           PREDICTION: [1.0, 2.0, 2.5, 0.2, 0.2]})
    ef = response_emission_factors(curves, np.array([0.1, 0.2, 0.3, 0.4, 0.5]))
    assert np.isnan(ef.loc[0, EF]) and np.isnan(ef.loc[3, EF])  # the zero-N points
    assert ef[EF].iloc[[1, 2, 4]].tolist() == pytest.approx([1.0, 0.75, 0.0])
    assert (ef[EF_LOWER].dropna() < ef[EF].dropna()).all()
    assert (ef[EF_UPPER].dropna() > ef[EF].dropna()).all()
    width = (ef[EF_UPPER] - ef[EF_LOWER]).dropna()
    assert np.allclose(width, width.iloc[0])  # one calibrated half-width for every point
    uncalibrated = response_emission_factors(curves, np.array([]))
    assert uncalibrated[EF_LOWER].isna().all() and uncalibrated[EF].notna().sum() == 3
