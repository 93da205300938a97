"""The nested benchmark: successive halving, input selections, the inner split, one outer fold
run per family, the chosen GBM, the claim on chosen models and the resumable unit cache."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from kgfgnn import benchmark, nested
from kgfgnn.benchmark import BenchmarkConfig, run_benchmark
from kgfgnn.experiment.evaluate import folds
from kgfgnn.experiment.report import claim_check
from kgfgnn.experiment.search import Family, Halving, halving_search
from kgfgnn.nested import (
    GNN,
    InputSets,
    NestedConfig,
    ablations,
    chosen_gbm,
    inner_holdout,
    mutual_information_selection,
    protocol_table,
    run_family,
)
from kgfgnn.seeds import spawn
from kgfgnn.train import KGFGNNRegressor
from kgfgnn.variables import CANDIDATES, PROCESS_FLUXES


def _data(n: int = 160, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"v{i}" for i in range(6)])
    Y = pd.DataFrame({"n2o": np.exp(0.8 * X.v0 + 0.1 * rng.normal(size=n)),
                      "co2": 100 * np.exp(0.5 * X.v1 - 0.3 * X.v2)})
    groups = np.repeat([f"c{i}" for i in range(8)], n // 8)
    return X, Y, groups


class _Recorder(Ridge):
    """Ridge that remembers the rows and the alpha of every fit."""

    log: list = []

    def fit(self, X, y):
        _Recorder.log.append((len(X), self.alpha, np.asarray(X)[:, 0].copy()))
        return super().fit(X, y)


def test_halving_schedule_and_resources():
    halving = Halving(None, factor=3, n_rungs=3)
    assert halving.survivors(20) == [20, 7, 3]
    assert [halving.share(k) for k in range(3)] == pytest.approx([1 / 9, 1 / 3, 1])
    epochs = Halving("epochs", top=50, factor=3, n_rungs=3)
    assert [max(1, round(epochs.share(k) * 50)) for k in range(3)] == [6, 17, 50]
    with pytest.raises(ValueError, match="factor=1"):
        Halving(None, factor=1)
    with pytest.raises(ValueError, match="top=2"):
        Halving("epochs", top=2, factor=3, n_rungs=3)


def test_halving_search_never_fits_on_scored_rows_and_keeps_the_best():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=300)
    fit_idx, val_idx = np.arange(200), np.arange(200, 300)
    family = Family("ridge", lambda p, seed: _Recorder(**p), {})
    candidates = [{"alpha": a} for a in (1e4, 1e-2, 1e3, 1e2, 10.0, 1.0)]
    _Recorder.log = []
    chosen, table = halving_search(family, X, y, (fit_idx, val_idx), 0, candidates,
                                   Halving(None, factor=3, n_rungs=2, min_rows=10),
                                   lambda t, p: np.array([np.mean((t - p) ** 2)]))
    scored = set(X[val_idx, 0])
    assert all(not (set(first) & scored) for _, _, first in _Recorder.log)
    assert table.groupby("rung").size().tolist() == [6, 2]
    assert table[table.rung == 0].resource.unique().tolist() == [67]  # 200 / 3 rows
    assert table[table.rung == 1].resource.unique().tolist() == [200]
    assert candidates[chosen[0]]["alpha"] <= 1.0  # the least shrunk candidates win
    again, table2 = halving_search(family, X, y, (fit_idx, val_idx), 0, candidates,
                                   Halving(None, factor=3, n_rungs=2, min_rows=10),
                                   lambda t, p: np.array([np.mean((t - p) ** 2)]))
    assert again == chosen and table2.equals(table)


def test_halving_search_chooses_per_target_at_the_last_rung():
    class Fixed:
        def __init__(self, bias):
            self.bias = np.asarray(bias, dtype=float)

        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.tile(self.bias, (len(X), 1))

    X, y = np.zeros((40, 1)), np.zeros((40, 2))
    family = Family("fixed", lambda p, seed: Fixed(p["bias"]), {})
    candidates = [{"bias": [0.1, 2.0]}, {"bias": [2.0, 0.1]}, {"bias": [3.0, 3.0]}]
    chosen, table = halving_search(family, X, y, (np.arange(30), np.arange(30, 40)), 0,
                                   candidates, Halving(None, factor=2, n_rungs=2, min_rows=5),
                                   lambda t, p: ((t - p) ** 2).mean(axis=0))
    assert chosen == [0, 1]  # each target its own best among the last rung
    assert sorted(table[table.rung == 1].candidate) == [0, 1]


def test_mutual_information_selection_keeps_and_ranks():
    X, Y, _ = _data()
    chosen = mutual_information_selection(X, Y.n2o.to_numpy(), 2, ("v5",), seed=0)
    assert chosen == ["v0", "v5"]  # v0 drives n2o; v5 is kept by request
    with pytest.raises(ValueError, match="size=9"):
        mutual_information_selection(X, Y.n2o.to_numpy(), 9, (), seed=0)
    sets = InputSets.on(X, Y, ["v3", "v4"], (), seed=0)
    assert sets.columns("autoencoder") == ["v3", "v4"] and sets.columns("all") == list(X)
    assert "v1" in sets.columns("mutual_information", "co2")
    assert set(sets.columns("mutual_information")) == (set(sets.mutual_information["n2o"])
                                                       | set(sets.mutual_information["co2"]))


def test_inner_holdout_is_grouped_like_the_outer_test():
    _, _, groups = _data()
    fit_idx, val_idx = inner_holdout("leave_countries_out", groups, 0, 0.25)
    assert not set(groups[fit_idx]) & set(groups[val_idx]) and len(set(groups[val_idx])) == 2
    fit_idx, val_idx = inner_holdout("random", groups, 0, 0.25)
    assert len(val_idx) == 40 and not set(fit_idx) & set(val_idx)
    few = np.repeat(["a", "b"], 20)  # too few countries to hold one out: rows instead
    fit_idx, val_idx = inner_holdout("leave_countries_out", few, 0, 0.25)
    assert len(val_idx) == 10 and not set(fit_idx) & set(val_idx)


def test_run_family_baseline_refits_the_choice_on_the_whole_fold():
    X, Y, groups = _data()
    train, test = np.arange(120), np.arange(120, 160)
    config = NestedConfig(n_candidates=3, n_rungs=2, families=("ridge",))
    rows, preds, search = run_family("ridge", X.iloc[train], Y.iloc[train], groups[train],
                                     X.iloc[test], Y.iloc[test], "leave_countries_out", 0,
                                     ["v0", "v1"], (), config, inputs=list(X.columns))
    table = pd.DataFrame(rows).set_index("target")
    assert set(table.index) == {"n2o", "co2"} and (table.n_train == 120).all()
    assert table.loc["n2o", "r2"] > 0.5  # log-linear truth, ridge on the log scale
    assert np.isfinite(table.inner_error).all()
    assert search.groupby("target").candidate.nunique().tolist() == [3, 3]
    assert all(len(p) == 40 for p in preds)


def _simulated_like(n: int = 160, seed: int = 0):
    """Every candidate variable (the knowledge edges name them), two driving the targets."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, len(CANDIDATES))), columns=list(CANDIDATES))
    Y = pd.DataFrame({"n2o": np.exp(0.8 * X.n_rate_kg_ha + 0.5 * X.wfps_mean_0_15),
                      "co2": 100 * np.exp(0.5 * X.soil_oc_pct)})
    for flux in PROCESS_FLUXES:  # simulated process rates: supervision, never inputs
        X[flux] = np.exp(0.5 * X.n_rate_kg_ha + 0.1 * rng.normal(size=n))
    return X, Y


def test_run_family_gnn_chooses_per_target_and_ablations_change_one_component():
    X, Y = _simulated_like()
    _, _, groups = _data()
    train, test = np.arange(120), np.arange(120, 160)
    config = NestedConfig(n_candidates=2, n_rungs=2, epochs=6, patience=2,
                          families=(GNN,), ablation_components=tuple(nested.ABLATABLE))
    rows, preds, search = run_family(GNN, X.iloc[train], Y.iloc[train], groups[train],
                                     X.iloc[test], Y.iloc[test], "random", 0,
                                     ["n_rate_kg_ha", "wfps_mean_0_15", "soil_oc_pct"],
                                     ("n_rate_kg_ha",), config, with_ablations=True,
                                     task="sensor")
    table = pd.DataFrame(rows)
    main = table[table.model == GNN].set_index("target")
    assert set(main.index) == {"n2o", "co2"} and (main.epochs_run <= 6).all()
    labels = {m for m in table.model if m.startswith(f"{GNN}[")}
    assert labels == {f"{GNN}[{k}]" for k in ablations(
        {"edges": "both", "graph": "shared", "inputs": "all", "pathway": "latent"})}
    assert (table.task == "sensor").all()
    assert not set(X.columns[-2:]) & set(CANDIDATES)  # the process fluxes are no input
    pred = pd.concat(preds).set_index(["model", "target", "row"]).pred.sort_index()
    for t in ("n2o", "co2"):
        params = main.loc[t, "params"]
        same = [label for label in sorted(labels)
                if table[(table.model == label) & (table.target == t)].params.iloc[0] == params]
        assert len(same) == 4  # one value of each component is the chosen one
        for label in same:  # ... and then the chosen model itself
            assert np.array_equal(pred.loc[label, t].to_numpy(), pred.loc[GNN, t].to_numpy())
    assert search.rung.max() == 1 and search.target.eq("all").all()


def test_chosen_gbm_is_picked_by_inner_error_not_by_test():
    rows = pd.DataFrame({"task": "plan", "split": "random", "seed": 0, "fold": 0,
                         "target": "n2o",
                         "model": ["xgboost", "lightgbm", "hist_gradient_boosting", "ridge"],
                         "inner_error": [0.3, 0.2, 0.4, 0.1], "rmse": [1.0, 5.0, 0.5, 0.1],
                         "family": "baseline"})
    preds = pd.DataFrame({"task": "plan", "split": "random", "seed": 0, "fold": 0,
                          "target": "n2o", "model": ["xgboost", "lightgbm"], "row": 0, "y": 1.0,
                          "pred": [1.1, 1.2]})
    out_rows, out_preds = chosen_gbm(rows, preds)
    assert out_rows.chosen.tolist() == ["lightgbm"] and out_rows.rmse.tolist() == [5.0]
    assert out_preds.pred.tolist() == [1.2] and out_preds.model.eq("chosen_gbm").all()


def _claim_rows(levels: dict[str, float], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(2):
        for f in range(3):
            base = rng.normal(10, 0.5)
            for model, level in levels.items():
                rows.append({"task": "plan", "split": "leave_countries_out", "target": "n2o",
                             "seed": s,
                             "fold": f, "model": model, "n_train": 60, "n_test": 30,
                             "chosen": "xgboost" if model == "chosen_gbm" else None,
                             "family": "gnn" if model.startswith(GNN) else "baseline",
                             "rmse": base + level + rng.normal(0, 0.05)})
    return pd.DataFrame(rows)


def test_claim_uses_the_chosen_models_and_post_hoc_the_best_by_test():
    res = _claim_rows({"kg_fgnn": 1.0, "kg_fgnn[edges=data]": 0.6, "chosen_gbm": 1.5,
                       "xgboost": 1.5, "lightgbm": 0.8, "ridge": 3.0})
    claim = claim_check(res).iloc[0]
    assert claim.kg_fgnn == "kg_fgnn" and claim.best_gbm == "chosen_gbm"
    assert claim.gbm_chosen == "xgboost 6" and claim.verdict == "KG-FGNN better"
    assert claim.ratio == pytest.approx(res[res.model == "kg_fgnn"].rmse.mean()
                                        / res[res.model == "chosen_gbm"].rmse.mean())
    post = claim_check(res, post_hoc=True).iloc[0]
    assert post.kg_fgnn == "kg_fgnn[edges=data]" and post.best_gbm == "lightgbm"
    assert post.selection == "post hoc (test folds)" and post.ci_low < 0.0


def test_protocol_table_prints_every_family_budget():
    config = NestedConfig(n_candidates=20)
    table = protocol_table(config, ("random", "leave_countries_out")).set_index("family")
    assert set(table.index) == set(config.families)
    assert (table.candidates == 20).all()
    assert table.loc[GNN, "halving (candidates per rung)"] == "20 → 7 → 3"
    assert "countries" in table.loc["ridge", "inner hold-out"]


def test_benchmark_units_resume_from_the_cache(tmp_path, monkeypatch):
    X, Y, groups = _data(96)
    config = BenchmarkConfig(n_seeds=1, n_folds=2, splits=("leave_countries_out",),
                             tasks=("plan",),
                             nested=NestedConfig(n_candidates=2, n_rungs=2,
                                                 families=("ridge", "lightgbm")),
                             ablation_seeds=0)
    first = run_benchmark(X, Y, groups, {"plan": ["v0", "v1"]}, config, 0,
                          log=lambda m: None, workers=1, cache=str(tmp_path),
                          inputs={"plan": list(X.columns)})
    assert len(list(tmp_path.glob("*.joblib"))) == 4  # 2 folds x 2 families
    assert set(first[0].model) == {"ridge", "lightgbm", "chosen_gbm"}

    def refuse(*args, **kwargs):
        raise AssertionError("a cached unit was refitted")

    monkeypatch.setattr(benchmark, "run_family", refuse)
    monkeypatch.setattr(benchmark, "fold_input_sets", refuse)  # nothing left to run
    again = run_benchmark(X, Y, groups, {"plan": ["v0", "v1"]}, config, 0,
                          log=lambda m: None, workers=1, cache=str(tmp_path),
                          inputs={"plan": list(X.columns)})
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert nested.GBMS[0] == "hist_gradient_boosting"


def _gnn():
    from kgfgnn.graphs import build_multigraph

    X, Y = _simulated_like(80)
    spec = build_multigraph(X, Y, ["n_rate_kg_ha", "wfps_mean_0_15", "soil_oc_pct"],
                            allow_empty=True)
    return KGFGNNRegressor(spec=spec, hidden=8, epochs=3, patience=2), X, Y


@pytest.mark.parametrize("make", [
    lambda: _gnn(),
    lambda: (nested.GraphKGFGNN(nodes=("n_rate_kg_ha", "soil_oc_pct"), targets=("n2o", "co2"),
                                trainer=KGFGNNRegressor(hidden=8, epochs=3)),
             *_simulated_like(80)),
    lambda: (benchmark_pipeline(), *_simulated_like(80)),
    lambda: (nested.TabMRegressor(n_epochs=2, d_block=16, n_blocks=1, tabm_k=2),
             *_simulated_like(80)),
], ids=["KGFGNNRegressor", "GraphKGFGNN", "ColumnSubset+LogTargetRegressor", "TabMRegressor"])
def test_estimator_contract_of_the_benchmark_models(make):
    """scikit-learn's contract, the relevant subset of ``check_estimator`` for estimators of
    DataFrames: not fitted until fit, clone keeps the parameters, a refit starts afresh
    (identical predictions), ``n_features_in_``; and torch's global RNG left as it was."""
    import torch
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    model, X, Y = make()
    y = Y if not isinstance(model, nested.TabMRegressor) else Y.n2o.to_numpy()
    if hasattr(model, "steps"):
        y = Y.n2o.to_numpy()
    with pytest.raises(NotFittedError):
        model.predict(X)
    assert clone(model).get_params().keys() == model.get_params().keys()
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    first = np.asarray(model.fit(X, y).predict(X))
    assert torch.rand(1) == expected  # the fit did not move the caller's RNG
    second = np.asarray(model.fit(X, y).predict(X))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(np.asarray(clone(model).fit(X, y).predict(X)), first)
    first_step = model.steps[0][1] if hasattr(model, "steps") else model
    # the columns it reads: the graph's nodes for KGFGNNRegressor, else every column given
    spec = getattr(model, "spec", None)
    assert first_step.n_features_in_ == (len(spec.nodes) if spec is not None else X.shape[1])


def benchmark_pipeline():
    """A baseline as the benchmark builds it: column subset, signed-log target, ridge."""
    return nested.per_target_family("ridge", InputSets(["soil_oc_pct"], list(CANDIDATES)),
                                    "n2o", NestedConfig()).build(
        {"alpha": 1.0, "inputs": "autoencoder"}, 0)


def test_pathway_is_balanced_over_kg_fgnn_candidates_and_keeps_knowledge_edges():
    from kgfgnn.nested import PATHWAYS, balanced_pathways

    drawn = [{"edges": e, "pathway": "contracted", "hidden": 16}
             for e in ("data", "data", "knowledge", "both", "data", "data")]
    out = balanced_pathways(drawn)
    assert [c["pathway"] for c in out] == [*PATHWAYS, *PATHWAYS]
    for c in out:
        if c["pathway"] != "contracted":
            assert c["edges"] in ("both", "knowledge")  # a pathway is knowledge edges
    assert out[5]["edges"] == "data"  # contracted: drawn edges kept
    assert all(c["hidden"] == 16 for c in out)


def test_input_sets_are_computed_once_per_fold_and_change_nothing(monkeypatch):
    X, Y, groups = _data(96)
    config = BenchmarkConfig(n_seeds=1, n_folds=2, splits=("leave_countries_out",),
                             tasks=("plan",),
                             nested=NestedConfig(n_candidates=2, n_rungs=2,
                                                 families=("ridge", "lightgbm", "knn")),
                             ablation_seeds=0)
    calls = []
    real = benchmark.fold_input_sets

    def counting(*args, **kwargs):
        calls.append(args[3:5])  # (split, seed)
        return real(*args, **kwargs)

    monkeypatch.setattr(benchmark, "fold_input_sets", counting)
    rows, preds, _ = run_benchmark(X, Y, groups, {"plan": ["v0", "v1"]}, config, 0,
                                   log=lambda m: None, workers=1,
                                   inputs={"plan": list(X.columns)})
    assert len(calls) == 2  # 2 folds, not 2 folds x 3 families
    # the same rows as each family computing its own sets (run_family without input_sets)
    train, test = next(iter(folds("leave_countries_out", 2, spawn(0, 0), groups=groups,
                                  n=len(X))))
    fold = rows[(rows.fold == 0) & (rows.model == "knn")]
    own, _, _ = run_family("knn", X.iloc[train], Y.iloc[train], groups[train], X.iloc[test],
                           Y.iloc[test], "leave_countries_out", fold.seed.iloc[0],
                           ["v0", "v1"], (), config.nested, inputs=list(X.columns),
                           draw_seed=benchmark.unit_draw_seed(0, 0, 0, "plan",
                                                              "leave_countries_out"))
    mine = fold.set_index("target")
    for row in own:
        assert mine.loc[row["target"], "rmse"] == row["rmse"]
        assert mine.loc[row["target"], "params"] == row["params"]


def test_each_benchmark_unit_draws_its_own_candidates(monkeypatch):
    X, Y, groups = _data(96)
    config = BenchmarkConfig(n_seeds=2, n_folds=2, splits=("leave_countries_out",),
                             tasks=("plan",),
                             nested=NestedConfig(n_candidates=3, n_rungs=1, families=("ridge",)),
                             ablation_seeds=0)
    draws = []
    real = benchmark.run_family

    def recording(*args, **kwargs):
        draws.append(kwargs["draw_seed"])
        return real(*args, **kwargs)

    monkeypatch.setattr(benchmark, "run_family", recording)
    run_benchmark(X, Y, groups, {"plan": ["v0", "v1"]}, config, 0, log=lambda m: None,
                  workers=1, inputs={"plan": list(X.columns)})
    assert len(draws) == 4 and len(set(draws)) == 4  # 2 seeds x 2 folds, each its own draw
    assert set(draws) == {benchmark.unit_draw_seed(0, s, k, "plan", "leave_countries_out")
                          for s in range(2) for k in range(2)}


def test_a_flat_candidate_configures_the_graph_and_the_trainer_it_holds():
    """The search's flat candidate: the graph's settings go to GraphKGFGNN, every other one
    to the trainer it holds (reached as ``trainer__<name>``); an unknown name fails."""
    model = nested.graph_kgfgnn({"edges": "data", "pathway": "latent", "hidden": 64,
                                 "lr": 1e-3}, ("n_rate_kg_ha",), ("n2o",), random_state=5)
    assert (model.edges, model.pathway, model.nodes) == ("data", "latent", ("n_rate_kg_ha",))
    params = model.get_params()
    assert params["trainer__hidden"] == 64 and params["trainer__lr"] == 1e-3
    assert params["trainer__random_state"] == 5 and "hidden" not in params
    model.set_params(trainer__hidden=16)
    assert model.trainer.hidden == 16
    with pytest.raises(TypeError, match="hiden"):
        nested.graph_kgfgnn({"hiden": 3}, ("n_rate_kg_ha",), ("n2o",))


def test_graph_kgfgnn_trains_a_clone_of_its_trainer():
    X, Y = _simulated_like(60)
    trainer = KGFGNNRegressor(hidden=8, epochs=2, random_state=3)
    model = nested.GraphKGFGNN(nodes=("n_rate_kg_ha", "soil_oc_pct"), trainer=trainer).fit(X, Y)
    assert trainer.spec is None and not hasattr(trainer, "model_")  # the template untouched
    assert model.regressor_.spec is model.spec_ and model.regressor_.hidden == 8
    direct = KGFGNNRegressor(spec=model.spec_, hidden=8, epochs=2, random_state=3).fit(X, Y)
    np.testing.assert_array_equal(model.predict(X), direct.predict(X).reshape(len(X), -1))
