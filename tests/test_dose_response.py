"""The dose-response studies: readings of the codes, window-matched twins, the common design,
the estimators and the protocol, and ``predict`` on their schema."""

import re

import numpy as np
import pandas as pd
import pytest

from kgfgnn.bundles import save_bundle
from kgfgnn.cli import main
from kgfgnn.experiment.study import fit_approach
from kgfgnn.fielddata.design import (
    CATEGORICAL,
    LN_WINDOW,
    MISSING_INDICATORS,
    NUMERIC,
    design_matrix,
)
from kgfgnn.fielddata.dose_response import (
    CLIMATE_CLASSES,
    GROUP,
    field_emission_factors,
    load_dose_response,
    twin_conditions,
)
from kgfgnn.fielddata.model_bundle import (
    LOWER,
    PREDICTION,
    UPPER,
    make_bundle,
    predict_dose,
)
from kgfgnn.fielddata.protocol import (
    CLIMATE_GROUPS,
    FieldProtocol,
    dose_study,
    splits,
)


def test_data_and_field_emission_factors():
    data = load_dose_response()
    assert len(data) == 774 and data[GROUP].nunique() == 159
    # log_N2O is the log of the unrounded value; N2O is rounded to 3 decimals
    np.testing.assert_allclose(np.exp(data.log_N2O), data.N2O, rtol=0.01, atol=6e-4)
    ef = field_emission_factors(data)
    assert len(ef) == 298 and abs(ef.ef_pct.median() - 0.379) < 0.01
    row = ef.iloc[0]
    control = data[(data[GROUP] == row[GROUP]) & (data.N_rate == 0)].N2O.mean()
    assert row.ef_pct == pytest.approx(100 * (row.N2O - control) / row.N_rate)
    # indexed like the data, so per-row tables (twins, conditions) join on the right rows
    pd.testing.assert_series_equal(ef.N2O, data.loc[ef.index, "N2O"])


def test_twin_conditions_read_every_row():
    data = load_dose_response()
    c = twin_conditions(data)
    assert c.notna()[["t_annual_c", "precip_annual_mm", "crop", "fertiliser"]].all().all()
    assert set(c.crop) <= {"maize", "wheat", "rice", "soybean"}
    assert (c.crop[data.crop_type.eq("Wetland_rice")] == "rice").all()
    recorded = data.Annual_Precipitation.notna()
    np.testing.assert_array_equal(c.precip_annual_mm[recorded], data.Annual_Precipitation[recorded])
    assert (c.precip_annual_mm[~recorded]
            == data.Climate[~recorded].map(lambda k: CLIMATE_CLASSES[k][1])).all()
    np.testing.assert_array_equal(c.window_days, data.duree_expe.astype(float))
    assert twin_conditions(data.head(1).assign(duree_expe=np.nan)).window_days.iloc[0] == 365


def test_design_matrix_values():
    data = load_dose_response()
    a, b = design_matrix(data), design_matrix(data.head(3))
    assert list(a.columns) == list(b.columns)
    assert a.shape[1] == (sum(len(v) for v in CATEGORICAL.values()) + len(NUMERIC) + 1
                          + len(MISSING_INDICATORS))
    assert "N2O" not in a.columns and "log_N2O" not in a.columns
    np.testing.assert_allclose(a[LN_WINDOW], np.log(data.duree_expe))
    np.testing.assert_array_equal(a["pH_missing"], data.pH.isna().astype(float))
    np.testing.assert_array_equal(a["Climate=Clim5"], (data.Climate == "Clim5").astype(float))
    pd.testing.assert_series_equal(a["Carbon_content"], data.Carbon_content, check_names=False)
    empty = design_matrix(data.head(1).assign(duree_expe=np.nan))
    assert empty[LN_WINDOW].iloc[0] == pytest.approx(np.log(365))


def test_twins_over_the_measured_window():
    from kgfgnn.simulate.twins import plan_twins, run_twins

    data = load_dose_response()
    rows = data[data[GROUP].isin(data[GROUP].unique()[:2])]
    c = twin_conditions(rows)
    groups = plan_twins(c, n_stations=1, seed=0)
    assert all(min(s.n_rate_kg_ha for s in g.scenarios) == 0 for g in groups)
    twin = run_twins(c, n_stations=1, seed=0, workers=1)
    assert twin.twin_n2o_window_kg_n_ha.notna().all()
    short = c.window_days.to_numpy() <= 365
    # (the annual value is DSSAT's summary N2OEM, written to 2 decimals)
    assert (twin.twin_n2o_window_kg_n_ha[short] <= twin.twin_n2o_kg_n_ha_yr[short] + 0.005).all()
    fert = c.n_rate_kg_ha > 0
    expected = 100 * (twin.twin_n2o_window_kg_n_ha - twin.twin_control_window_kg_n_ha) \
        / c.n_rate_kg_ha
    np.testing.assert_allclose(twin.twin_ef_window_pct[fert], expected[fert])
    assert twin.twin_ef_window_pct[~fert].isna().all()
    zero = c.n_rate_kg_ha == 0
    np.testing.assert_allclose(twin.twin_n2o_window_kg_n_ha[zero],
                               twin.twin_control_window_kg_n_ha[zero])


def test_twin_fill_values_come_from_the_training_studies():
    from kgfgnn.simulate.twins import fill_values, oc_depth_ratios, plan_twins

    data = load_dose_response()
    training = twin_conditions(data)
    fill = fill_values(training)
    assert fill["oc_overall"] == pytest.approx(data.Carbon_content.median())
    alone = twin_conditions(data[data.Carbon_content.isna()].head(1))
    with pytest.raises(ValueError, match="soil_oc_pct"):
        fill_values(alone)
    group = plan_twins(alone, n_stations=1, seed=0, fill=fill)[0]
    texture = alone.texture.iloc[0]
    assert group.soil.layers.oc_pct.iloc[0] == pytest.approx(
        fill["oc_by_texture"][texture] * oc_depth_ratios()[0], abs=1e-4)


def test_leave_climate_out_never_shares_a_climate_group():
    data = load_dose_response()
    protocol = FieldProtocol(n_folds=3, n_seeds=2)
    units = list(splits(data, protocol, seed=1))
    lco = [u for u in units if u[0] == "leave_climate_out"]
    assert len(lco) == len(set(CLIMATE_GROUPS.values())) == 3
    climate = data.Climate.map(CLIMATE_GROUPS).to_numpy()
    for _, _, _, train, test in lco:
        assert not set(climate[train]) & set(climate[test])
    groups = data[GROUP].to_numpy()
    for _, _, _, train, test in (u for u in units if u[0] == "grouped"):
        assert not set(groups[train]) & set(groups[test])


def test_protocol_tables_do_not_depend_on_the_number_of_workers_or_the_cache(tmp_path):
    from kgfgnn.datasets.dose_response import DoseResponse

    adapter = DoseResponse()
    data = load_dose_response()
    keep = sorted(data.Ref_num.unique())[:24]
    data = data[data.Ref_num.isin(keep)].reset_index(drop=True)
    protocol = FieldProtocol(n_folds=2, n_seeds=1, search_iter=2, curve_groups=(6,),
                             gnn_epochs=2, n_members=2)
    approaches = ("real_only:loglinear", "real_only:hist_gradient_boosting",
                  "real_only:mixed_model", "real_only:kg_fgnn")
    one, p_one, study = adapter.run(data, None, protocol, seed=3, workers=1,
                                    approaches=approaches)
    two, p_two, _ = adapter.run(data, None, protocol, seed=3, workers=2, approaches=approaches)
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(p_one, p_two)
    # the runner's cache: one file per (split, seed, fold, approach); a rerun reads them back
    cached, p_cached, _ = adapter.run(data, None, protocol, seed=3, workers=2,
                                      approaches=approaches, cache=str(tmp_path))
    assert (len(list(tmp_path.glob("dose_response-*.joblib")))
            == len(study.splits) * len(approaches))
    again, p_again, _ = adapter.run(data, None, protocol, seed=3, workers=1,
                                    approaches=approaches, cache=str(tmp_path))
    for frame in (cached, again):
        pd.testing.assert_frame_equal(frame, one)
    pd.testing.assert_frame_equal(p_again, p_one)
    assert set(one.split) == {"grouped", "leave_climate_out"}
    assert set(one[one.split == "grouped"].curve_point) == {"6", "all"}
    assert set(one.model) == set(approaches)
    # every out-of-fold prediction of the grouped design, once per approach
    grouped = p_one[p_one.split == "grouped"]
    assert grouped.groupby("model").row.nunique().eq(len(data)).all()


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    data = load_dose_response()
    study = dose_study(data, None, FieldProtocol(search_iter=2), seed=0)
    model, _ = fit_approach(study, "real_only:hist_gradient_boosting", np.arange(len(data)), 0)
    residuals = np.random.default_rng(0).normal(scale=1.0, size=300)
    path = tmp_path_factory.mktemp("m") / "dose.pt"
    save_bundle(path, make_bundle("real_only:hist_gradient_boosting", model, residuals, data,
                                  1, 0))
    return path


def test_predict_every_row_alone_including_an_empty_one(bundle_path, tmp_path):
    data = load_dose_response().drop(columns=["N2O", "log_N2O"])
    sample = data.sample(8, random_state=1)
    empty = pd.DataFrame({"Climate": ["Clim2"], "N_rate": [120]})  # every optional cell empty
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    for _, row in [*sample.iterrows(), (None, empty.iloc[0])]:
        row.to_frame().T.to_csv(src, index=False)
        assert main(["predict", "--model", str(bundle_path), "--input", str(src),
                     "--output", str(out)]) == 0
        pred = pd.read_csv(out)
        assert len(pred) == 1 and pred[LOWER].iloc[0] <= pred[PREDICTION].iloc[0] \
            <= pred[UPPER].iloc[0]
        expected_window = 365 if pd.isna(row.get("duree_expe")) else float(row["duree_expe"])
        assert pred.window_days.iloc[0] == expected_window


def test_predict_dose_response_with_intervals_and_curve(bundle_path, tmp_path):
    data = load_dose_response()
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    data.head(4).drop(columns=["N2O", "log_N2O"]).to_csv(src, index=False)
    assert main(["predict", "--model", str(bundle_path), "--input", str(src),
                 "--output", str(out)]) == 0
    pred = pd.read_csv(out)
    assert len(pred) == 4 and (pred[LOWER] <= pred[PREDICTION]).all()
    assert (pred[PREDICTION] <= pred[UPPER]).all()
    # the interval is the 90 % conformal quantile of the stored residuals, on the log scale
    import joblib

    bundle = joblib.load(bundle_path)
    r = np.sort(bundle["residuals"])
    q = r[int(np.ceil((len(r) + 1) * 0.9)) - 1]
    np.testing.assert_allclose(np.log(pred[UPPER] / pred[PREDICTION]), q, rtol=1e-6)
    assert main(["predict", "--model", str(bundle_path), "--input", str(src),
                 "--output", str(out), "--n-rates", "0,100,200"]) == 0
    curve = pd.read_csv(out)
    assert len(curve) == 12 and sorted(curve.N_rate.unique()) == [0, 100, 200]


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.assign(Climate="Clim9"),
     r"line 2, column 'Climate': unknown code 'Clim9'; allowed: one of"),
    (lambda f: f.assign(Fertilizer_type="XYZ"), r"line 2, column 'Fertilizer_type': unknown code"),
    (lambda f: f.assign(N_rate=-5), r"line 2, column 'N_rate': -5 is out of range; "
                                    r"allowed: a number in \[0, 2000\]"),
    (lambda f: f.assign(N_rate=1e6), r"column 'N_rate': 1e\+06 is out of range"),
    (lambda f: f.assign(pH=40), r"column 'pH': 40 is out of range; allowed: a number in \[2, 12\]"),
    (lambda f: f.assign(duree_expe=0), r"column 'duree_expe': 0 is out of range; "
                                       r"allowed: a number in \(0, 1095\]"),
    (lambda f: f.assign(duree_expe=1200), r"column 'duree_expe': 1200 is out of range"),
    (lambda f: f.assign(Bulk_density=2.5), r"column 'Bulk_density': 2.5 is out of range"),
    (lambda f: f.assign(Carbon_content=75), r"column 'Carbon_content': 75 is out of range"),
    (lambda f: f.assign(pH="acid"), r"line 2, column 'pH': 'acid' is not a finite number"),
    (lambda f: f.drop(columns=["Climate"]), r"missing column\(s\) \['Climate'\]"),
])
def test_bad_dose_input_is_one_line(bundle_path, tmp_path, capsys, edit, message):
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


def test_a_twin_model_predicts_a_row_without_organic_carbon():
    """The row of the issue: study 121, 0 N, 13 days, organic C empty, alone."""
    from sklearn.linear_model import LinearRegression

    data = load_dose_response()
    row = data[(data[GROUP] == "121") & (data.N_rate == 0) & (data.duree_expe == 13)]
    row = row.head(1)  # two identical rows (replicates) in the data
    assert row.Carbon_content.isna().all()

    class TwinOnly(LinearRegression):
        def fit(self, X, y):
            return super().fit(X[["twin_log_n2o_window"]], y)

        def predict(self, X):
            return super().predict(X[["twin_log_n2o_window"]])

    X = pd.DataFrame({"twin_log_n2o_window": [0.0, 1.0]})
    model = TwinOnly().fit(X, np.array([0.0, 1.0]))
    bundle = make_bundle("simulation_only:calibrated", model, np.ones(20), data, 1, 0)
    pred = predict_dose(bundle, row.drop(columns=["N2O", "log_N2O"]).reset_index(drop=True))
    assert np.isfinite(pred[PREDICTION]).all() and pred.window_days.iloc[0] == 13
    assert pred.twin_n2o_kg_n_ha_window.iloc[0] > 0


def test_dose_rows_in_the_simulation_space():
    from kgfgnn.fielddata.knowledge_gnn import OBSERVED, gnn_design, simulation_space
    from kgfgnn.simulate.soils import TEXTURE_CLASSES

    data = load_dose_response()
    X = simulation_space(data)
    assert list(X.columns) == list(OBSERVED) and len(X) == len(data)
    assert (X.n_rate_kg_ha.to_numpy() == data.N_rate.to_numpy()).all()
    assert X.flooded.eq(data.crop_type.eq("Wetland_rice").astype(float)).all()
    assert set(X.soil_clay_pct) <= {clay for _, clay in TEXTURE_CLASSES.values()}
    forms = X[["n_urea_frac", "n_nh4_frac", "n_no3_frac", "n_organic_frac"]].sum(axis=1)
    assert np.allclose(forms, (data.N_rate > 0).astype(float))  # shares sum to 1 when fertilised
    assert X.drop(columns=["soil_oc_pct", "soil_bd_g_cm3"]).notna().all().all()
    G = gnn_design(data)
    np.testing.assert_allclose(G.ln_window_days, np.log(data.duree_expe))
    assert "Method_N2O=c" in G.columns and "Freq_N2O" in G.columns  # what the trees see
    assert len(set(G.columns)) == G.shape[1]


def test_an_empty_window_is_a_full_year_everywhere_it_is_read():
    from kgfgnn.fielddata.dose_response import FULL_YEAR_DAYS, WINDOW, window_days
    from kgfgnn.fielddata.validation import window_class
    from kgfgnn.simulate.validation import ANNUAL_FIELD, ef_against_field

    data = load_dose_response()
    assert data[WINDOW].notna().all()  # the file records every window; user rows may not
    data.loc[data.index[::7], WINDOW] = np.nan
    empty = data[WINDOW].isna()
    days = window_days(data)
    assert (days[empty] == FULL_YEAR_DAYS).all() and days.notna().all()
    ef = field_emission_factors(data)
    pd.testing.assert_series_equal(ef.window_days, days.loc[ef.index], check_names=False)
    # the design's log window, the twins' window and the EF tables read the same days
    assert np.isfinite(design_matrix(data)[LN_WINDOW]).all()
    pd.testing.assert_series_equal(twin_conditions(data).window_days, days,
                                   check_names=False)
    assert (window_class(ef.window_days)[ef[WINDOW].isna()] == ">= 365 d").all()
    sim = pd.DataFrame({"ipcc_class": ["wet"], "flooded": [False], "ef_pct": [1.0]})
    table = ef_against_field(sim, ef)
    assert table.loc[ANNUAL_FIELD, "n"] == int((ef.window_days >= 365).sum())


def test_predict_without_a_twin_imports_no_torch_graph_or_simulation(bundle_path, tmp_path):
    """``predict`` with a model on the measured columns loads only what that model needs
    (the cold start is timed by benchmarks/predict_cold.py)."""
    import subprocess
    import sys

    row = tmp_path / "row.csv"
    load_dose_response().drop(columns=["N2O", "log_N2O"]).iloc[[0]].to_csv(row, index=False)
    code = ("import sys\nfrom kgfgnn.cli import main\n"
            f"assert main(['predict', '--model', {str(bundle_path)!r}, '--input', {str(row)!r},"
            f" '--output', {str(tmp_path / 'out.csv')!r}]) == 0\n"
            "print(sorted(m for m in ('torch', 'torch_geometric', 'networkx', 'statsmodels',"
            " 'DSSATTools', 'pytabkit') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_twin_ef_agreement_per_class_matches_its_definition():
    import warnings

    from kgfgnn.fielddata.validation import twin_ef_agreement

    rng = np.random.default_rng(0)
    paired = pd.DataFrame({"ef_pct": rng.gamma(1.0, 0.5, 40),
                           "twin_ef_window_pct": rng.gamma(1.0, 0.3, 40),
                           "climate": ["wet"] * 20 + ["dry"] * 17 + ["cold"] * 3,
                           "crop": "maize", "window": ">= 365 d"})
    paired.loc[3, "twin_ef_window_pct"] = np.nan
    paired.loc[37:, "twin_ef_window_pct"] = 0.2  # a class whose twin is constant
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConstantInputWarning reaches the book
        table = twin_ef_agreement(paired)
    wet = paired[paired.climate == "wet"]
    row = table.loc[("climate class", "wet")]
    assert row.treatments == 20
    assert row.rank_corr == pytest.approx(
        wet.ef_pct.corr(wet.twin_ef_window_pct, method="spearman"))
    assert row.bias == pytest.approx((wet.twin_ef_window_pct - wet.ef_pct).median())
    assert np.isnan(table.loc[("climate class", "cold"), "rank_corr"])
    assert not np.isnan(table.loc[("crop", "maize"), "rank_corr"])


def test_study_means_rank_the_twin_per_study():
    """The twin chapter's study-level table: per-study means of measured ln N2O, the twin,
    its calibration (x1 = the twin itself), the annual twin scaled by window / 365 and ln
    window (an empty window = 365 days)."""
    from kgfgnn.fielddata.validation import study_means

    data = pd.DataFrame({"Ref_num": ["a", "a", "b"], "log_N2O": [0.0, 1.0, 2.0],
                         "duree_expe": [100.0, 100.0, np.nan]})
    twin = pd.DataFrame({"twin_n2o_kg_n_ha_yr": [3.65, 7.3, 0.0]})
    X_twin = pd.DataFrame({"twin_log_n2o_window": np.log([1.0, 2.0, 4.0]),
                           "twin_log_nit_window": np.log([0.5, 0.5, 1.0])})
    table = study_means(data, twin, X_twin, 1.0)
    assert list(table.index) == ["a", "b"]
    np.testing.assert_allclose(table.log_N2O, [0.5, 2.0])
    np.testing.assert_allclose(table.twin, [np.log(2) / 2, np.log(4)])
    np.testing.assert_allclose(table.twin_cal, table.twin)
    np.testing.assert_allclose(table.annual_scaled, [(np.log(1.0) + np.log(2.0)) / 2,
                                                     np.log(1e-3)])  # floored, full year
    np.testing.assert_allclose(table.window, [np.log(100), np.log(365)])
    doubled = study_means(data, twin, X_twin, 3.0)  # + 2 x nitrified N2O
    np.testing.assert_allclose(doubled.twin_cal, [(np.log(2) + np.log(3)) / 2, np.log(6)])
