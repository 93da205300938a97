"""The one search, the real-data estimators, measurement windows and the field KG-FGNN: each
against a value known in advance."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge

from kgfgnn.experiment.search import Family, grouped_holdout, random_search
from kgfgnn.experiment.study import ColumnPrediction
from kgfgnn.fielddata.estimators import (
    CalibratedTwin,
    LogLinearDoseResponse,
    MixedInterceptRegressor,
    TwinResidualRegressor,
)
from kgfgnn.fielddata.knowledge_gnn import FieldKGFGNN, field_trainer
from kgfgnn.simulate.windows import (
    WINDOW_DAYS,
    emitted_column,
    nitrification_column,
    window_nitrification,
    window_total,
)


def _seasons(cumulative: np.ndarray, nitrif: np.ndarray | None = None) -> pd.DataFrame:
    nitrif = cumulative / 10 if nitrif is None else nitrif
    return pd.DataFrame({**{emitted_column(d): cumulative[:, i] for i, d in enumerate(WINDOW_DAYS)},
                         **{nitrification_column(d): nitrif[:, i]
                            for i, d in enumerate(WINDOW_DAYS)}})


@given(st.lists(st.floats(0, 5), min_size=len(WINDOW_DAYS), max_size=len(WINDOW_DAYS)),
       st.floats(1, 1095))
def test_window_totals_grow_with_the_window_and_match_the_grid(increments, days):
    cumulative = np.cumsum(increments)[None, :]
    seasons = _seasons(cumulative)
    total = window_total(seasons, days)[0]
    assert total >= -1e-12
    assert window_total(seasons, min(days + 10, 1095))[0] >= total - 1e-9  # monotone
    for i, d in enumerate(WINDOW_DAYS):
        assert window_total(seasons, d)[0] == pytest.approx(cumulative[0, i])
    annual = cumulative[0, -1]
    assert window_total(seasons, 730)[0] == pytest.approx(2 * annual)
    assert window_total(seasons, 365 + 30)[0] == pytest.approx(annual + cumulative[0, 1])


def test_window_interpolation_and_nitrification_multiplier():
    cumulative = np.array([[1.0 * d / 15 for d in WINDOW_DAYS]])  # 1 kg per 15 days
    seasons = _seasons(cumulative)
    assert window_total(seasons, 20)[0] == pytest.approx(20 / 15)
    nitrif = window_nitrification(seasons, 20)[0]
    assert nitrif == pytest.approx(2 / 15)
    assert window_total(seasons, 20, 3.0)[0] == pytest.approx(20 / 15 + 2 * nitrif)
    for bad in (0, -3, 1096, np.nan):
        with pytest.raises(ValueError, match="days"):
            window_total(seasons, bad)
    with pytest.raises(ValueError, match="nitrification_multiplier"):
        window_total(seasons, 10, -1)


def _grouped(n_groups=30, per=6, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_groups), per).astype(str)
    level = rng.normal(scale=1.0, size=n_groups)[np.repeat(np.arange(n_groups), per)]
    X = pd.DataFrame({"ln_window_days": rng.uniform(2, 6, n_groups * per),
                      "N_rate": rng.uniform(0, 300, n_groups * per),
                      "noise": rng.normal(size=n_groups * per)})
    y = 0.5 + 0.8 * X.ln_window_days + 0.004 * X.N_rate + level \
        + 0.1 * rng.normal(size=len(X))
    return X, y.to_numpy(), groups


def test_loglinear_recovers_its_coefficients():
    X, y, _ = _grouped()
    model = LogLinearDoseResponse().fit(X, y)
    assert model.model_.coef_ == pytest.approx([0.8, 0.004], rel=0.25)
    assert model.n_features_in_ == 3


def test_mixed_model_recovers_the_fixed_effects_and_the_study_variance():
    X, y, groups = _grouped(n_groups=60)
    model = MixedInterceptRegressor(columns=("ln_window_days", "N_rate")).fit(X, y, groups=groups)
    # fixed effects act on standardised columns: back to per-unit slopes
    slopes = model.fe_params_[1:] / model.scaler_.scale_[:2]
    assert slopes == pytest.approx([0.8, 0.004], rel=0.1)
    assert 0.5 < model.study_variance_ < 1.6 and model.residual_variance_ < 0.05
    with pytest.raises(ValueError, match="groups"):
        MixedInterceptRegressor().fit(X, y)


def test_mixed_model_with_fewer_rows_than_fixed_effects():
    """A small training subset (a learning-curve point's inner fit) may have fewer rows than
    varying candidate columns: the columns past the rank are left out, in column order."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(12, 18)), columns=[f"c{i}" for i in range(18)])
    y = X.c0.to_numpy() + 0.1 * rng.normal(size=12)
    groups = np.repeat(np.arange(4), 3).astype(str)
    model = MixedInterceptRegressor(columns=tuple(X.columns)).fit(X, y, groups=groups)
    assert list(model.keep_) == list(range(11))  # 12 rows: the constant and 11 columns
    assert np.isfinite(model.predict(X)).all()
    # where the rows suffice, the dependent columns alone are dropped, as before
    wide = pd.DataFrame(rng.normal(size=(36, 18)), columns=X.columns)
    wide["c17"] = wide.c0 + wide.c1
    full = MixedInterceptRegressor(columns=tuple(X.columns)).fit(
        wide, np.tile(y, 3), groups=np.repeat(np.arange(12), 3).astype(str))
    assert 17 not in set(full.keep_) and len(full.keep_) == 17


def test_calibrated_twin_finds_the_nitrification_multiplier():
    rng = np.random.default_rng(1)
    emitted, nitrif = np.exp(rng.normal(size=200)), np.exp(rng.normal(size=200) - 1)
    X = pd.DataFrame({"twin_log_n2o_window": np.log(emitted),
                      "twin_log_nit_window": np.log(nitrif)})
    y = 0.3 + np.log(emitted + 9.0 * nitrif)  # the true share is x10
    assert CalibratedTwin().fit(X, y).multiplier_ == 10.0


def test_residual_learning_adds_the_twin_back():
    X, y, _ = _grouped()
    X = X.assign(twin_log_n2o_window=np.linspace(-1, 1, len(X)))
    model = TwinResidualRegressor(base=Ridge(alpha=1.0)).fit(X, y)
    base = Ridge(alpha=1.0).fit(X, y - X.twin_log_n2o_window)
    np.testing.assert_allclose(model.predict(X), X.twin_log_n2o_window + base.predict(X))


@pytest.mark.parametrize("make, fit_kw", [
    (lambda: LogLinearDoseResponse(), {}),
    (lambda: MixedInterceptRegressor(columns=("ln_window_days", "N_rate")), {"groups": True}),
    (lambda: CalibratedTwin(), {}),
    (lambda: TwinResidualRegressor(base=Ridge()), {}),
    (lambda: ColumnPrediction(column="twin_log_n2o_window"), {}),
    (lambda: FieldKGFGNN(nodes=("N_rate", "ln_window_days"), n_members=2,
                         trainer=field_trainer(epochs=2, hidden=8)), {"groups": True}),
])
def test_estimator_contract(make, fit_kw):
    """The estimators of the real-data protocol (FieldKGFGNN as the Carey data configure it:
    its own node columns) keep scikit-learn's contract."""
    X, y, groups = _grouped()
    X = X.assign(twin_log_n2o_window=np.log(1 + X.N_rate / 100),
                 twin_log_nit_window=np.log(0.1 + X.N_rate / 1000))
    kw = {"groups": groups} if fit_kw else {}
    model = make()
    with pytest.raises(NotFittedError):
        model.predict(X)
    first = model.fit(X, y, **kw).predict(X)
    second = model.fit(X, y, **kw).predict(X)  # a refit starts afresh
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(clone(model).fit(X, y, **kw).predict(X), first)
    assert model.n_features_in_ == X.shape[1]


def test_search_holds_out_whole_groups_and_picks_the_better_candidate():
    X, y, groups = _grouped()
    fit_idx, val_idx = grouped_holdout(groups, seed=0)
    assert not set(groups[fit_idx]) & set(groups[val_idx])
    assert len(np.unique(groups[val_idx])) == round(0.25 * 30)
    seen = []

    class Spy(Ridge):
        def fit(self, X, y, groups=None):
            seen.append(set(groups))
            return super().fit(X, y)

    family = Family("ridge", lambda p, s: Spy(**p), {"alpha": [1e-3, 1e6]}, uses_groups=True)
    model, params, table = random_search(family, X, y, groups, seed=0, n_iter=2)
    assert params == {"alpha": 1e-3}  # a huge penalty cannot fit the slopes
    assert len(table) == 2 and table.holdout_mse.min() < table.holdout_mse.max()
    assert all(not s & set(groups[val_idx]) for s in seen[:2])  # candidates never see it
    assert seen[-1] == set(groups)  # the refit sees every group
    again = random_search(family, X, y, groups, seed=0, n_iter=2)[2]
    pd.testing.assert_frame_equal(table, again)


def test_field_kgfgnn_ensemble_and_pretrained_members_unchanged(tiny_simulation):
    import torch

    from kgfgnn.fielddata.dose_response import load_dose_response
    from kgfgnn.fielddata.knowledge_gnn import FieldKGFGNN, gnn_design, pretrain

    seasonal, _ = tiny_simulation
    data = load_dose_response().iloc[:150]
    X, y = gnn_design(data), data.log_N2O.to_numpy()
    groups = data.Ref_num.to_numpy()
    pretrained = pretrain(seasonal, list(X.columns), n_examples=60, n_members=2, epochs=2,
                          seed=0, hidden=8)
    from kgfgnn.fielddata.knowledge_gnn import NODE_COLUMNS

    assert pretrained["spec"].nodes[:len(NODE_COLUMNS)] == list(NODE_COLUMNS)
    assert pretrained["members"][0].context == tuple(X.columns[len(NODE_COLUMNS):])
    knowledge = {(u, v) for u, v, k in pretrained["spec"].edges["n2o"] if k == 0}
    assert any(u == "ln_window_days" for u, _ in knowledge)  # the window edge is in
    before = [{k: v.clone() for k, v in m.model_.state_dict().items()}
              for m in pretrained["members"]]
    tuned = FieldKGFGNN(pretrained=pretrained, n_members=3, fine_tune_epochs=2,
                        probe_epochs=1, trainer=field_trainer(lr=6e-3, dropout=0.25)
                        ).fit(X, y, groups)
    assert len(tuned.members_) == 3
    for member in tuned.members_:  # the searched settings, not the pretraining ones, apply
        rates = member.history_.groupby("stage", sort=False).lr.first()
        assert rates["fine_tune"] == pytest.approx(2e-3) and rates["probe"] == pytest.approx(6e-3)
        assert {m.p for m in member.model_.modules() if isinstance(m, torch.nn.Dropout)} == {0.25}
    pred = tuned.predict(X)
    assert pred.shape == (len(X),) and np.isfinite(pred).all()
    np.testing.assert_allclose(pred, np.mean([m.predict(tuned._inputs(X))
                                              for m in tuned.members_], axis=0))
    for b, m in zip(before, pretrained["members"], strict=True):
        assert all(torch.equal(b[k], v) for k, v in m.model_.state_dict().items())
    scratch = FieldKGFGNN(trainer=field_trainer(epochs=2, hidden=8), n_members=2
                          ).fit(X, y, groups)
    assert np.isfinite(scratch.predict(X)).all()


def test_context_columns_enter_the_readout_and_survive_a_checkpoint(tmp_path):
    from kgfgnn.graphs import GraphSpec
    from kgfgnn.train import KGFGNNRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200),
                      "c1": rng.integers(0, 2, 200).astype(float)})
    y = X.a + 2 * X.c1 + 0.1 * rng.normal(size=200)
    spec = GraphSpec(["a", "b"], {"n2o": [("a", "b", 0), ("b", "a", 1)]})
    model = KGFGNNRegressor(spec=spec, epochs=30, hidden=8, context=("c1",),
                            target_transform="identity").fit(X, y)
    assert model.model_.context.in_features == 1
    moved = model.predict(X.assign(c1=1 - X.c1))
    assert np.mean(np.abs(moved - model.predict(X))) > 0.5  # the context is used
    model.save(tmp_path / "m.pt")
    again, _ = KGFGNNRegressor.load(tmp_path / "m.pt")
    assert again.context == ("c1",)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
