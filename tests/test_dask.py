"""The simulation runs unchanged on a Dask cluster given its scheduler address."""

import pandas as pd
import pytest

from kgfgnn.simulate.execute import execute


def test_dask_scheduler_gives_the_same_table(tiny_groups, tiny_simulation):
    distributed = pytest.importorskip("distributed")
    groups = tiny_groups[:2]
    local, _ = execute(groups, 5, workers=1, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote, _ = execute(groups, 5, scheduler=cluster.scheduler_address, progress=False)
    pd.testing.assert_frame_equal(local, remote)


def test_every_data_set_runs_on_a_dask_cluster():
    """The measured data sets' protocol (run_study) and the simulated benchmark give the same
    tables on a LocalCluster as on local processes."""
    import numpy as np

    distributed = pytest.importorskip("distributed")
    from test_nested import _data
    from test_study import _synthetic

    from kgfgnn.benchmark import BenchmarkConfig, run_benchmark
    from kgfgnn.experiment.study import run_study
    from kgfgnn.nested import NestedConfig

    study = _synthetic()
    X, Y, groups = _data(64)
    config = BenchmarkConfig(n_seeds=1, n_folds=2, splits=("leave_countries_out",),
                             tasks=("plan",), ablation_seeds=0,
                             nested=NestedConfig(n_candidates=2, n_rungs=1,
                                                 families=("ridge",)))
    kwargs = dict(log=lambda m: None, inputs={"plan": list(X.columns)})
    local_study = run_study(study, workers=1)
    local_bench = run_benchmark(X, Y, groups, {"plan": ["v0"]}, config, 0, workers=1,
                                **kwargs)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        remote_study = run_study(study, scheduler=address)
        remote_bench = run_benchmark(X, Y, groups, {"plan": ["v0"]}, config, 0,
                                     scheduler=address, **kwargs)
    for a, b in zip((*local_study, *local_bench), (*remote_study, *remote_bench), strict=True):
        timed = [c for c in a.columns if "seconds" in c]  # run times differ, nothing else
        pd.testing.assert_frame_equal(a.drop(columns=timed), b.drop(columns=timed))
    assert np.isfinite(local_bench[0].rmse).all()
