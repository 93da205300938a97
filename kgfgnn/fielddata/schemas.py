"""The two measured data sets of the study as :class:`~kgfgnn.fielddata.schema.FieldSchema`.

Units and codes as documented by ``data/README.md`` (from the distributing packages); readings
of undocumented codes are in :mod:`kgfgnn.fielddata.dose_response` and
:mod:`kgfgnn.fielddata.carey_data`.
"""

from __future__ import annotations

from kgfgnn.fielddata.carey_data import FERTILISER_CODES, REAL_FILE, map_real
from kgfgnn.fielddata.design import CATEGORICAL
from kgfgnn.fielddata.dose_response import (
    CLIMATE_CLASSES,
    DOSE_RESPONSE_FILE,
    GROUP,
    TARGET,
)
from kgfgnn.fielddata.gnn_inputs import simulation_space
from kgfgnn.fielddata.schema import MISSING_HANDLED, Column, FieldSchema

TREES = "trees split on it as missing; ridge: training median + missing indicator"

CAREY = FieldSchema(
    name="Carey (2007)", file=REAL_FILE, group="group", target="emission",
    target_unit="g N2O-N/ha/day (mean flux)", to_simulation=map_real,
    citation="Carey 2007; Qian et al. 2010 (SESYNCBayes N2OEmission)",
    columns=(
        Column("fertilizer", "-", "code", "fertiliser type", codes=tuple(FERTILISER_CODES),
               simulation="n_urea/nh4/no3/organic_frac (shares of N by form)"),
        Column("carbon", "%", "number", "soil organic C of the site",
               simulation="soil_oc_pct"),
        Column("n.input", "kg N/ha/yr", "number", "N applied",
               simulation="n_rate_kg_ha (one season a year)"),
    ),
)

_CODE_TEXT = {
    "Climate": "climate class (read from the rows' own temperature and rainfall)",
    "Texture_class": "soil texture class (coarse, medium, fine)",
    "Drainage": "drainage (well, poorly drained)",
    "crop_type": "crop or land use",
    "Fertilizer_type": "fertiliser type",
    "Mode_of_application": "placement (broadcast, incorporated, subsurface)",
    "Method_N2O": "N2O measurement method",
}
_CODE_SIM = {
    "Climate": "t_annual_c, precip_annual_mm (where not recorded)",
    "Texture_class": "soil_sand_pct, soil_clay_pct", "Drainage": "twin soil drainage rate",
    "crop_type": "crop_*, flooded, irrigated", "Fertilizer_type": "n_*_frac",
    "Mode_of_application": "placement_depth_cm", "Method_N2O": "",
}
_CODE_MISSING = {
    "Texture_class": "twin: medium; " + TREES,
    "Fertilizer_type": "twin: urea; " + TREES,
    "crop_type": "twin: maize; " + TREES,
    "Mode_of_application": "twin: broadcast; " + TREES,
}
# Physical ranges (name, unit, meaning, (minimum, maximum), simulation variable, empty cell).
# Sources: soil pH 2-12 spans acid sulphate to sodic soils (Soil Survey Staff 2017, Soil
# Survey Manual, USDA Handbook 18); organic C up to 60 % covers peat (organic soil material
# has >= 12-18 % organic C, WRB 2022); bulk density 0.1-2.0 g/cm3 spans peat to compacted
# mineral soil (Saxton & Rawls 2006, their fig. 4 limits); N rates up to 2,000 kg N/ha cover
# the heaviest manure applications reported (e.g. Stehfest & Bouwman 2006: <= 1,500);
# windows up to three years (the longest in the data: 1,095 days); temperature -30 to 40 degC
# and precipitation up to 12,000 mm/yr bracket the climate of every cropped place (CRU CL 2.0).
WINDOW_NOTE = "a full year (365 days); the target is a total over the window"
_NUMBERS = (
    ("Carbon_content", "%", "soil organic C", (0.0, 60.0), "soil_oc_pct",
     "twin: median of the training studies with the same texture; KG-FGNN: training "
     "median; " + TREES),
    ("Nitrogen_content", "%", "soil total N", (0.0, 10.0), "soil_n_pct", TREES),
    ("pH", "-", "soil pH", (2.0, 12.0), "soil_ph", "twin: left unset (DSSAT's -99); " + TREES),
    ("Bulk_density", "g/cm3", "soil bulk density", (0.1, 2.0), "soil_bd_g_cm3",
     "twin: Saxton & Rawls (2006); KG-FGNN: training median; " + TREES),
    ("Annual_Precipitation", "mm/yr", "annual precipitation", (0.0, 12000.0),
     "precip_annual_mm", "climate-class reading"),
    ("Mean_annual_temp", "degC", "mean annual air temperature", (-30.0, 40.0), "t_annual_c",
     "climate-class reading"),
    ("Timing_of_application", "splits", "number of N applications", (0.0, 12.0), "splits",
     "one application; " + TREES),
    ("N_rate", "kg N/ha", "N applied", (0.0, 2000.0), "n_rate_kg_ha", ""),
    ("duree_expe", "days", "measurement window (the N2O total is over it)", (0.0, 1095.0),
     "ln_window_days", WINDOW_NOTE),
    ("Freq_N2O", "-", "measurement frequency code", (0.0, None), "", TREES),
)

DOSE_RESPONSE = FieldSchema(
    name="dose-response", file=DOSE_RESPONSE_FILE, group=GROUP, target=TARGET,
    target_unit="kg N2O-N/ha over the measurement window (duree_expe days)",
    to_simulation=simulation_space,
    citation="Philibert, Loyce & Makowski 2012 (KenSyn N2O)",
    columns=(
        Column("Climate", "-", "code", _CODE_TEXT["Climate"], codes=tuple(CLIMATE_CLASSES),
               simulation=_CODE_SIM["Climate"]),
        *(Column(name, "-", "code", _CODE_TEXT[name], codes=codes, missing=MISSING_HANDLED,
                 missing_note=_CODE_MISSING.get(name, TREES), simulation=_CODE_SIM[name])
          for name, codes in CATEGORICAL.items() if name != "Climate"),
        *(Column(name, unit, "number", text, minimum=low, maximum=high, simulation=sim,
                 minimum_exclusive=name == "duree_expe",
                 missing="required" if name == "N_rate" else MISSING_HANDLED,
                 missing_note=note)
          for name, unit, text, (low, high), sim, note in _NUMBERS),
    ),
)

SCHEMAS = {"carey": CAREY, "dose_response": DOSE_RESPONSE}
