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
