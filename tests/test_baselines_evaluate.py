import numpy as np
import pandas as pd
import pytest

from kgfgnn.baselines import BASELINES, make_baseline, tune_baseline
from kgfgnn.evaluate import folds, metrics, paired_test, summarise


@pytest.mark.parametrize("name", BASELINES)
def test_each_baseline_tunes_and_predicts(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = np.exp(X[:, 0]) + 0.1 * rng.random(120)
    model, params = tune_baseline(name, X, y, seed=0, n_iter=2)
    pred = model.predict(X)
    assert pred.shape == (120,)
    assert metrics(y, pred)["r2"] > 0.3
    assert isinstance(params, dict)


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
