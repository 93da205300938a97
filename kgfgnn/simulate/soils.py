"""DSSAT soil profiles from ISRIC ISIS reference profiles with documented pedotransfer functions.

Hydraulic properties come from Saxton & Rawls (2006, Soil Sci. Soc. Am. J. 70:1569-1578,
eqs. 1-3, 5-6, 16): wilting point (1500 kPa, DSSAT's lower limit LL), field capacity (33 kPa,
drained upper limit DUL), saturation (SAT), normal bulk density and saturated conductivity.
Organic matter = 1.724 x organic carbon (van Bemmelen factor), capped at 8 % as the equations
were fitted below that. Measured bulk density (ISIS ``BLD``) is used where present, else the
Saxton & Rawls normal density. Root growth factor: 1 in the top 15 cm, exp(-0.02 z) below
(the DSSAT SBuild default; Hoogenboom et al. 2019, DSSAT v4.7 documentation). Drainage rate by
texture and runoff curve number 73 (hydrologic group B) follow the same SBuild defaults.
Horizons with missing texture or carbon end the profile; nothing is invented for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kgfgnn.paths import data_file

SITES_FILE = "soils/isis_sites.csv"
HORIZONS_FILE = "soils/isis_horizons.csv"
MAX_DEPTH_CM = 150.0
MAX_ORGANIC_C_G_KG = 120.0  # above: organic soils (Histosols), outside these equations
OM_PER_OC = 1.724


def saxton_rawls(sand_pct, clay_pct, om_pct) -> dict[str, np.ndarray]:
    """Saxton & Rawls (2006) moisture and conductivity estimates (fractions; Ksat in cm/h)."""
    S = np.asarray(sand_pct, dtype=float) / 100
    C = np.asarray(clay_pct, dtype=float) / 100
    OM = np.minimum(np.asarray(om_pct, dtype=float), 8.0)
    t1500 = -0.024 * S + 0.487 * C + 0.006 * OM + 0.005 * S * OM - 0.013 * C * OM \
        + 0.068 * S * C + 0.031
    theta1500 = np.maximum(t1500 + (0.14 * t1500 - 0.02), 0.01)  # >0 for coarse sands
    t33 = -0.251 * S + 0.195 * C + 0.011 * OM + 0.006 * S * OM - 0.027 * C * OM \
        + 0.452 * S * C + 0.299
    theta33 = t33 + (1.283 * t33**2 - 0.374 * t33 - 0.015)
    ts33 = 0.278 * S + 0.034 * C + 0.022 * OM - 0.018 * S * OM - 0.027 * C * OM \
        - 0.584 * S * C + 0.078
    thetas33 = ts33 + (0.636 * ts33 - 0.107)
    theta_s = theta33 + thetas33 - 0.097 * S + 0.043
    density = (1 - theta_s) * 2.65
    B = (np.log(1500) - np.log(33)) / (np.log(theta33) - np.log(theta1500))
    lam = 1 / B
    ksat_mm_h = 1930 * np.maximum(theta_s - theta33, 1e-4) ** (3 - lam)
    return {"ll": theta1500, "dul": theta33, "sat": theta_s, "bd_normal": density,
            "ksat_cm_h": ksat_mm_h / 10}


def drainage_rate(clay_pct: float, sand_pct: float) -> float:
    """DSSAT SBuild drainage-rate default by texture (fraction per day)."""
    if sand_pct >= 70:
        return 0.6
    if clay_pct >= 40:
        return 0.25
    return 0.4


@dataclass(frozen=True)
class SoilSpec:
    """A soil profile ready for DSSAT: one row per layer plus identifiers."""

    source_id: str
    iso2: str
    lat: float
    lon: float
    wrb_group: str
    layers: pd.DataFrame  # depth_cm (bottom), sand, silt, clay, oc_pct, bd, ll, dul, sat, ...
    drainage: float | None = None  # DSSAT drainage rate SLDR (1/d); None = texture default

    def topsoil(self, depth_cm: float = 15.0) -> dict[str, float]:
        """Thickness-weighted means of the layers above ``depth_cm``."""
        top = np.minimum(self.layers["depth_cm"].to_numpy(), depth_cm)
        upper = np.concatenate([[0.0], self.layers["depth_cm"].to_numpy()[:-1]])
        weight = np.clip(top - upper, 0, None)
        weight = weight / weight.sum()
        mean = {c: float((self.layers[c] * weight).sum())
                for c in ("sand", "clay", "oc_pct", "bd", "ll", "dul", "sat", "ksat_cm_h")}
        ph = self.layers["ph"].dropna()
        mean["ph"] = float(ph.iloc[0]) if len(ph) else float("nan")
        return mean


def load_isis() -> tuple[pd.DataFrame, pd.DataFrame]:
    """ISIS sites and cleaned horizons (texture and carbon present, depths consistent)."""
    sites = pd.read_csv(data_file(SITES_FILE), keep_default_na=False, na_values=[""])
    horizons = pd.read_csv(data_file(HORIZONS_FILE))
    h = horizons.dropna(subset=["UHDICM", "LHDICM", "SNDPPT", "CLYPPT", "ORCDRC"]).copy()
    h = h[(h.UHDICM >= 0) & (h.LHDICM > h.UHDICM) & h.SNDPPT.between(0, 100)
          & h.CLYPPT.between(0, 100) & (h.SNDPPT + h.CLYPPT <= 100)
          & h.ORCDRC.between(0, MAX_ORGANIC_C_G_KG)]
    h = h.sort_values(["SOURCEID", "UHDICM"]).reset_index(drop=True)
    sites = sites.dropna(subset=["LATWGS84", "LONWGS84"])
    return sites, h


def build_soil(site: pd.Series, horizons: pd.DataFrame) -> SoilSpec | None:
    """Profile of one site from its contiguous horizons from the surface; None if unusable."""
    h = horizons[horizons.SOURCEID == site.SOURCEID]
    rows, depth = [], 0.0
    for hz in h.itertuples():
        if abs(hz.UHDICM - depth) > 1.0 or depth >= MAX_DEPTH_CM:
            break
        depth = min(float(hz.LHDICM), MAX_DEPTH_CM)
        rows.append(hz)
    if not rows or depth < 30:
        return None
    sand = np.array([r.SNDPPT for r in rows], dtype=float)
    clay = np.array([r.CLYPPT for r in rows], dtype=float)
    oc = np.array([r.ORCDRC for r in rows], dtype=float) / 10  # g/kg -> %
    hyd = saxton_rawls(sand, clay, OM_PER_OC * oc)
    bld = np.array([r.BLD for r in rows], dtype=float)
    bd = np.where(np.isfinite(bld) & (bld >= 0.8) & (bld <= 1.9), bld, hyd["bd_normal"])
    bottoms = np.array([min(float(r.LHDICM), MAX_DEPTH_CM) for r in rows])
    mids = (bottoms + np.concatenate([[0.0], bottoms[:-1]])) / 2
    layers = pd.DataFrame({
        "depth_cm": bottoms, "sand": sand, "clay": clay, "silt": 100 - sand - clay,
        "oc_pct": np.maximum(oc, 0.01), "bd": bd,
        "ll": hyd["ll"], "dul": np.maximum(hyd["dul"], hyd["ll"] + 0.02),
        "sat": np.maximum(hyd["sat"], hyd["dul"] + 0.03), "ksat_cm_h": hyd["ksat_cm_h"],
        "srgf": np.where(bottoms <= 15, 1.0, np.exp(-0.02 * mids)),
        "ph": [r.PHIHOX if np.isfinite(r.PHIHOX) else np.nan for r in rows],
        "cec": [r.CEC if np.isfinite(r.CEC) else np.nan for r in rows],
    })
    return SoilSpec(str(site.SOURCEID), str(site.iso2), float(site.LATWGS84),
                    float(site.LONWGS84), str(site.TAXGWRB), layers.round(4))


def soil_profiles() -> dict[str, SoilSpec]:
    """All usable ISIS profiles keyed by SOURCEID."""
    sites, horizons = load_isis()
    by_id = dict(tuple(horizons.groupby("SOURCEID")))
    out = {}
    for site in sites.itertuples():
        if site.SOURCEID in by_id:
            spec = build_soil(site, by_id[site.SOURCEID])
            if spec is not None:
                out[spec.source_id] = spec
    return out


def to_dssat(spec: SoilSpec, name: str):
    """A DSSATTools ``SoilProfile`` (name: 10 characters) for a :class:`SoilSpec`."""
    from kgfgnn.simulate.dssat_api import SoilLayer, SoilProfile

    def opt(v):
        return None if v is None or not np.isfinite(v) else float(v)

    layers = [
        SoilLayer(slb=r.depth_cm, slll=r.ll, sdul=r.dul, ssat=r.sat, srgf=r.srgf, sbdm=r.bd,
                  sloc=r.oc_pct, ssks=r.ksat_cm_h, slcl=r.clay, slsi=r.silt,
                  slhw=opt(r.ph), scec=opt(r.cec))
        for r in spec.layers.itertuples()
    ]
    top = spec.layers.iloc[0]
    return SoilProfile(table=layers, name=name, salb=0.13, slu1=6.0,
                       sldr=spec.drainage if spec.drainage is not None
                       else drainage_rate(top.clay, top.sand), slro=73.0, slnf=1.0, slpf=1.0,
                       lat=spec.lat, long=spec.lon, country=spec.iso2)


# FAO/SOTER texture classes of field records -> representative (sand %, clay %)
TEXTURE_CLASSES = {  # FAO/SOTER texture class -> representative (sand %, clay %)
    "c": (75.0, 8.0),   # coarse: clay < 18 %, sand > 65 %
    "m": (40.0, 22.0),  # medium: clay 18-35 % (or < 18 % with sand < 65 %)
    "f": (20.0, 50.0),  # fine: clay > 35 %
}
