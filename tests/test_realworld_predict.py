import re

import numpy as np
import pandas as pd
import pytest

from kgfgnn.bundles import save_bundle
from kgfgnn.cli import main
from kgfgnn.datasets.carey import PREDICTION_COLUMN
from kgfgnn.experiment.intervals import log_residual_coverage
from kgfgnn.fielddata.carey import KIND, carey_bundle, carey_families, carey_inputs
from kgfgnn.fielddata.carey_data import (
    FERTILISER_CODES,
    OBSERVED,
    TARGET,
    load_real,
    map_real,
)
from kgfgnn.fielddata.protocol import FieldProtocol
from kgfgnn.knowledge import pathway_nodes
from kgfgnn.predict import PredictionInputError, validate_input
from kgfgnn.scales import signed_expm1, signed_log1p


def test_real_data_mapping():
    real = load_real()
    assert len(real) == 484 and real.group.nunique() == 85
    assert set(real.fertilizer) <= set(FERTILISER_CODES)
    shares = real[[c for c in OBSERVED if c.endswith("_frac")]].sum(axis=1)
    fertilised = real.n_rate_kg_ha > 0
    np.testing.assert_allclose(shares[fertilised], 1.0)
    assert (shares[~fertilised] == 0).all()
    assert (real[TARGET] >= 0).all()


def test_latent_nodes_carry_the_pathway():
    latent = pathway_nodes("n2o", OBSERVED)
    assert {"nitrification", "denitrification", "nh4_mean_0_15_ppm",
            "no3_mean_0_15_ppm"} <= set(latent)
    assert not set(latent) & set(OBSERVED)


class _MeanOfSimulation:
    """A stand-in for the simulation's conditional-mean model (its interface: predict)."""

    def predict(self, X):
        return np.log1p(X["n_rate_kg_ha"].to_numpy() / 100)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A Carey bundle of a hybrid approach (the conditional mean enters the inputs)."""
    real = load_real()
    knowledge = _MeanOfSimulation()
    X = carey_inputs(real, knowledge)["hybrid"]
    y = signed_log1p(real[TARGET].to_numpy())
    family = carey_families(FieldProtocol(), None)["ridge"]
    model = family.fit({"alpha": 1.0}, 0, X, y)
    path = tmp_path_factory.mktemp("m") / "model.joblib"
    residuals = y - model.predict(X)
    save_bundle(path, carey_bundle("hybrid:ridge", model, residuals, (y.min(), y.max()),
                                   knowledge))
    return path


def test_carey_bundle_predicts_what_its_model_does(model_path, tmp_path):
    real = load_real().head(5)
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    raw = pd.DataFrame({"fertilizer": real.fertilizer, "carbon": real.soil_oc_pct,
                        "n.input": real.n_rate_kg_ha})
    raw.to_csv(src, index=False)
    assert main(["predict", "--model", str(model_path), "--input", str(src),
                 "--output", str(out)]) == 0
    import joblib

    bundle = joblib.load(model_path)
    expected = bundle["model"].predict(carey_inputs(map_real(raw), _MeanOfSimulation())["hybrid"])
    expected = signed_expm1(np.clip(expected, *bundle["clip_range"]))
    np.testing.assert_allclose(pd.read_csv(out)[PREDICTION_COLUMN], expected, rtol=1e-6)


def test_predict_round_trip(model_path, tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"fertilizer": ["U", "AN", "unknown"], "carbon": [1.0, 2.0, 3.0],
                  "n.input": [0, 100, 200], "group": ["a", "b", "c"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", str(model_path), "--input", str(src),
                 "--output", str(out)]) == 0
    pred = pd.read_csv(out)
    assert len(pred) == 3 and np.isfinite(pred[PREDICTION_COLUMN]).all()
    assert list(pred.columns[:4]) == ["fertilizer", "carbon", "n.input", "group"]
    assert (pred.n2o_lower_90 <= pred[PREDICTION_COLUMN]).all()
    assert (pred[PREDICTION_COLUMN] <= pred.n2o_upper_90).all()
    assert (pred.n2o_upper_90 > pred.n2o_lower_90).all()


@pytest.mark.parametrize("rows, message", [
    ({"fertilizer": ["U", "XX"], "carbon": [1, 1], "n.input": [1, 1]},
     r"line 3, column 'fertilizer': unknown code 'XX'"),
    ({"fertilizer": ["U", "U"], "carbon": [1, -2], "n.input": [1, 1]},
     r"line 3, column 'carbon': -2 is out of range; allowed: a number >= 0"),
    ({"fertilizer": ["U"], "carbon": ["lots"], "n.input": [1]},
     r"line 2, column 'carbon': 'lots' is not a finite number"),
    ({"fertilizer": ["U"], "carbon": [1.0]}, r"missing column\(s\) \['n.input'\]"),
])
def test_invalid_input_names_row_and_column_and_writes_nothing(model_path, tmp_path, rows,
                                                               message, capsys):
    src, out = tmp_path / "bad.csv", tmp_path / "out.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    assert main(["predict", "--model", str(model_path), "--input", str(src),
                 "--output", str(out)]) == 2
    assert not out.exists() and list(tmp_path.glob(".out*")) == []
    with pytest.raises(PredictionInputError, match=message):
        validate_input(pd.read_csv(src, keep_default_na=False, na_values=[""]))


def test_map_real_is_columnwise():
    frame = pd.DataFrame({"fertilizer": ["UAN"], "carbon": [2.0], "n.input": [120.0]})
    mapped = map_real(frame)
    assert mapped.loc[0, "n_urea_frac"] == 0.5 and mapped.loc[0, "n_rate_kg_ha"] == 120


def _run_predict(model, src, out, capsys) -> str:
    code = main(["predict", "--model", str(model), "--input", str(src), "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


GOOD_ROWS = "fertilizer,carbon,n.input\nU,1.0,100\n"


@pytest.mark.parametrize("content, message", [
    ("", r"is empty: expected a header line"),
    ("fertilizer,carbon,n.input\n", r"has a header but no data rows"),
    ("fertilizer,carbon,n.input\nU,1,2\nU,1,2,3,4\n", r"not a readable CSV"),
])
def test_unreadable_input_is_one_line(model_path, tmp_path, capsys, content, message):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(content)
    line = _run_predict(model_path, src, out, capsys)
    assert re.search(message, line) and str(src) in line
    assert list(tmp_path.iterdir()) == [src]


def test_missing_input_file_is_one_line(model_path, tmp_path, capsys):
    line = _run_predict(model_path, tmp_path / "nope.csv", tmp_path / "out.csv", capsys)
    assert "input file" in line and "nope.csv not found" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("model_bytes", [b"", b"not a model at all", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_model_is_one_line(tmp_path, capsys, model_bytes):
    src, out, fake = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "fake.pt"
    src.write_text(GOOD_ROWS)
    fake.write_bytes(model_bytes)
    line = _run_predict(fake, src, out, capsys)
    assert "is not a kgfgnn model" in line and "fake.pt" in line
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["fake.pt",
                                                                              "in.csv"]


def test_a_torch_file_without_a_model_is_one_line(tmp_path, capsys):
    import torch

    src, out, other = tmp_path / "in.csv", tmp_path / "out.csv", tmp_path / "other.pt"
    src.write_text(GOOD_ROWS)
    torch.save({"weights": torch.zeros(3)}, other)
    line = _run_predict(other, src, out, capsys)
    assert "is not a kgfgnn model" in line
    assert not out.exists()


def test_unwritable_output_folder_is_one_line(model_path, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text(GOOD_ROWS)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    line = _run_predict(model_path, src, blocker / "sub" / "out.csv", capsys)
    assert "cannot be written" in line
    line = _run_predict(model_path, src, tmp_path, capsys)
    assert "is a folder" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "in.csv"]


def test_log_residual_intervals_cover_exchangeable_data_at_the_nominal_rate():
    rng = np.random.default_rng(0)
    y = rng.normal(size=2000)
    pred = y + rng.normal(scale=0.5, size=2000)
    frame = pd.DataFrame({"seed": 0, "fold": np.arange(2000) % 5, "y": y, "pred": pred})
    coverage = log_residual_coverage(frame, confidence=0.9)
    assert len(coverage) == 5
    assert 0.86 <= coverage.coverage.mean() <= 0.94
    narrow = log_residual_coverage(frame.assign(pred=y + rng.normal(scale=0.1, size=2000)))
    assert narrow.median_width.median() < coverage.median_width.median()


def test_a_carey_model_without_calibration_is_one_line(tmp_path, capsys):
    real = load_real()
    X = carey_inputs(real)["design"]
    model = carey_families(FieldProtocol(), None)["ridge"].fit(
        {"alpha": 1.0}, 0, X, signed_log1p(real[TARGET].to_numpy()))
    path = tmp_path / "old.joblib"
    save_bundle(path, {"kind": KIND, "model": model, "inputs": "design"})
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    pd.DataFrame({"fertilizer": ["U"], "carbon": [1.0], "n.input": [50]}).to_csv(src,
                                                                                 index=False)
    assert main(["predict", "--model", str(path), "--input", str(src),
                 "--output", str(out)]) == 2
    assert "conformal calibration residuals" in capsys.readouterr().err
    assert not out.exists()
