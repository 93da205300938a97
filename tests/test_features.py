import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from kgfgnn.features import AutoencoderSelector
from kgfgnn.variables import FERTILISATION_DECISIONS, LEAKING, feature_frame, target_frame


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 240
    base = rng.normal(size=(n, 3))
    frame = pd.DataFrame({
        "a": base[:, 0], "a_copy": base[:, 0] + 0.05 * rng.normal(size=n),
        "b": base[:, 1], "b_copy": 2 * base[:, 1] + 0.05 * rng.normal(size=n),
        "noise": rng.normal(size=n), "c": base[:, 2],
    })
    return frame


def fit(table, **kw):
    params = {"top_k": 3, "latent_dim": 2, "hidden": 16, "epochs": 60, "patience": 10,
              "n_repeats": 2, "random_state": 3} | kw
    return AutoencoderSelector(**params).fit(table)


def test_sklearn_transformer_api(table):
    sel = fit(table)
    np.testing.assert_array_equal(sel.transform(table), table[sel.selected_].to_numpy(float))
    np.testing.assert_array_equal(sel.transform(table.to_numpy()),
                                  table[sel.selected_].to_numpy(float))
    assert list(sel.get_feature_names_out()) == sel.selected_
    assert sel.get_params()["top_k"] == 3
    assert clone(sel).get_params() == sel.get_params()
    pipe = Pipeline([("select", fit(table)), ("ridge", Ridge())]).fit(table, table["c"])
    assert pipe.predict(table).shape == (len(table),)
    assert sel.encode(table).shape == (len(table), 2)


def test_shared_information_ranks_above_noise(table):
    sel = fit(table, epochs=150)
    scores = sel.scores_
    assert scores[["a", "a_copy", "b", "b_copy"]].min() > scores["noise"]


def test_same_seed_bit_identical(table):
    a, b = fit(table), fit(table)
    pd.testing.assert_series_equal(a.scores_, b.scores_)
    assert a.selected_ == b.selected_


def test_keep_is_always_selected(table):
    sel = fit(table, keep=("noise",))
    assert sel.selected_[0] == "noise" and len(sel.selected_) == 3


def test_save_load_roundtrip(table, tmp_path):
    sel = fit(table)
    sel.save(tmp_path)
    again = AutoencoderSelector.load(tmp_path)
    assert again.selected_ == sel.selected_
    np.testing.assert_allclose(again.encode(table), sel.encode(table), rtol=1e-6)


def test_bad_parameters(table):
    with pytest.raises(ValueError, match="top_k=99: must be between 1 and 6"):
        fit(table, top_k=99)
    with pytest.raises(ValueError, match=r"keep names \['zzz'\]"):
        fit(table, keep=("zzz",))
    with pytest.raises(ValueError, match="NaN"):
        fit(table.assign(a=np.nan))


def test_candidate_features_exclude_leaking_fluxes(tiny_simulation):
    seasonal, _ = tiny_simulation
    X = feature_frame(seasonal[seasonal.status != "model_error"])
    assert not set(LEAKING) & set(X.columns)
    assert set(FERTILISATION_DECISIONS) <= set(X.columns)
    assert np.isfinite(X.to_numpy()).all()
    assert list(target_frame(seasonal).columns) == ["n2o", "co2", "ch4"]
