import numpy as np
import pandas as pd
import pytest
import torch

from kgfgnn.graphs import build_multigraph
from kgfgnn.models import KGFGNN, LAYERS
from kgfgnn.train import KGFGNNRegressor, signed_expm1, signed_log1p
from kgfgnn.variables import CANDIDATES

NODES = ["n_rate_kg_ha", "no3_mean_0_15_ppm", "wfps_mean_0_15", "soil_temp_mean_0_15_c",
         "flooded"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    n = 300
    X = pd.DataFrame(rng.normal(size=(n, len(CANDIDATES))), columns=list(CANDIDATES))
    X["no3_mean_0_15_ppm"] = X["n_rate_kg_ha"] + 0.3 * rng.normal(size=n)
    Y = pd.DataFrame({"n2o": np.exp(0.8 * X["no3_mean_0_15_ppm"] + X["wfps_mean_0_15"]),
                      "co2": 1000 * np.exp(0.5 * X["soil_temp_mean_0_15_c"]),
                      "ch4": 50 * (X["flooded"] > 0.5)})
    spec = build_multigraph(X, Y, NODES, corr_threshold=0.3)
    return X, Y, spec


@pytest.mark.parametrize("layer", LAYERS)
def test_forward_shapes(layer, data):
    _, _, spec = data
    model = KGFGNN(len(NODES), {t: spec.edge_index(t) for t in spec.edges}, layer=layer,
                   hidden=16)
    out = model(torch.randn(7, len(NODES)))
    assert out.shape == (7, 3)
    out.sum().backward()


def test_learns_and_beats_the_mean(data):
    X, Y, spec = data
    model = KGFGNNRegressor(spec=spec, epochs=60, patience=15, hidden=16, random_state=0)
    model.fit(X.iloc[:240], Y.iloc[:240])
    pred = model.predict(X.iloc[240:])
    truth = Y.iloc[240:].to_numpy()
    mse = ((signed_log1p(pred) - signed_log1p(truth)) ** 2).mean(axis=0)
    baseline = ((signed_log1p(truth) - signed_log1p(truth).mean(axis=0)) ** 2).mean(axis=0)
    assert (mse < 0.7 * baseline).all()
    assert model.history_.val_mse.min() < model.history_.val_mse.iloc[0]


def test_deterministic_and_checkpoint_roundtrip(data, tmp_path):
    X, Y, spec = data
    kw = {"spec": spec, "epochs": 5, "hidden": 8, "random_state": 4}
    a = KGFGNNRegressor(**kw).fit(X, Y)
    b = KGFGNNRegressor(**kw).fit(X, Y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    a.save(tmp_path / "m.pt", extra={"note": "x"})
    ckpt = torch.load(tmp_path / "m.pt", weights_only=True)
    assert ckpt["version"] and ckpt["spec"]["nodes"] == NODES
    again, extra = KGFGNNRegressor.load(tmp_path / "m.pt")
    assert extra == {"note": "x"}
    np.testing.assert_allclose(again.predict(X), a.predict(X), rtol=1e-6)


def test_fine_tune_changes_the_model(data):
    X, Y, spec = data
    model = KGFGNNRegressor(spec=spec, epochs=5, hidden=8).fit(X, Y)
    before = model.predict(X.iloc[:20])
    model.fine_tune(X.iloc[:100], Y.iloc[:100] * 3, epochs=5)
    assert not np.allclose(before, model.predict(X.iloc[:20]))
    assert set(model.history_.stage) == {"fit", "fine_tune"}


def test_input_errors(data):
    X, Y, spec = data
    with pytest.raises(ValueError, match="graph node column"):
        KGFGNNRegressor(spec=spec, epochs=1).fit(X.drop(columns=["flooded"]), Y)
    with pytest.raises(ValueError, match="layer='mlp'"):
        KGFGNN(5, {"n2o": spec.edge_index("n2o")}, layer="mlp")


def test_signed_log_inverse():
    y = np.array([-3.0, 0.0, 0.01, 5.0, 1e4])
    np.testing.assert_allclose(signed_expm1(signed_log1p(y)), y)
