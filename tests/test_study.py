"""The one real-data protocol (kgfgnn/experiment/study.py) and the Carey data on it: grouped
folds, per-fold seeding, clipping, model choice by grouped CV only, worker-free tables."""

import numpy as np
import pandas as pd
import pytest

from kgfgnn.datasets.carey import Carey
from kgfgnn.experiment.search import Family
from kgfgnn.experiment.study import (
    RAW,
    Approach,
    FieldStudy,
    choice_table,
    choose,
    complexity,
    grouped_splits,
    run_study,
)
from kgfgnn.fielddata.carey import APPROACHES, CURVE_APPROACHES
from kgfgnn.fielddata.carey_data import load_real, simulated_observables
from kgfgnn.fielddata.protocol import FieldProtocol


def _ridge_registry(knowledge):
    from sklearn.linear_model import Ridge

    return {"ridge": Family("ridge", lambda p, seed: Ridge(**p), {"alpha": [0.1, 1.0, 10.0]})}


def _synthetic(n_groups: int = 12, per_group: int = 5, clip_margin=None, seed: int = 0):
    rng = np.random.default_rng(0)
    groups = np.repeat([f"g{i}" for i in range(n_groups)], per_group)
    x = rng.normal(size=len(groups))
    y = 2 * x + rng.normal(scale=0.3, size=len(groups))
    design = pd.DataFrame({"x": x, "far": 100.0 + x})
    return FieldStudy(
        name="synthetic", unit="group", y=y, groups=groups, inputs={"design": design},
        approaches={"real_only:ridge": Approach("design", "ridge"),
                    "simulation_only:far": Approach("design", RAW, "far")},
        curve_approaches=("real_only:ridge",), curve_groups=(4,), registry=_ridge_registry,
        search_iter=2, splits=list(grouped_splits(groups, 3, 2, seed)),
        clip_margin=clip_margin)


def test_folds_never_split_a_group_and_every_row_is_predicted_once_per_seed():
    study = _synthetic()
    results, preds = run_study(study)
    for _, _, _, train, test in study.splits:
        assert not set(study.groups[train]) & set(study.groups[test])
    counts = preds.groupby(["seed", "model"]).row.agg(["nunique", "size"])
    assert (counts["nunique"] == len(study.y)).all() and (counts["size"] == len(study.y)).all()
    # the learning curve follows only the curve approaches, at fewer training groups
    curve = results[results.curve_point != "all"]
    assert set(curve.model) == {"real_only:ridge"} and (curve.train_groups == 4).all()
    np.testing.assert_array_equal(preds.group, study.groups[preds.row])


def test_a_unit_does_not_depend_on_the_other_units():
    study = _synthetic()
    whole, _ = run_study(study)
    alone = _synthetic()
    alone.splits = study.splits[3:4]  # one fold of the second seed, run by itself
    part, _ = run_study(alone)
    _, run_seed, k, _, _ = study.splits[3]
    expected = whole[(whole.seed == run_seed) & (whole.fold == k)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)


def test_one_unit_per_fold_and_approach_the_costliest_first(monkeypatch):
    import kgfgnn.experiment.study as study_module

    def registry(knowledge):  # ridge under KG-FGNN's family name: the order reads names only
        return {**_ridge_registry(knowledge), "kg_fgnn": _ridge_registry(knowledge)["ridge"]}

    study = _synthetic()
    study.registry = registry
    study.approaches = {**study.approaches, "slow:kg_fgnn": Approach("design", "kg_fgnn")}
    dispatched = []

    def recording(function, arguments, workers, scheduler):
        arguments = list(arguments)
        dispatched.extend((a[3], a[5], a[6]) for a in arguments)  # approach, seed, fold
        return [function(*a) for a in arguments]

    monkeypatch.setattr(study_module, "run_each", recording)
    results, _ = run_study(study)
    n = len(study.splits)
    assert len(dispatched) == 3 * n == len(set(dispatched))  # one unit per (fold, approach)
    assert [d[0] for d in dispatched[:n]] == ["slow:kg_fgnn"] * n
    whole, _ = run_study(_synthetic())  # the other approaches' rows do not change
    pd.testing.assert_frame_equal(
        results[results.model != "slow:kg_fgnn"].reset_index(drop=True), whole)


def test_predictions_are_clipped_to_the_widened_training_range():
    unclipped, _ = run_study(_synthetic())
    study = _synthetic(clip_margin=0.1)
    results, preds = run_study(study)
    far = preds[preds.model == "simulation_only:far"]
    for (_, run_seed, k), part in far.groupby(["split", "seed", "fold"]):
        train = next(s[3] for s in study.splits if s[1] == run_seed and s[2] == k)
        low, high = study.prediction_range(train)
        assert high == pytest.approx(study.y[train].max() + 0.1 * np.ptp(study.y[train]))
        np.testing.assert_allclose(part.pred, high)  # every "far" value is above the range
    before = unclipped.set_index(["seed", "fold", "model", "curve_point"]).rmse
    after = results.set_index(["seed", "fold", "model", "curve_point"]).rmse
    assert (after.xs("simulation_only:far", level="model")
            < before.xs("simulation_only:far", level="model")).all()
    for (_, run_seed, k), part in preds.groupby(["split", "seed", "fold"]):
        train = next(s[3] for s in study.splits if s[1] == run_seed and s[2] == k)
        low, high = study.prediction_range(train)
        assert part.pred.between(low, high).all()


def test_choose_reads_grouped_cv_with_all_training_groups_only():
    approaches = {"a": Approach("design", "ridge"), "b": Approach("design", "loglinear")}
    rows = [
        {"split": "grouped", "curve_point": "all", "model": "a", "rmse": 2.0},
        {"split": "grouped", "curve_point": "all", "model": "b", "rmse": 3.0},
        {"split": "grouped", "curve_point": "10", "model": "b", "rmse": 0.1},
        {"split": "leave_climate_out", "curve_point": "all", "model": "b", "rmse": 0.1},
    ]
    assert choose(pd.DataFrame(rows), approaches) == "a"
    with pytest.raises(ValueError, match="no grouped-CV rows"):
        choose(pd.DataFrame(rows[2:]), approaches)
    with pytest.raises(ValueError, match=r"approach\(es\) \['a'\]"):
        choose(pd.DataFrame(rows), {"b": approaches["b"]})


def test_one_standard_error_rule_prefers_the_simpler_of_near_ties():
    """A random forest 0.003 better than the log-linear model, well within one standard
    error over folds: the simpler log-linear model is deployed; a clear winner stays."""
    approaches = {"real_only:random_forest": Approach("design", "random_forest"),
                  "real_only:loglinear": Approach("design", "loglinear"),
                  "hybrid:random_forest": Approach("hybrid", "random_forest")}
    rng = np.random.default_rng(0)
    rows = []
    for fold in range(5):
        shift = rng.normal(0, 0.1)
        for model, level in (("real_only:random_forest", 1.000),
                             ("real_only:loglinear", 1.003),
                             ("hybrid:random_forest", 1.2)):
            rows.append({"split": "grouped", "curve_point": "all", "model": model,
                         "fold": fold, "rmse": level + shift + rng.normal(0, 0.05)})
    results = pd.DataFrame(rows)
    table = choice_table(results, approaches)
    best = table.index[table.lowest_error][0]
    assert choose(results, approaches) == "real_only:loglinear"
    assert table.loc["real_only:loglinear", "within_one_se"]
    assert table.loc[best, "rmse_mean"] <= table.loc["real_only:loglinear", "rmse_mean"]
    assert not table.loc["hybrid:random_forest", "within_one_se"]
    assert complexity(approaches["hybrid:random_forest"]) == \
        complexity(approaches["real_only:random_forest"]) + 0.5
    clear = results.assign(rmse=np.where(results.model == "real_only:random_forest",
                                         results.rmse - 0.5, results.rmse))
    assert choose(clear, approaches) == "real_only:random_forest"


def test_a_study_refuses_misaligned_inputs():
    study = _synthetic()
    with pytest.raises(ValueError, match="inputs\\['design'\\]: 59 rows for 60 targets"):
        FieldStudy(**{**study.__dict__, "inputs": {"design": study.inputs["design"].iloc[1:]}})
    with pytest.raises(ValueError, match="search_iter=0"):
        FieldStudy(**{**study.__dict__, "search_iter": 0})


def test_carey_on_the_protocol_is_the_same_with_one_or_two_workers(tiny_simulation):
    seasonal, _ = tiny_simulation
    real = load_real()
    keep = sorted(real.group.unique())[:16]
    real = real[real.group.isin(keep)].reset_index(drop=True)
    sim = simulated_observables(seasonal)
    protocol = FieldProtocol(n_folds=2, n_seeds=1, search_iter=1, curve_groups=(5,),
                             gnn_epochs=2, fine_tune_epochs=1, n_members=1, n_pretrain=1,
                             max_pretrain=10, tabm_epochs=1)
    approaches = ("real_only:mixed_model", "hybrid:ridge", "residual:hist_gradient_boosting",
                  "simulation_only:conditional_mean", "simulation_only:kg_fgnn",
                  "pretrained:kg_fgnn")
    one, p_one, study = Carey().run(real, sim, protocol, 5, workers=1, approaches=approaches)
    two, p_two, _ = Carey().run(real, sim, protocol, 5, workers=2, approaches=approaches)
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(p_one, p_two)
    assert set(one.model) == set(approaches) and set(one.split) == {"grouped"}
    assert {"rmse", "rmse_log", "r2", "mae"} <= set(one.columns)
    # metrics: the flux back from the signed-log predictions, and the log scale itself
    part = p_one[p_one.model == "hybrid:ridge"]
    fold = part[part.fold == 0]
    row = one[(one.model == "hybrid:ridge") & (one.fold == 0) & (one.curve_point == "all")]
    flux = np.sign(fold.pred) * np.expm1(np.abs(fold.pred))
    truth = np.sign(fold.y) * np.expm1(np.abs(fold.y))
    assert row.rmse.iloc[0] == pytest.approx(np.sqrt(np.mean((flux - truth) ** 2)))
    assert row.rmse_log.iloc[0] == pytest.approx(np.sqrt(np.mean((fold.pred - fold.y) ** 2)))
    # the simulation alone never sees a measurement: its prediction is the conditional mean,
    # clipped to the fold's training range
    sim_only = p_one[p_one.model == "simulation_only:conditional_mean"]
    column = study.inputs["hybrid"]["simulated_log_flux"].to_numpy()
    for _, _, k, train, test in study.splits:
        fold = sim_only[sim_only.fold == k].sort_values("row")
        np.testing.assert_allclose(fold.pred, np.clip(column[np.sort(test)],
                                                      *study.prediction_range(train)))
    assert set(CURVE_APPROACHES) <= set(APPROACHES)


def test_one_verdict_rule_for_every_comparison():
    from kgfgnn.experiment.evaluate import interval_verdict
    from kgfgnn.experiment.report import CLAIM_VERDICTS, VERDICTS

    assert interval_verdict(-2.0, -0.1) == "lower"
    assert interval_verdict(0.1, 2.0) == "higher"
    assert interval_verdict(-1.0, 1.0) == "undetermined"
    assert interval_verdict(float("nan"), float("nan")) == "undetermined"
    assert set(VERDICTS) == set(CLAIM_VERDICTS) == {"lower", "higher", "undetermined"}


def test_the_report_finds_the_best_of_each_kind_and_tests_against_the_real_only_one():
    import pandas as pd

    from kgfgnn.experiment.report import against_best_real_only, answers, split_summary

    rng = np.random.default_rng(0)
    rows = []
    for seed in range(2):
        for fold in range(5):
            noise = rng.normal(0, 0.01, 4)
            for (model, rmse), e in zip({"real_only:ridge": 1.0, "real_only:gbm": 0.9,
                                         "hybrid:gbm": 0.5, "simulation_only:twin": 2.0
                                         }.items(), noise, strict=True):
                rows.append({"split": "grouped", "curve_point": "all", "seed": seed,
                             "fold": fold, "model": model, "rmse": rmse + e, "r2": 1 - rmse,
                             "mae": rmse, "n_train": 80, "n_test": 20})
    results = pd.DataFrame(rows)
    summary = split_summary(results)
    tests = against_best_real_only(results, summary)
    assert set(tests.vs) == {"real_only:gbm"} and "real_only:gbm" not in set(tests.model)
    answer = answers(summary, tests).loc["grouped"]
    assert answer.best_real_only == "real_only:gbm" and answer.best_knowledge == "hybrid:gbm"
    assert answer.verdict == "improves on" and answer.pairs == 10
    assert answer["diff"] == pytest.approx(-0.4, abs=0.02)


def test_the_protocol_reads_a_chapters_parameters():
    from kgfgnn.fielddata.protocol import FieldProtocol
    from kgfgnn.profiles import load_profile

    for chapter, curve in (("05_realworld", "curve_sites"), ("07_dose_response",
                                                               "curve_studies")):
        params = load_profile("full", "artefacts/full")[chapter]
        protocol = FieldProtocol.from_parameters(params)
        assert protocol.curve_groups == tuple(params[curve])
        assert (protocol.n_folds, protocol.n_seeds, protocol.gnn_epochs) == (
            params["n_folds"], params["n_seeds"], params["gnn_epochs"])


def test_the_cache_key_of_a_study_is_the_same_in_every_process():
    """Fitted torch modules pickle to different bytes in each process, so the cache key
    reads the knowledge's ``knowledge_key`` instead: two processes building the same study
    with a freshly fitted network as knowledge get the same key (else no run would resume)."""
    import subprocess
    import sys
    from dataclasses import replace
    from pathlib import Path

    from kgfgnn.experiment.study import study_cache_key

    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from dataclasses import replace
import numpy as np, pandas as pd
from test_study import _synthetic
from kgfgnn.experiment.study import study_cache_key
from kgfgnn.graphs import build_multigraph
from kgfgnn.train import KGFGNNRegressor
from kgfgnn.variables import CANDIDATES
X = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 2)),
                 columns=["n_rate_kg_ha", "soil_oc_pct"])
Y = pd.DataFrame({{"n2o": np.exp(X.n_rate_kg_ha)}})
spec = build_multigraph(X, Y, list(X.columns), allow_empty=True, universe=list(CANDIDATES))
net = KGFGNNRegressor(spec=spec, hidden=8, epochs=2).fit(X, Y)
study = replace(_synthetic(), knowledge={{"pretrained": net}}, knowledge_key="made-from-k")
print(study_cache_key(study, ["real_only:ridge"]))
"""
    keys = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True).stdout.strip() for _ in range(2)}
    assert len(keys) == 1 and len(keys.pop()) == 32
    study = replace(_synthetic(), knowledge={"pretrained": object()})
    with pytest.raises(ValueError, match="knowledge_key"):
        study_cache_key(study, ["real_only:ridge"])
    assert study_cache_key(_synthetic(), ["a"]) != study_cache_key(_synthetic(seed=1), ["a"])
