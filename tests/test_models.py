import numpy as np
import pandas as pd
import pytest
import torch

from kgfgnn.graphs import build_multigraph
from kgfgnn.models import KGFGNN, LAYERS
from kgfgnn.scales import signed_expm1, signed_log1p
from kgfgnn.train import KGFGNNRegressor
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
    from kgfgnn import __version__

    assert ckpt["version"] == __version__ and ckpt["spec"]["nodes"] == NODES
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
    with pytest.raises(ValueError, match="graph node or context column"):
        KGFGNNRegressor(spec=spec, epochs=1).fit(X.drop(columns=["flooded"]), Y)
    with pytest.raises(ValueError, match="layer='mlp'"):
        KGFGNN(5, {"n2o": spec.edge_index("n2o")}, layer="mlp")


def test_signed_log_inverse():
    y = np.array([-3.0, 0.0, 0.01, 5.0, 1e4])
    np.testing.assert_allclose(signed_expm1(signed_log1p(y)), y)


def _sparse_to_dense_state(sparse: KGFGNN, layer: str) -> dict:
    """The sparse model's weights under the dense layers' parameter names."""
    state = {}
    for key, value in sparse.state_dict().items():
        if ".convs." not in key:
            state[key] = value
            continue
        prefix, name = key.rsplit(".convs.", 1)
        k, rest = name.split(".", 1)
        base = f"{prefix}.convs.{k}."
        if layer == "sage":  # SAGEConv: lin_l (neighbours, bias), lin_r (root, no bias)
            mapping = {"lin_l.weight": "lin_rel.weight", "lin_l.bias": "lin_root.bias",
                       "lin_r.weight": "lin_root.weight"}
            state[base + mapping[rest]] = value
        elif layer == "gat" and rest in ("att_src", "att_dst"):
            state[base + rest] = value.unsqueeze(0)  # (1, H, C) -> (1, 1, H, C)
        else:  # GCN (lin, bias), GAT (lin, bias), GIN (nn.*, eps): same names
            state[base + rest] = value
    return state


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("readout", ["pool", "concat"])
def test_dense_layers_equal_sparse_layers_for_the_same_weights(layer, readout, data):
    _, _, spec = data
    topology = {t: spec.edge_index(t) for t in spec.edges}
    torch.manual_seed(3)
    sparse = KGFGNN(len(NODES), topology, layer=layer, hidden=16, readout=readout,
                    message_passing="sparse").eval()
    dense = KGFGNN(len(NODES), topology, layer=layer, hidden=16, readout=readout,
                   message_passing="dense").eval()
    missing, unexpected = dense.load_state_dict(_sparse_to_dense_state(sparse, layer),
                                                strict=False)
    assert not unexpected and not missing
    x = torch.randn(64, len(NODES))
    torch.testing.assert_close(dense(x), sparse(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="message_passing='fast': allowed values"):
        KGFGNN(len(NODES), topology, message_passing="fast")
