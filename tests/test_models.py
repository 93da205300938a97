import numpy as np
import pandas as pd
import pytest
import torch

from kgfgnn.features import Autoencoder
from kgfgnn.graphs import build_multigraph
from kgfgnn.models import KGFGNN, LAYERS, RelationalBlock
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


def test_byte_mask_dropout_keeps_the_expectation_and_the_rate():
    from kgfgnn.models import ByteMaskDropout

    torch.manual_seed(0)
    drop = ByteMaskDropout(0.1)
    x = torch.ones(200_000)
    y = drop(x)
    rate = float((y == 0).float().mean())
    assert abs(rate - 26 / 256) < 0.003  # p rounded to a multiple of 1/256
    assert abs(float(y.mean()) - 1.0) < 0.01  # kept values scaled up: same expectation
    drop.eval()
    assert torch.equal(drop(x), x)
    drop.train()
    drop.p = 0.0  # settable like torch.nn.Dropout's p
    assert torch.equal(drop(x), x)
    assert isinstance(drop, torch.nn.Dropout)


def test_explicit_fusion_attention_equals_multihead_attention(data):
    _, _, spec = data
    torch.manual_seed(0)
    model = KGFGNN(len(NODES), {t: spec.edge_index(t) for t in spec.edges}, hidden=16).eval()
    z = torch.randn(9, 3, 16)
    expected, _ = model.attention(z, z, z, need_weights=False)
    torch.testing.assert_close(model._fusion_attention(z), expected, rtol=1e-5, atol=1e-6)


def test_supervised_intermediate_nodes_are_predicted_and_not_read(data):
    """Latent nodes take no value from X (changing their columns changes nothing), the
    auxiliary outputs are trained on their simulated values, and the checkpoint keeps
    them."""
    from kgfgnn.variables import DRIVERS

    X, Y, _ = data
    spec = build_multigraph(X, Y, ["n_rate_kg_ha", "t_max_mean_c", "flooded"], 0.3,
                            pathway=True, allow_empty=True)
    assert "no3_mean_0_15_ppm" in spec.latent
    aux = X[["no3_mean_0_15_ppm", "wfps_mean_0_15"]]
    model = KGFGNNRegressor(spec=spec, epochs=40, patience=40, hidden=16, random_state=0)
    model.fit(X, Y, aux=aux)
    shuffled = X.copy()
    shuffled[list(set(CANDIDATES) - set(DRIVERS))] = 99.0  # the states: not inputs
    np.testing.assert_array_equal(model.predict(X), model.predict(shuffled))
    net = model.model_.eval()
    with torch.no_grad():
        _, aux_pred = net.forward_with_aux(model._tensors(model._x(X)))
    truth = model.aux_scaler_.transform(signed_log1p(aux.to_numpy()))
    r = np.corrcoef(aux_pred[:, 0].numpy(), truth[:, 0])[0, 1]
    assert r > 0.8  # NO3 follows the N rate in the toy data: learned from the drivers
    with pytest.raises(ValueError, match="not nodes of the graph"):
        model.fit(X, Y, aux=X[["soil_oc_pct"]].rename(columns={"soil_oc_pct": "made_up"}))


def test_supervised_checkpoint_round_trip(data, tmp_path):
    X, Y, _ = data
    spec = build_multigraph(X, Y, ["n_rate_kg_ha", "flooded"], 0.3, pathway=True,
                            allow_empty=True)
    model = KGFGNNRegressor(spec=spec, epochs=3, patience=3, hidden=8).fit(
        X, Y, aux=X[["no3_mean_0_15_ppm"]])
    model.save(tmp_path / "m.pt")
    again, _ = KGFGNNRegressor.load(tmp_path / "m.pt")
    assert again.spec.latent == spec.latent
    np.testing.assert_allclose(again.predict(X), model.predict(X), rtol=1e-6)


def test_device_setting_is_checked():
    from kgfgnn.train import resolve_device

    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device='tpu'"):
        resolve_device("tpu")


def test_fine_tuning_takes_the_dropout_set_since_the_fit(data):
    """set_params(dropout=...) before fine_tune reaches every dropout layer of the network,
    without the caller touching its modules; a bad rate names the parameter."""
    X, Y, spec = data
    model = KGFGNNRegressor(spec=spec, epochs=2, hidden=8, dropout=0.1).fit(X, Y)
    rates = {m.p for m in model.model_.modules() if isinstance(m, torch.nn.Dropout)}
    assert rates == {0.1}
    model.set_params(dropout=0.3).fine_tune(X.iloc[:100], Y.iloc[:100], epochs=1)
    rates = {m.p for m in model.model_.modules() if isinstance(m, torch.nn.Dropout)}
    assert rates == {0.3}
    with pytest.raises(ValueError, match="dropout=1.5"):
        model.model_.set_dropout(1.5)


def test_reset_parameters_draws_every_weight_afresh(data):
    _, _, spec = data
    torch.manual_seed(0)
    model = KGFGNN(len(NODES), {t: spec.edge_index(t) for t in spec.edges}, hidden=16)
    before = {k: v.clone() for k, v in model.state_dict().items()
              if v.is_floating_point() and v.numel() > 1}
    torch.manual_seed(1)
    model.reset_parameters()
    after = model.state_dict()
    redrawn = [k for k, v in before.items() if not torch.equal(v, after[k])]
    constant = [k for k, v in before.items() if v.std() == 0]  # biases 0, norms 1 by design
    assert set(redrawn) | set(constant) == set(before)
    assert len(redrawn) > len(before) / 2


@pytest.mark.parametrize("build", [
    lambda: RelationalBlock("sage", 16, 2, 0.1, dense=True),
    lambda: RelationalBlock("rgcn", 16, 2, 0.1, dense=True),
    lambda: Autoencoder(10, 16, 4),
])
def test_every_network_module_resets_its_weights(build):
    torch.manual_seed(0)
    module = build()
    before = {k: v.clone() for k, v in module.state_dict().items() if v.std() > 0}
    torch.manual_seed(1)
    module.reset_parameters()
    after = module.state_dict()
    assert before and all(not torch.equal(v, after[k]) for k, v in before.items())


def test_predict_in_chunks_keeps_every_row_in_order(data, monkeypatch):
    """predict runs PREDICT_CHUNK rows per forward pass: a chunk smaller than the input
    (with a remainder) gives the rows' predictions of one pass over all of them."""
    import kgfgnn.train

    X, Y, spec = data
    model = KGFGNNRegressor(spec=spec, epochs=3, hidden=8, random_state=2).fit(X, Y)
    whole = model.predict(X)
    monkeypatch.setattr(kgfgnn.train, "PREDICT_CHUNK", 64)  # 300 rows: 4 chunks + 44
    chunked = model.predict(X)
    assert chunked.shape == whole.shape == (len(X), 3)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.predict(X.iloc[::-1])[::-1], whole, rtol=1e-5, atol=1e-7)
