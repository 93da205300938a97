import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kgfgnn.simulate.soils import saxton_rawls, soil_profiles


@settings(max_examples=60, deadline=None)
@given(sand=st.floats(5, 90), clay=st.floats(2, 60), om=st.floats(0, 8))
def test_saxton_rawls_ordering(sand, clay, om):
    if sand + clay > 100:
        return
    h = saxton_rawls(sand, clay, om)
    assert 0 < h["ll"] < h["dul"] < h["sat"] < 1
    assert h["ksat_cm_h"] > 0
    assert 0.8 < h["bd_normal"] < 2.1


def test_saxton_rawls_texture_trends():
    sand, loam, clay = (saxton_rawls(s, c, 2.0) for s, c in ((85, 5), (40, 20), (20, 50)))
    assert sand["ll"] < loam["ll"] < clay["ll"]
    assert sand["ksat_cm_h"] > loam["ksat_cm_h"] > clay["ksat_cm_h"]
    # Saxton & Rawls (2006), Table 3, loam (S 40 %, C 20 %, OM 2.5 %): wilting point ~0.13,
    # field capacity ~0.26-0.27
    loam25 = saxton_rawls(40, 20, 2.5)
    assert abs(float(loam25["ll"]) - 0.13) < 0.02 and abs(float(loam25["dul"]) - 0.265) < 0.02


def test_isis_profiles_are_usable():
    profiles = soil_profiles()
    assert len(profiles) > 400
    for spec in list(profiles.values())[:50]:
        layers = spec.layers
        assert (np.diff(layers.depth_cm) > 0).all()
        assert layers.depth_cm.iloc[-1] >= 30
        assert ((layers.ll < layers.dul) & (layers.dul < layers.sat)).all()
        assert layers.srgf.between(0, 1).all()
