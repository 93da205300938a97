"""The data-set adapters: one class per data set, found by name or by a bundle's kind."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from kgfgnn.bundles import KINDS
from kgfgnn.datasets import adapter
from kgfgnn.datasets.carey import Carey
from kgfgnn.datasets.dose_response import DoseResponse
from kgfgnn.datasets.simulated import Simulated
from kgfgnn.fielddata.dose_response import GROUP, load_dose_response
from kgfgnn.fielddata.schemas import CAREY, DOSE_RESPONSE


@pytest.mark.parametrize("name, cls", [("carey", Carey), ("dose_response", DoseResponse)])
def test_adapter_by_name_or_bundle_kind(name, cls):
    assert isinstance(adapter(name), cls)
    kind = next(k for k, v in KINDS.items() if v == name)
    assert isinstance(adapter(kind), cls) and adapter(kind).name == name
    assert adapter(name).schema is {"carey": CAREY, "dose_response": DOSE_RESPONSE}[name]
    assert set(adapter(name).curve_approaches) <= set(adapter(name).approaches)


def test_unknown_data_set_names_the_allowed_ones():
    with pytest.raises(ValueError, match="'simulated'.*allowed values are"):
        adapter("simulated")


def test_dose_response_sample_keeps_whole_studies_and_is_seeded():
    full = load_dose_response()
    a, b = DoseResponse().load(12, seed=4), DoseResponse().load(12, seed=4)
    assert a.equals(b) and a[GROUP].nunique() == 12
    for study, rows in a.groupby(GROUP):  # every row of a sampled study, in file order
        assert len(rows) == (full[GROUP] == study).sum()
    assert not DoseResponse().load(12, seed=5)[GROUP].sort_values().reset_index(
        drop=True).equals(a[GROUP].sort_values().reset_index(drop=True))
    assert DoseResponse().load().equals(full)
    with pytest.raises(ValueError, match="max_studies=-1"):
        DoseResponse().load(-1)


def test_simulated_frames_are_row_aligned(tiny_simulation):
    seasonal, _ = tiny_simulation
    X, Y, groups = Simulated().frames(seasonal)
    assert len(X) == len(Y) == len(groups) == len(seasonal)
    assert list(Y.columns) == ["n2o", "co2", "ch4"]
    np.testing.assert_array_equal(groups, seasonal.iso2.to_numpy())
    with pytest.raises(ValueError, match="max_samples=-2"):
        Simulated().load("unused", max_samples=-2)


def test_importing_the_adapters_imports_neither_torch_nor_the_simulation():
    code = ("import sys, kgfgnn.datasets, kgfgnn.datasets.carey, kgfgnn.datasets.dose_response,"
            " kgfgnn.datasets.simulated; "
            "print(sorted(m for m in ('torch', 'torch_geometric', 'kgfgnn.simulate.twins') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


@pytest.mark.parametrize("cls", [Carey, DoseResponse, Simulated])
def test_adapter_examples_run(cls):
    import doctest

    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner()
    tests = finder.find(cls, cls.__name__)
    assert tests and tests[0].examples
    for test in tests:
        runner.run(test)
    assert runner.failures == 0
