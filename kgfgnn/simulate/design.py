"""Scenario design: countries, sites (station x soil), crops, planting dates, management."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
import pandas as pd

from kgfgnn.simulate.climate import (
    aridity_index,
    climate_zone,
    ipcc_climate,
    monthly,
)
from kgfgnn.simulate.soils import SoilSpec

N_COUNTRIES = 47
MAX_STATION_DISTANCE_KM = 500.0
ZONE_ORDER = ("tropical", "arid", "temperate", "cold", "polar")

# Fertiliser types: DSSAT material codes (DETAIL.CDE). Manure goes through the organic
# amendment (residue) section as barnyard manure, RE003.
FERTILISERS = {
    "urea": "FE005",
    "ammonium_nitrate": "FE001",
    "ammonium_sulphate": "FE002",
    "uan": "FE010",
    "calcium_nitrate": "FE008",
    "manure": "RE003",
}
# Cattle farmyard manure: 6.0 kg total N per t fresh weight at 25 % dry matter
# (AHDB Nutrient Management Guide RB209, 2017, section 2, table 2.3) = 2.4 % N of dry matter.
MANURE_N_PCT_DM = 2.4
PLACEMENTS = {  # depth (cm) -> DSSAT application code (DETAIL.CDE)
    0: "AP001",   # broadcast, not incorporated
    5: "AP002",   # broadcast, incorporated
    10: "AP004",  # banded beneath surface
}
FLOODED_PLACEMENTS = {0: "AP014", 10: "AP019"}  # flooded soil broadcast / deep-placed
SPLITS = (1, 2, 3)
# When the N is applied, in days after planting, by crop and number of splits (equal shares),
# at the growth stages agronomic guides name:
# - maize: at planting, side-dress at V6 (~35 d) and V10-V12 (~55 d) (Abendroth et al. 2011,
#   Corn Growth and Development, Iowa State Univ. PMR 1009; Sawyer et al. 2006, PM 2015);
# - spring wheat: at sowing, tillering (~30 d), stem extension GS30-31 (~50 d);
# - winter wheat: no autumn N; spring top-dressings at the start of spring growth (first
#   month >= 5 degC), GS30-31 (+25 d) and GS32 (+45 d) (AHDB Nutrient Management Guide RB209,
#   2017, section 4: cereals);
# - transplanted rice: basal, mid-tillering (~21 d) and panicle initiation (~45 d) for a
#   120-day variety (Dobermann & Fairhurst 2000, Rice: Nutrient Disorders & Nutrient
#   Management, IRRI/PPI);
# - soybean: at planting; later splits at V3 (~30 d) and R1 (~50 d), as in the wheat ladder.
SPLIT_DAYS = {
    "maize": {1: (0,), 2: (0, 35), 3: (0, 35, 55)},
    "spring_wheat": {1: (0,), 2: (0, 30), 3: (0, 30, 50)},
    "winter_wheat": {1: (25,), 2: (0, 25), 3: (0, 25, 45)},  # from the start of spring
    "rice": {1: (0,), 2: (0, 45), 3: (0, 21, 45)},
    "soybean": {1: (0,), 2: (0, 30), 3: (0, 30, 50)},
}
SPRING_GROWTH_C = 5.0  # winter cereals resume growth above ~5 degC (RB209; Porter & Gawith 1999)
# DSSAT 4.8 cultivar codes (MZCER048, WHCER048, RICER048, SBGRO048 .CUL files).
MAIZE_MEDIUM, MAIZE_SHORT = "990002", "990003"
WHEAT_SPRING, WHEAT_WINTER = "IB1500", "IB0488"  # Manitou (spring), Newton (winter)
RICE_IR8 = "IB0001"
SOYBEAN_BY_LATITUDE = ((35.0, "990003"), (25.0, "990006"), (0.0, "990008"))  # MG 3, 6, 8
RESIDUE_KG_HA = 3000.0
RESIDUE_N_PCT = 0.8  # cereal straw, DSSAT RE201 default N concentration range


@dataclass(frozen=True)
class Site:
    """A simulated site: one ISIS soil profile paired with its nearest climate station."""

    site_id: str
    iso2: str
    country: str
    zone: str
    station_id: str
    station_lat: float
    station_lon: float
    station_elev_m: float
    station_distance_km: float
    soil_id: str
    ipcc_climate: str = "wet"  # IPCC 2019 Table 11.1 moisture class of the station
    aridity_index: float = 1.0  # annual precipitation / PET (Hargreaves)


@dataclass(frozen=True)
class Scenario:
    """One DSSAT season: site, crop, weather year and fertilisation management."""

    sim_id: str
    site_id: str
    crop: str
    year_index: int
    block: int
    planting: date
    n_rate_kg_ha: float
    fertiliser: str
    splits: int
    placement_depth_cm: int
    tillage: bool
    residue_kg_ha: float
    irrigated: bool
    flooded: bool
    cultivar: str = ""
    application_days: tuple[int, ...] = (0,)  # days after planting of each N application
    ghg_method: str = "daycent"  # DSSAT-CSM denitrification/N2O method (GHG_METHODS)
    fallow_days: int = 60  # days of the crop year before planting (see season.py)

    def as_row(self) -> dict:
        row = asdict(self)
        row["planting"] = pd.Timestamp(self.planting)
        row["application_days"] = ";".join(str(d) for d in self.application_days)
        return row


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km."""
    p1, p2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dphi, dlmb = p2 - p1, np.deg2rad(np.asarray(lon2) - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def candidate_sites(stations: pd.DataFrame, soils: dict[str, SoilSpec]) -> pd.DataFrame:
    """Every usable soil profile paired with the nearest station of its country (<= 500 km)."""
    rows = []
    by_country = dict(tuple(stations.groupby("iso2")))
    for spec in sorted(soils.values(), key=lambda s: s.source_id):
        st = by_country.get(spec.iso2)
        if st is None:
            continue
        dist = haversine_km(spec.lat, spec.lon, st.lat_deg.to_numpy(), st.lon_deg.to_numpy())
        i = int(np.argmin(dist))
        if dist[i] > MAX_STATION_DISTANCE_KM:
            continue
        station = st.iloc[i]
        rows.append({
            "site_id": f"{spec.iso2}-{spec.source_id}", "iso2": spec.iso2,
            "country": str(station.country).title(), "zone": climate_zone(station),
            "station_id": str(station.station_id), "station_lat": float(station.lat_deg),
            "station_lon": float(station.lon_deg), "station_elev_m": float(station.elev_m),
            "station_distance_km": round(float(dist[i]), 1), "soil_id": spec.source_id,
            "ipcc_climate": ipcc_climate(station),
            "aridity_index": round(aridity_index(station), 3),
        })
    return pd.DataFrame(rows)


def choose_countries(candidates: pd.DataFrame, n: int = N_COUNTRIES) -> list[str]:
    """``n`` countries spread across climate zones: round-robin over zones, most sites first."""
    if n < 1:
        raise ValueError(f"n_countries={n}: must be >= 1")
    zone_of = candidates.groupby("iso2")["zone"].agg(lambda z: z.value_counts().index[0])
    counts = candidates.groupby("iso2").size()
    queues = {
        zone: sorted(zone_of[zone_of == zone].index, key=lambda c: (-counts[c], c))
        for zone in ZONE_ORDER
    }
    chosen: list[str] = []
    while len(chosen) < min(n, len(zone_of)):
        for zone in ZONE_ORDER:
            if queues[zone] and len(chosen) < n:
                chosen.append(queues[zone].pop(0))
    return sorted(chosen)


def select_sites(candidates: pd.DataFrame, countries: list[str], per_country: int,
                 rng: np.random.Generator) -> list[Site]:
    """``per_country`` sites per country, drawn without replacement (all if fewer exist)."""
    unknown = sorted(set(countries) - set(candidates.iso2))
    if unknown:
        raise ValueError(
            f"countries={unknown}: unknown or without a usable soil profile and station; "
            f"allowed are {sorted(candidates.iso2.unique())}"
        )
    sites = []
    for iso2 in sorted(countries):
        pool = candidates[candidates.iso2 == iso2].sort_values("site_id")
        take = rng.choice(len(pool), size=min(per_country, len(pool)), replace=False)
        sites += [Site(**pool.iloc[int(i)].to_dict()) for i in sorted(take)]
    return sites


def main_crops(normals: pd.Series) -> list[str]:
    """Crops in order of priority for a climate (a climate rule, not a census of land use)."""
    zone = climate_zone(normals)
    pre = monthly(normals, "pre").sum()
    tmp = monthly(normals, "tmp")
    if zone == "tropical":
        return ["rice", "maize", "soybean"] if pre >= 1000 else ["maize", "rice", "soybean"]
    if zone == "arid":
        return ["wheat", "maize", "rice"] if tmp.min() < 15 else ["maize", "rice", "soybean"]
    if zone == "temperate":
        if tmp.max() >= 22 and pre >= 1000:
            return ["rice", "wheat", "maize", "soybean"]
        return ["maize", "wheat", "soybean"]
    return ["wheat", "maize", "soybean"]


def planting_date(normals: pd.Series, crop: str, year: int) -> date:
    """Mid-month planting from the normals: temperature thresholds or the onset of rains.

    Warm-season crops (maize, soybean, rice) where the coldest month is below 12 degC: first
    month after the coldest with a mean of at least 14 degC (16 for rice). Elsewhere: the
    first month after the driest whose rain reaches 60 % of the wettest month. Wheat: spring
    sowing (first month >= 6 degC) where the coldest month is below 0 degC, otherwise
    autumn/winter sowing (first month after the warmest with a mean <= 18 degC).
    """
    tmp, pre = monthly(normals, "tmp"), monthly(normals, "pre")
    order = lambda start: [(start + k) % 12 for k in range(1, 13)]  # noqa: E731
    month = None
    if crop == "wheat":
        if tmp.min() < 0:
            month = next((m for m in order(int(tmp.argmin())) if tmp[m] >= 6), None)
        else:
            autumn = 12 if tmp.min() < 8 else 22
            month = next((m for m in order(int(tmp.argmax())) if tmp[m] <= autumn), None)
        if month is None:
            month = int(tmp.argmin())
    elif tmp.min() < 12:
        threshold = 16 if crop == "rice" else 12
        month = next((m for m in order(int(tmp.argmin())) if tmp[m] >= threshold), None)
        if month is None:
            month = int(tmp.argmax())
    else:
        month = next((m for m in order(int(pre.argmin())) if pre[m] >= 0.6 * pre.max()),
                     int(pre.argmax()))
    return date(year, month + 1, 15)


def application_days(crop: str, splits: int, normals: pd.Series, planting: date) -> tuple:
    """Days after planting of each N application (:data:`SPLIT_DAYS`)."""
    if crop != "wheat":
        return SPLIT_DAYS[crop][splits]
    if cultivar(normals, crop) != WHEAT_WINTER:
        return SPLIT_DAYS["spring_wheat"][splits]
    tmp = monthly(normals, "tmp")
    coldest = int(tmp.argmin())
    month = next((m % 12 for m in range(coldest + 1, coldest + 13)
                  if tmp[m % 12] >= SPRING_GROWTH_C), (coldest + 2) % 12)
    year = planting.year + (1 if month + 1 <= planting.month else 0)
    spring = (date(year, month + 1, 1) - planting).days
    return tuple(spring + d for d in SPLIT_DAYS["winter_wheat"][splits])


def management_blocks(crop: str, n_blocks: int, rng: np.random.Generator,
                      irrigate: bool = False) -> list[dict]:
    """Random fertilisation-management blocks (each later run over the whole N-rate ladder).

    Fertiliser form, number of splits, placement, tillage and residue are drawn; irrigation
    is not: upland crops are irrigated automatically where the climate needs it
    (``irrigate``, from :func:`~kgfgnn.simulate.climate.needs_irrigation`), rice is flooded.
    """
    blocks = []
    for _ in range(n_blocks):
        flooded = crop == "rice"
        depths = list(FLOODED_PLACEMENTS) if flooded else list(PLACEMENTS)
        blocks.append({
            "fertiliser": str(rng.choice(list(FERTILISERS))),
            "splits": int(rng.choice(SPLITS)),
            "placement_depth_cm": int(rng.choice(depths)),
            "tillage": bool(rng.random() < 0.5),
            "residue_kg_ha": float(rng.choice([0.0, RESIDUE_KG_HA])),
            "irrigated": True if flooded else bool(irrigate),
            "flooded": flooded,
        })
    return blocks


# DSSAT-CSM 4.8 greenhouse-gas method switch MEGHG (FileX METHODS line, read in IPSIM.for):
# 0 = CERES denitrification (Godwin & Jones 1991; the binary's default), 1 = DayCent
# denitrification (Parton et al. 1996/2001, Del Grosso et al. 2000); both feed the same
# N2O/N2/NO partitioning.
GHG_METHODS = {"ceres": "0", "daycent": "1"}


def check_ghg_method(method: str) -> None:
    if method not in GHG_METHODS:
        raise ValueError(f"ghg_method={method!r}: must be one of {sorted(GHG_METHODS)}")


def check_n_rates(n_rates: list[float]) -> None:
    """N rates must be non-negative and at most 400 kg N/ha."""
    for i, rate in enumerate(n_rates):
        if not 0 <= rate <= 400:
            raise ValueError(f"n_rates[{i}]={rate}: must be between 0 and 400 kg N/ha")


def cultivar(normals: pd.Series, crop: str) -> str:
    """DSSAT cultivar for a crop in a climate (season length and vernalisation needs)."""
    tmp = monthly(normals, "tmp")
    if crop == "maize":
        return MAIZE_SHORT if tmp.max() < 19 else MAIZE_MEDIUM
    if crop == "wheat":
        return WHEAT_WINTER if 0 <= tmp.min() < 8 else WHEAT_SPRING
    if crop == "rice":
        return RICE_IR8
    lat = abs(float(normals["lat_deg"]))
    return next(code for bound, code in SOYBEAN_BY_LATITUDE if lat >= bound)
