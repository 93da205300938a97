"""The training-size curve's subsets and checks (the run itself: test_notebooks_book)."""

import numpy as np
import pandas as pd
import pytest

from kgfgnn.size_curve import check_sizes, nested_subsets


def _fold(n_site_years: int = 40, rates: int = 3):
    site_years = np.repeat([f"s{i}" for i in range(n_site_years)], rates)
    train = np.arange(len(site_years)) + 1000  # row indices of the outer training fold
    return train, site_years


def test_subsets_are_nested_whole_site_years_that_reach_each_size():
    train, site_years = _fold()
    subsets = nested_subsets(train, site_years, (10, 31, 60, 0), seed=3)
    by_row = pd.Series(site_years, index=train)
    for size in (10, 31, 60):
        rows = subsets[size]
        assert len(rows) >= size and len(rows) - size < 3  # reached with the last site-year
        kept = by_row[rows]
        assert (kept.value_counts() == 3).all()  # every N rate of a kept site-year
    assert set(subsets[10]) <= set(subsets[31]) <= set(subsets[60]) <= set(subsets[0])
    assert np.array_equal(subsets[0], np.sort(train))
    assert np.array_equal(nested_subsets(train, site_years, (31,), seed=3)[31], subsets[31])
    assert not np.array_equal(nested_subsets(train, site_years, (31,), seed=4)[31],
                              subsets[31])


def test_a_size_beyond_the_fold_takes_the_whole_fold():
    train, site_years = _fold(5)
    assert np.array_equal(nested_subsets(train, site_years, (500,), seed=0)[500], train)


@pytest.mark.parametrize("sizes", [[], [10], [-1], [500, 500]])
def test_bad_sizes_are_refused(sizes):
    with pytest.raises(ValueError, match="sizes="):
        check_sizes(sizes)


def test_sizes_increase_with_all_last():
    assert check_sizes([0, 2000, 500]) == (500, 2000, 0)
