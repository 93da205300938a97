"""The dose-response studies: readings of the codes, twin conditions, the grouped protocol,
conformal intervals and ``predict`` on their schema."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from kgfgnn.cli import main
from kgfgnn.fielddata.dose_response import (
    CLIMATE_CLASSES,
    GROUP,
    field_emission_factors,
    load_dose_response,
    twin_conditions,
)
from kgfgnn.fielddata.intervals import conformal, grouped_coverage
from kgfgnn.fielddata.model_bundle import LOWER, PREDICTION, UPPER, save_bundle
from kgfgnn.fielddata.protocol import CATEGORICAL, design_matrix


def test_data_and_field_emission_factors():
    data = load_dose_response()
    assert len(data) == 774 and data[GROUP].nunique() == 159
    # log_N2O is the log of the unrounded value; N2O is rounded to 3 decimals
    np.testing.assert_allclose(np.exp(data.log_N2O), data.N2O, rtol=0.01, atol=6e-4)
    ef = field_emission_factors(data)
    assert len(ef) == 298 and abs(ef.ef_pct.median() - 0.379) < 0.01


def test_twin_conditions_read_every_row():
    data = load_dose_response()
    c = twin_conditions(data)
    assert c.notna()[["t_annual_c", "precip_annual_mm", "crop", "fertiliser"]].all().all()
    assert set(c.crop) <= {"maize", "wheat", "rice", "soybean"}
    rice = data.crop_type.eq("Wetland_rice")
    assert (c.crop[rice] == "rice").all()
    recorded = data.Annual_Precipitation.notna()
    np.testing.assert_array_equal(c.precip_annual_mm[recorded], data.Annual_Precipitation[recorded])
    unrecorded = ~recorded
    assert (c.precip_annual_mm[unrecorded]
            == data.Climate[unrecorded].map(lambda k: CLIMATE_CLASSES[k][1])).all()


def test_design_matrix_has_fixed_columns():
    data = load_dose_response()
    a, b = design_matrix(data), design_matrix(data.head(3))
    assert list(a.columns) == list(b.columns)
    assert sum(len(v) for v in CATEGORICAL.values()) + 10 == a.shape[1]
    assert "N2O" not in a.columns and "log_N2O" not in a.columns


def test_twins_run_with_a_zero_n_control():
    from kgfgnn.simulate.twins import plan_twins, run_twins

    data = load_dose_response()
    rows = data[data[GROUP].isin(data[GROUP].unique()[:2])]
    c = twin_conditions(rows)
    groups = plan_twins(c, n_stations=1, seed=0)
    assert all(min(s.n_rate_kg_ha for s in g.scenarios) == 0 for g in groups)
    twin = run_twins(c, n_stations=1, seed=0, workers=1)
    assert twin.twin_n2o_kg_n_ha_yr.notna().all() and (twin.twin_n2o_kg_n_ha_yr >= 0).all()
    assert twin.twin_ef_pct[c.n_rate_kg_ha == 0].isna().all()


def test_conformal_coverage_on_held_out_groups():
    rng = np.random.default_rng(0)
    n = 600
    groups = np.repeat(np.arange(60), 10).astype(str)
    level = rng.normal(size=60)[np.repeat(np.arange(60), 10)]
    X = pd.DataFrame({"x": rng.normal(size=n)})
    y = 2 * X.x.to_numpy() + level + 0.3 * rng.normal(size=n)
    cov = grouped_coverage(LinearRegression(), X, y, groups, seed=1)
    assert 0.8 <= cov.coverage.mean() <= 0.97


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    data = load_dose_response()
    X = design_matrix(data)
    from sklearn.ensemble import HistGradientBoostingRegressor

    model = conformal(HistGradientBoostingRegressor(max_iter=30), X, data.log_N2O.to_numpy(),
                      data[GROUP].astype(str).to_numpy(), seed=0)
    path = tmp_path_factory.mktemp("m") / "dose.pt"
    save_bundle(path, model, uses_twin=False, n_stations=1, seed=0, approach="test")
    return path


def test_predict_dose_response_with_intervals_and_curve(bundle_path, tmp_path):
    data = load_dose_response()
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    data.head(4).drop(columns=["N2O", "log_N2O"]).to_csv(src, index=False)
    assert main(["predict", "--model", str(bundle_path), "--input", str(src),
                 "--output", str(out)]) == 0
    pred = pd.read_csv(out)
    assert len(pred) == 4 and (pred[LOWER] <= pred[PREDICTION]).all()
    assert (pred[PREDICTION] <= pred[UPPER]).all()
    assert main(["predict", "--model", str(bundle_path), "--input", str(src),
                 "--output", str(out), "--n-rates", "0,100,200"]) == 0
    curve = pd.read_csv(out)
    assert len(curve) == 12 and sorted(curve.N_rate.unique()) == [0, 100, 200]


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.assign(Climate="Clim9"),
     r"line 2, column 'Climate': unknown code 'Clim9'; allowed: one of"),
    (lambda f: f.assign(Fertilizer_type="XYZ"), r"line 2, column 'Fertilizer_type': unknown code"),
    (lambda f: f.assign(N_rate=-5), r"line 2, column 'N_rate': -5 is below 0"),
    (lambda f: f.assign(pH="acid"), r"line 2, column 'pH': 'acid' is not a finite number"),
    (lambda f: f.drop(columns=["Climate"]), r"missing column\(s\) \['Climate'\]"),
])
def test_bad_dose_input_is_one_line(bundle_path, tmp_path, capsys, edit, message):
    import re

    data = load_dose_response().head(2).drop(columns=["N2O", "log_N2O"])
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    edit(data).to_csv(src, index=False)
    assert main(["predict", "--model", str(bundle_path), "--input", str(src),
                 "--output", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(message, err[0]) and str(src) in err[0]
    assert not out.exists()


def test_model_for_the_other_schema_is_one_line(bundle_path, tmp_path, capsys):
    src, out = tmp_path / "carey.csv", tmp_path / "out.csv"
    src.write_text("fertilizer,carbon,n.input\nU,1.0,100\n")
    assert main(["predict", "--model", str(bundle_path), "--input", str(src),
                 "--output", str(out)]) == 2
    assert "dose-response schema" in capsys.readouterr().err and not out.exists()
    assert main(["predict", "--model", str(bundle_path), "--input", str(src),
                 "--output", str(out), "--n-rates", "0,x"]) == 2
    assert "--n-rates" in capsys.readouterr().err


def test_dose_rows_in_the_simulation_space():
    from kgfgnn.fielddata.dose_response import TEXTURE_CLASSES, load_dose_response
    from kgfgnn.fielddata.knowledge_gnn import OBSERVED, simulation_space

    data = load_dose_response()
    X = simulation_space(data)
    assert list(X.columns) == list(OBSERVED) and len(X) == len(data)
    assert (X.n_rate_kg_ha.to_numpy() == data.N_rate.to_numpy()).all()
    assert X.flooded.eq(data.crop_type.eq("Wetland_rice").astype(float)).all()
    assert set(X.soil_clay_pct) <= {clay for _, clay in TEXTURE_CLASSES.values()}
    forms = X[["n_urea_frac", "n_nh4_frac", "n_no3_frac", "n_organic_frac"]].sum(axis=1)
    assert np.allclose(forms, (data.N_rate > 0).astype(float))  # shares sum to 1 when fertilised
    assert X.drop(columns=["soil_oc_pct", "soil_bd_g_cm3"]).notna().all().all()


def test_fine_tuning_leaves_the_pretrained_model_unchanged():
    import torch

    from kgfgnn.fielddata.dose_response import load_dose_response
    from kgfgnn.fielddata.knowledge_gnn import (
        DoseKGFGNN,
        dose_graph,
        pretrain,
        simulation_space,
    )

    data = load_dose_response().iloc[:120]
    X, y = simulation_space(data), data.log_N2O.to_numpy()
    filled = X.fillna(X.median())
    spec, latent = dose_graph(filled, y)
    base = pretrain(filled, y, spec, latent, epochs=2, seed=0, hidden=8)
    before = {k: v.clone() for k, v in base.model_.state_dict().items()}
    tuned = DoseKGFGNN(pretrained=base, latent=tuple(latent), fine_tune_epochs=2).fit(X, y)
    pred = tuned.predict(X)
    assert pred.shape == (len(X),) and np.isfinite(pred).all()
    assert all(torch.equal(before[k], v) for k, v in base.model_.state_dict().items())
    scratch = DoseKGFGNN(spec=spec, latent=tuple(latent), epochs=2, hidden=8).fit(X, y)
    assert np.isfinite(scratch.predict(X)).all()


def test_protocol_tables_do_not_depend_on_the_number_of_workers():
    from kgfgnn.fielddata.protocol import DoseProtocol, run_protocol

    data = load_dose_response()
    keep = sorted(data.Ref_num.unique())[:16]
    data = data[data.Ref_num.isin(keep)].reset_index(drop=True)
    # a stand-in twin column (only the protocol's bookkeeping is under test here)
    rng = np.random.default_rng(0)
    twin = pd.DataFrame({"twin_n2o_kg_n_ha_yr": np.exp(rng.normal(size=len(data))),
                         "twin_ef_pct": rng.normal(size=len(data))})
    protocol = DoseProtocol(n_folds=2, n_seeds=1, search_iter=1, curve_studies=(5,))
    one, p_one = run_protocol(data, twin, protocol, seed=3, workers=1)
    two, p_two = run_protocol(data, twin, protocol, seed=3, workers=2)
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(p_one, p_two)
    assert set(one.curve_point) == {"5", "all"} and one.groupby("fold").ngroups == 2
