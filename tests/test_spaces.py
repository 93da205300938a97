"""One table of search spaces: every engine draws its candidates from it."""

import pytest

from kgfgnn.baselines import BASELINES, baseline_family
from kgfgnn.experiment.spaces import MEASURED, SIMULATED, SPACES, families_in, space
from kgfgnn.fielddata.protocol import FieldProtocol, families
from kgfgnn.nested import GNN, GNN_SPACE, TABM, TABM_SPACE


def _same(a: dict, b: dict) -> bool:
    """Same keys in the same order (the draw depends on it), same distributions."""
    return list(a) == list(b) and all(
        repr(getattr(a[k], "kwds", a[k])) == repr(getattr(b[k], "kwds", b[k]))
        and getattr(getattr(a[k], "dist", None), "name", None)
        == getattr(getattr(b[k], "dist", None), "name", None) for k in a)


def test_the_simulated_engine_draws_from_the_table():
    assert set(families_in(SIMULATED)) == {*BASELINES, TABM, GNN}
    for name in BASELINES:
        assert _same(baseline_family(name).space, space(name, SIMULATED))
    assert _same(GNN_SPACE, space(GNN, SIMULATED)) and _same(TABM_SPACE, space(TABM, SIMULATED))


def test_the_measured_engine_draws_from_the_table():
    registry = families(FieldProtocol(), pretrained={"members": []})
    assert set(registry) == set(families_in(MEASURED))
    for name, family in registry.items():
        own = {k: v for k, v in family.space.items() if k != "fixed"}  # the data set's sets
        assert _same(own, space(name, MEASURED)), name


def test_a_space_is_a_copy_and_bad_names_are_refused():
    space("ridge", SIMULATED)["extra"] = 1
    assert "extra" not in SPACES["ridge"][SIMULATED]
    with pytest.raises(ValueError, match="context='other'"):
        space("ridge", "other")
    with pytest.raises(ValueError, match="family='svr' has no measured space"):
        space("svr", MEASURED)
