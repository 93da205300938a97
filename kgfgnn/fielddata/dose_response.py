"""The N2O dose-response studies (KenSyn ``N2O``; Philibert, Loyce & Makowski 2012).

774 measurements in 159 field studies (``Ref_num`` = site-year, the unit of independence),
several N rates per study. ``N2O`` is documented by the KenSyn package as kg ha-1 yr-1; the
compilations it drew on (Stehfest & Bouwman 2006, Nutr. Cycl. Agroecosyst. 74:207-228)
report emissions as N2O-N, so it is read here as **kg N2O-N/ha/yr** (a reading, not a fact
of the file). Measurement periods (``duree_expe``) are often shorter than a year.

The package documents none of the codes; the readings used here (and where they come from)
are in :data:`CLIMATE_CLASSES`, :data:`FERTILISER_READING`, :data:`CROP_READING`,
:data:`PLACEMENT_READING`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kgfgnn.paths import data_file
from kgfgnn.simulate.soils import TEXTURE_CLASSES

DOSE_RESPONSE_FILE = "real/kensyn_n2o_dose_response.csv"
GROUP = "Ref_num"
WINDOW = "duree_expe"  # measurement window (days); the target is a total over it
FULL_YEAR_DAYS = 365.0  # an empty window means a full year
TARGET = "N2O"

# Climate classes Clim1-Clim8 are undocumented in KenSyn. Reading used here: the mean annual
# temperature and precipitation of the rows that record them (this file, see
# ../shared/notes/kensyn.md); where no row of a class records a temperature (Clim3, Clim7),
# the class is read from its precipitation and wetland-rice share as warm-temperate humid
# (Clim3: 1,078 mm, 19 % paddy rice -> 16 degC) and humid tropical (Clim7: 2,275 mm -> 25 degC).
CLIMATE_CLASSES: dict[str, tuple[float, float]] = {  # class -> (mean annual degC, mm/yr)
    "Clim1": (7.9, 719.0), "Clim2": (11.3, 850.0), "Clim3": (16.0, 1078.0),
    "Clim4": (18.0, 1294.0), "Clim5": (25.7, 2631.0), "Clim6": (24.9, 944.0),
    "Clim7": (25.0, 2275.0), "Clim8": (4.3, 607.0),
}
# Fertiliser codes -> the simulation's fertiliser forms (usual readings of the codes; CAN is
# ammonium nitrate with lime, KN potassium nitrate as a nitrate fertiliser, AA anhydrous
# ammonia and NP ammonium phosphate as ammonium fertilisers, O/OS organic, Mix as UAN).
# Empty: urea, the world's most used N fertiliser (IFA statistics), stated as an assumption.
FERTILISER_READING = {
    "AN": "ammonium_nitrate", "CAN": "ammonium_nitrate", "CAN_grazing": "ammonium_nitrate",
    "U": "urea", "AS": "ammonium_sulphate", "AA": "ammonium_sulphate",
    "NP": "ammonium_sulphate", "KN": "calcium_nitrate", "CA": "calcium_nitrate",
    "UAN": "uan", "Mix": "uan", "O": "manure", "OS": "manure",
}
DEFAULT_FERTILISER = "urea"
# crop_type -> the nearest crop the study simulates (DSSAT maize, wheat, rice, soybean).
# Grassland and grass-clover are read as a C3 cereal canopy (wheat); "None" (bare soil) and
# unrecorded rows as maize, the commonest row crop of the data; "irrigated_crop" as
# irrigated maize. DSSAT's perennial forages (Bermudagrass, Alfalfa) need a mowing schedule
# the data do not record, so they are not used.
CROP_READING = {
    "Grass": "wheat", "Grass-clover": "wheat", "Cereal": "cereal", "Row": "maize",
    "Other": "maize", "None": "maize", "Rotation": "maize", "irrigated_crop": "maize",
    "Legume": "soybean", "Wetland_rice": "rice",
}
CEREAL_WHEAT_BELOW_C = 15.0  # "Cereal": wheat in cooler climates, maize in warmer ones
# Mode_of_application: b broadcast (0 cm), i incorporated (5 cm), s subsurface (10 cm), ib (5)
PLACEMENT_READING = {"b": 0, "i": 5, "ib": 5, "s": 10}


def load_dose_response() -> pd.DataFrame:
    """The data set as distributed (empty cells as NaN), ``Ref_num`` as text."""
    return pd.read_csv(data_file(DOSE_RESPONSE_FILE), keep_default_na=False,
                       na_values=[""], dtype={GROUP: str})


def window_days(frame: pd.DataFrame) -> pd.Series:
    """The measurement window of each row (days): the one reading of :data:`WINDOW`, where
    an empty cell means a full year (:data:`FULL_YEAR_DAYS`)."""
    return frame[WINDOW].astype(float).fillna(FULL_YEAR_DAYS)


def field_emission_factors(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """EF (%) of every fertilised treatment of a study that has a zero-N control:
    (N2O fertilised - N2O control) / N rate x 100, the control being the mean of the study's
    0 kg N/ha rows (the IPCC EF1 definition, as for the simulation). Rows keep the index of
    ``frame``."""
    frame = load_dose_response() if frame is None else frame
    control = (frame[frame.N_rate == 0].groupby(GROUP)[TARGET].mean()
               .rename("n2o_control_kg_n_ha"))
    fert = frame[frame.N_rate > 0].join(control, on=GROUP, how="inner")
    fert = fert.assign(ef_pct=100 * (fert[TARGET] - fert.n2o_control_kg_n_ha) / fert.N_rate,
                       window_days=window_days(fert))
    return fert  # indexed like ``frame``, so it aligns with per-row tables (twins)


def twin_conditions(frame: pd.DataFrame) -> pd.DataFrame:
    """Per row, the conditions of its digital twin in the simulation's terms.

    Climate (mean annual temperature, precipitation: recorded values first, else the
    class reading), soil (texture, organic C, pH, bulk density, drainage; missing values
    left NaN for the soil builder's documented fallbacks), crop, fertiliser form, placement
    depth, number of splits and N rate.
    """
    cls = frame["Climate"].map(CLIMATE_CLASSES)
    t_class = cls.map(lambda v: v[0] if isinstance(v, tuple) else np.nan)
    p_class = cls.map(lambda v: v[1] if isinstance(v, tuple) else np.nan)
    t_mean = frame["Mean_annual_temp"].fillna(t_class)
    crop = frame["crop_type"].map(CROP_READING).fillna("maize")
    crop = crop.where(crop != "cereal",
                      np.where(t_mean < CEREAL_WHEAT_BELOW_C, "wheat", "maize"))
    texture = frame["Texture_class"].astype(object).where(
        frame["Texture_class"].isin(list(TEXTURE_CLASSES)))
    return pd.DataFrame({
        GROUP: frame[GROUP].astype(str),
        "t_annual_c": t_mean.astype(float),
        "precip_annual_mm": frame["Annual_Precipitation"].fillna(p_class).astype(float),
        "texture": texture.fillna("m"),
        "soil_oc_pct": frame["Carbon_content"].astype(float),
        "soil_ph": frame["pH"].astype(float),
        "soil_bd_g_cm3": frame["Bulk_density"].astype(float),
        "poorly_drained": frame["Drainage"].eq("p"),
        "crop": crop,
        "irrigated": frame["crop_type"].eq("irrigated_crop"),
        "fertiliser": frame["Fertilizer_type"].map(FERTILISER_READING)
        .fillna(DEFAULT_FERTILISER),
        "placement_depth_cm": frame["Mode_of_application"].map(PLACEMENT_READING)
        .fillna(0).astype(int),
        "splits": frame["Timing_of_application"].fillna(1).clip(1, 3).astype(int),
        "n_rate_kg_ha": frame["N_rate"].astype(float),
        "window_days": window_days(frame),
    }, index=frame.index)
