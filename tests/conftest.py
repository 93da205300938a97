"""Shared fixtures: a tiny real DSSAT simulation, reused by several test modules."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from kgfgnn.simulate.dataset import site_table, with_site_columns
from kgfgnn.simulate.execute import SimulationConfig, execute, plan

# Property tests are deterministic: the same examples on every run and every machine
# (derandomize), with a fixed budget; HYPOTHESIS_PROFILE=explore searches randomly instead.
settings.register_profile("deterministic", derandomize=True, max_examples=60, deadline=None,
                          database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

TINY = SimulationConfig(countries=("CN", "DE", "KE"), sites_per_country=1, crops_per_site=2,
                        blocks_per_crop=1, n_rates=(0, 200), daily_window_days=5, seed=11)


@pytest.fixture(scope="session")
def tiny_groups():
    return plan(TINY)


@pytest.fixture(scope="session")
def tiny_simulation(tiny_groups):
    """(seasonal, daily) of 12 real DSSAT seasons (maize, wheat, rice at three sites)."""
    seasonal, daily = execute(tiny_groups, TINY.daily_window_days, workers=2, progress=False)
    return with_site_columns(seasonal, site_table(tiny_groups)), daily
