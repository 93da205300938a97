"""Country outlines for maps (Natural Earth 1:110m, shipped in data/naturalearth)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.paths import data_file

OUTLINES_FILE = "naturalearth/country_outlines_110m.csv.gz"


def country_outlines() -> list[np.ndarray]:
    """One (n, 2) array of (lon, lat) vertices per closed country outline."""
    frame = pd.read_csv(data_file(OUTLINES_FILE))
    return [part[["lon_deg", "lat_deg"]].to_numpy() for _, part in frame.groupby("ring")]
