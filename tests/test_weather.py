"""Property tests of the stochastic weather generator (physical invariants, determinism)."""

from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from kgfgnn.simulate.climate import MONTHS
from kgfgnn.simulate.weather import extraterrestrial_radiation, generate_weather


def normals(tmn=5.0, dtr=10.0, pre=60.0, rd0=10.0, sun=50.0, lat=45.0) -> pd.Series:
    data = {"lat_deg": lat}
    for m in MONTHS:
        data |= {f"tmn_{m}": tmn, f"tmx_{m}": tmn + dtr, f"tmp_{m}": tmn + dtr / 2,
                 f"pre_{m}": pre, f"rd0_{m}": rd0, f"sun_{m}": sun}
    return pd.Series(data)


@settings(max_examples=25, deadline=None)
@given(tmn=st.floats(-30, 30), dtr=st.floats(1, 20), pre=st.floats(0, 600),
       rd0=st.floats(0, 28), sun=st.floats(0, 100), lat=st.floats(-65, 65),
       seed=st.integers(0, 2**32 - 1))
def test_daily_weather_is_physical(tmn, dtr, pre, rd0, sun, lat, seed):
    w = generate_weather(normals(tmn, dtr, pre, rd0 if pre > 0 else 0.0, sun, lat),
                         date(2001, 1, 1), 400, np.random.default_rng(seed))
    assert len(w) == 400
    assert (w.rain >= 0).all()
    assert (w.tmax > w.tmin).all()
    assert (w.srad > 0).all() and (w.srad < 45).all()
    if pre == 0:
        assert (w.rain == 0).all()


def test_same_seed_same_weather_and_other_seed_differs():
    a = generate_weather(normals(), date(2001, 3, 1), 200, np.random.default_rng(1))
    b = generate_weather(normals(), date(2001, 3, 1), 200, np.random.default_rng(1))
    c = generate_weather(normals(), date(2001, 3, 1), 200, np.random.default_rng(2))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_long_run_statistics_match_the_normals():
    w = generate_weather(normals(tmn=8, dtr=12, pre=90, rd0=12, sun=50), date(2001, 1, 1),
                         365 * 30, np.random.default_rng(0))
    wet_fraction = (w.rain > 0).mean()
    monthly_rain = w.rain.sum() / (30 * 12)
    assert abs(wet_fraction - 12 / 30.4) < 0.03
    assert abs(monthly_rain - 90) / 90 < 0.1
    assert abs(w.tmin.mean() - 8) < 0.3 and abs(w.tmax.mean() - 20) < 0.3


def test_extraterrestrial_radiation_fao56_example():
    # FAO-56 example 8: 20 deg S on 3 September (day 246): Ra = 32.2 MJ/m2/d
    assert abs(extraterrestrial_radiation(-20.0, np.array([246]))[0] - 32.2) < 0.2
