import numpy as np
import pandas as pd
import pytest

from kgfgnn.baselines import BASELINES, make_baseline, tune_baseline
from kgfgnn.experiment.evaluate import folds, metrics, paired_test, summarise


@pytest.mark.parametrize("name", BASELINES)
def test_each_baseline_tunes_and_predicts(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = np.exp(X[:, 0]) + 0.1 * rng.random(120)
    model, params = tune_baseline(name, X, y, seed=0, n_iter=2)
    pred = model.predict(X)
    assert pred.shape == (120,)
    assert metrics(y, pred)["r2"] > 0.3
    from kgfgnn.baselines import _models
    from kgfgnn.experiment.search import Family

    space = _models(0)[name][1]
    drawn = Family(name, lambda p, s: None, space).candidates(2, 0)
    # a draw from the family's own space (knn and mlp draws are adjusted to the fold's size)
    assert {k: params[k] for k in space} in [{k: c[k] for k in space} for c in drawn] \
        or name == "knn"
    assert set(params) - set(space) <= {"early_stopping"}


def test_unknown_baseline():
    with pytest.raises(ValueError, match="baseline='gbm'"):
        make_baseline("gbm", 0)


def test_grouped_folds_never_share_a_group():
    groups = np.repeat(np.arange(10), 5)
    for train, test in folds("leave_countries_out", 5, 0, groups=groups):
        assert not set(groups[train]) & set(groups[test])
    with pytest.raises(ValueError, match="only 10 groups"):
        list(folds("grouped", 11, 0, groups=groups))
    with pytest.raises(ValueError, match="split='loo'"):
        list(folds("loo", 3, 0, n=10))


def test_summary_and_paired_test():
    rows = [{"model": m, "seed": 0, "fold": f, "r2": 0.5, "rmse": r, "mae": r}
            for m, base in (("a", 1.0), ("b", 2.0)) for f, r in enumerate(base + np.arange(6))]
    res = pd.DataFrame(rows)
    s = summarise(res, ["model"])
    assert s.set_index("model").loc["a", "rmse_mean"] == pytest.approx(3.5)
    t = paired_test(res, "a", "b")
    assert t["n"] == 6 and t["median_diff"] == pytest.approx(-1.0) and t["p_value"] < 0.05


def _cv_results(shift: float, noise: float, n_seeds: int = 3, n_folds: int = 5):
    rng = np.random.default_rng(0)
    rows = []
    for s in range(n_seeds):
        for f in range(n_folds):
            base = rng.normal(10, 1)
            rows.append({"seed": s, "fold": f, "model": "a", "n_train": 80, "n_test": 20,
                         "rmse": base + shift + rng.normal(0, noise)})
            rows.append({"seed": s, "fold": f, "model": "b", "n_train": 80, "n_test": 20,
                         "rmse": base})
    return pd.DataFrame(rows)


def test_corrected_t_test_interval_is_wider_than_the_naive_one():
    from scipy import stats

    from kgfgnn.experiment.evaluate import corrected_paired_test

    res = _cv_results(shift=-0.5, noise=0.2)
    out = corrected_paired_test(res, "a", "b")
    diff = res[res.model == "a"].rmse.to_numpy() - res[res.model == "b"].rmse.to_numpy()
    naive = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    corrected = (out["ci_high"] - out["ci_low"]) / 2
    # variance factor (1/J + n_test/n_train) / (1/J) = 1 + 15 * 0.25
    assert np.isclose(corrected / naive, np.sqrt(1 + 15 * 0.25))
    assert out["ci_high"] < 0 and out["p_value"] < 0.01 and out["n"] == 15
    null = corrected_paired_test(_cv_results(shift=0.0, noise=0.3), "a", "b")
    assert null["ci_low"] < 0 < null["ci_high"]


def test_stability_is_the_spread_over_seeds_and_folds():
    from kgfgnn.experiment.evaluate import stability

    res = _cv_results(shift=0.0, noise=2.0).assign(split="random", target="n2o")
    table = stability(res).set_index("model")
    assert table.loc["a", "rmse_sd"] > table.loc["b", "rmse_sd"] > 0
