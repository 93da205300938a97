"""Seeds are spawned from the run's seed, never made by adding to it."""

import numpy as np
import pytest

from kgfgnn.experiment.study import grouped_splits
from kgfgnn.seeds import MODEL, SAMPLE, repetition_seeds, spawn


def test_spawn_is_seedsequence_spawn():
    expected = np.random.SeedSequence(7).spawn(3)[2].spawn(2)[1].generate_state(1)[0]
    assert spawn(7, 2, 1) == int(expected)


def test_streams_of_neighbouring_runs_do_not_overlap():
    # with seed + s, run 0's repetition 1 was run 1's repetition 0; spawned seeds never are
    run0, run1 = repetition_seeds(0, 5), repetition_seeds(1, 5)
    assert len(set(run0) | set(run1)) == 10
    assert spawn(3, 0, MODEL) != spawn(3, 0, SAMPLE)
    assert spawn(3, 1, MODEL) != spawn(3, 0, MODEL)


@pytest.mark.parametrize("seed, path", [(-1, ()), (0, (-2,))])
def test_negative_seeds_are_refused(seed, path):
    with pytest.raises(ValueError, match="seed|path"):
        spawn(seed, *path)


def test_grouped_repetitions_take_spawned_seeds_and_differ():
    groups = np.repeat(np.arange(12), 3)
    units = list(grouped_splits(groups, 3, 2, seed=11))
    seeds = sorted({u[1] for u in units})
    assert seeds == sorted(repetition_seeds(11, 2))
    first = [tuple(u[4]) for u in units if u[1] == seeds[0]]
    second = [tuple(u[4]) for u in units if u[1] == seeds[1]]
    assert set(first) != set(second)  # another shuffle of the sites
