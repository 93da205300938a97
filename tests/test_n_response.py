"""The fertiliser question's scores: emission factors of predicted N responses per
site-year, their errors, sign and shape agreement, IPCC Tier 1 and the paired interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kgfgnn.n_response import (
    IPCC_TIER1,
    n_response_scores,
    paired_ef_difference,
    response_table,
    sample_site_years,
)


def _seasonal(n_sites: int = 6) -> pd.DataFrame:
    rows = []
    for s in range(n_sites):
        for rate in (0.0, 100.0, 200.0):
            rows.append({"site_id": f"s{s}", "crop": "maize", "year_index": 0, "block": 0,
                         "n_rate_kg_ha": rate, "iso2": f"C{s % 3}", "flooded": s == 0,
                         "ipcc_climate": "dry" if s == 1 else "wet",
                         "n2o_kg_n_ha_yr": 1.0 + s + 0.01 * rate})  # EF 1 %
    return pd.DataFrame(rows)


def _predictions(seasonal: pd.DataFrame, model: str, pred) -> pd.DataFrame:
    return pd.DataFrame({"task": "plan", "split": "leave_countries_out", "seed": 0, "fold": 0,
                         "model": model, "target": "n2o", "row": seasonal.index,
                         "y": seasonal.n2o_kg_n_ha_yr, "pred": pred})


def test_perfect_and_flat_predictions_are_scored_as_such():
    seasonal = _seasonal()
    y = seasonal.n2o_kg_n_ha_yr.to_numpy()
    flat = np.repeat(y[seasonal.n_rate_kg_ha == 0], 3)  # ignores N: EF 0
    preds = pd.concat([_predictions(seasonal, "perfect", y),
                       _predictions(seasonal, "flat", flat)], ignore_index=True)
    table = response_table(preds, seasonal)
    assert np.allclose(table.ef_true_pct, 1.0)
    scores = n_response_scores(table).set_index("model")
    assert scores.loc["perfect", "ef_mae_pp"] == pytest.approx(0.0, abs=1e-9)
    assert scores.loc["perfect", "shape_agreement"] == 1.0
    assert scores.loc["flat", "ef_mae_pp"] == pytest.approx(1.0)
    assert scores.loc["flat", "sign_agreement"] == 0.0
    assert scores.loc["flat", "shape_agreement"] == 0.0
    # IPCC Tier 1: 0.4 % for flooded rice, 0.5 % dry, 1.6 % wet; the control is the truth
    tier1 = table[table.model == IPCC_TIER1].set_index("site_id")
    assert tier1.loc["s0", "ef_pred_pct"].tolist() == pytest.approx([0.4, 0.4])
    assert tier1.loc["s1", "ef_pred_pct"].tolist() == pytest.approx([0.5, 0.5])
    assert tier1.loc["s2", "ef_pred_pct"].tolist() == pytest.approx([1.6, 1.6])
    assert scores.loc[IPCC_TIER1, "site_years"] == 6  # once, not once per model


def test_paired_difference_favours_the_closer_model():
    seasonal = _seasonal(9)
    y = seasonal.n2o_kg_n_ha_yr.to_numpy()
    rng = np.random.default_rng(0)
    close = y + rng.normal(0, 0.01, len(y))
    far = y + 0.02 * seasonal.n_rate_kg_ha.to_numpy()  # EF 3 % instead of 1 %
    preds = pd.concat([_predictions(seasonal, "close", close),
                       _predictions(seasonal, "far", far)], ignore_index=True)
    pair = paired_ef_difference(response_table(preds, seasonal), "close", "far").iloc[0]
    assert pair.diff_pp < 0 and pair.ci_high < 0 and pair.verdict == "close closer"
    assert pair.countries == 3


def test_site_year_sample_keeps_whole_ladders():
    seasonal = _seasonal(10)
    sample = sample_site_years(seasonal, 12, seed=0)
    assert len(sample) == 12 and sample.groupby("site_id").size().eq(3).all()
    again = sample_site_years(seasonal, 12, seed=0)
    pd.testing.assert_frame_equal(sample, again)
    with pytest.raises(ValueError, match="max_rows=0"):
        sample_site_years(seasonal, 0, seed=0)
