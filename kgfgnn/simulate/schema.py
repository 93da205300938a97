"""Column schema of the simulated tables: unit and meaning of every column."""

from __future__ import annotations

import pandas as pd

from kgfgnn.simulate.windows import WINDOW_DAYS

SEASONAL_SCHEMA: dict[str, tuple[str, str]] = {
    # identifiers and design
    "sim_id": ("-", "simulation id: site|crop|weather year|block|N rate"),
    "site_id": ("-", "ISO2 country code and ISIS soil profile id"),
    "crop": ("-", "crop simulated (maize, wheat, rice, soybean)"),
    "cultivar": ("-", "DSSAT cultivar code"),
    "year_index": ("-", "stochastic weather year (0-based)"),
    "block": ("-", "fertilisation-management block within site, crop and year"),
    "planting": ("date", "planting (or transplanting) date"),
    "n_rate_kg_ha": ("kg N/ha", "total N applied (mineral or manure)"),
    "fertiliser": ("-", "fertiliser type"),
    "splits": ("-", "number of N applications (equal shares)"),
    "application_days": ("d", "days after planting of each N application, ';'-separated "
                              "(crop-specific growth stages, see design.SPLIT_DAYS)"),
    "fallow_days": ("d", "days of the crop year before planting (60; more where the crop "
                         "model ends its run before day 365)"),
    "ghg_method": ("-", "DSSAT-CSM denitrification/N2O method: daycent (MEGHG=1) or ceres"),
    "placement_depth_cm": ("cm", "application depth (0 broadcast, 5 incorporated, 10 banded)"),
    "tillage": ("bool", "moldboard plough 20 cm a week before planting"),
    "residue_kg_ha": ("kg DM/ha", "cereal residue applied two weeks before planting"),
    "irrigated": ("bool", "automatic irrigation where P/PET < 0.5 (or flooding for rice)"),
    "flooded": ("bool", "puddled paddy, flooded from transplanting to 105 days after (rice)"),
    "status": ("-", "ok, crop_failure (no yield; fluxes valid) or model_error"),
    "failure_reason": ("-", "DSSAT message or reason for a failed season"),
    # site, soil and climate
    "iso2": ("-", "ISO 3166 country code"),
    "country": ("-", "country name"),
    "zone": ("-", "main Koppen-Geiger climate group of the station"),
    "ipcc_climate": ("-", "IPCC 2019 Table 11.1 moisture class: wet or dry (P vs PET; "
                          "tropical: P > 1000 mm)"),
    "aridity_index": ("-", "annual precipitation / Hargreaves PET of the station normals"),
    "lat_deg": ("deg", "station latitude"),
    "lon_deg": ("deg", "station longitude"),
    "t_annual_c": ("degC", "station annual mean air temperature (CRU CL 2.0)"),
    "precip_annual_mm": ("mm", "station annual precipitation (CRU CL 2.0)"),
    "soil_oc_pct": ("%", "topsoil (0-15 cm) organic carbon (ISIS)"),
    "soil_clay_pct": ("%", "topsoil clay (ISIS)"),
    "soil_sand_pct": ("%", "topsoil sand (ISIS)"),
    "soil_bd_g_cm3": ("g/cm3", "topsoil bulk density (ISIS or Saxton-Rawls)"),
    "soil_ph": ("-", "pH in water of the first horizon (ISIS; NaN if not measured)"),
    "soil_dul": ("m3/m3", "topsoil drained upper limit (Saxton-Rawls)"),
    "soil_ll": ("m3/m3", "topsoil lower limit (Saxton-Rawls)"),
    "soil_sat": ("m3/m3", "topsoil saturation (Saxton-Rawls)"),
    "soil_ksat_cm_h": ("cm/h", "topsoil saturated conductivity (Saxton-Rawls)"),
    # outputs: annual (the 365-day crop year from 60 days before planting) unless the name
    # or meaning says season (planting to maturity)
    "accounting_days": ("d", "days simulated: the 365-day crop year"),
    "season_days": ("d", "days from planting to maturity (or to the year's end without)"),
    "maturity_das": ("d", "days from planting to maturity"),
    "yield_kg_ha": ("kg DM/ha", "harvested yield"),
    "biomass_kg_ha": ("kg DM/ha", "above-ground biomass at maturity"),
    "n_uptake_kg_ha": ("kg N/ha", "crop N uptake"),
    "n_applied_mineral_kg_ha": ("kg N/ha", "mineral N applied as seen by DSSAT"),
    "no3_leached_kg_n_ha_yr": ("kg N/ha", "nitrate leached below the profile"),
    "inorganic_n_maturity_kg_ha": ("kg N/ha", "soil inorganic N at maturity"),
    "n_mineralised_kg_ha": ("kg N/ha", "net N mineralisation"),
    "irrigation_mm": ("mm", "irrigation applied"),
    "precip_mm": ("mm", "precipitation of the crop year"),
    "et_mm": ("mm", "evapotranspiration of the crop year"),
    "drainage_mm": ("mm", "drainage below the profile"),
    "runoff_mm": ("mm", "surface runoff"),
    "t_max_mean_c": ("degC", "mean daily maximum air temperature (DSSAT, crop season)"),
    "t_min_mean_c": ("degC", "mean daily minimum air temperature (DSSAT, crop season)"),
    "srad_mean_mj_m2": ("MJ/m2/d", "mean solar radiation (DSSAT, crop season)"),
    "n2o_kg_n_ha_yr": ("kg N/ha/yr", "TARGET: annual N2O-N emission (DSSAT N2OEM)"),
    "co2_kg_c_ha_yr": ("kg C/ha/yr", "TARGET: annual soil CO2-C emission (DSSAT CO2EM)"),
    "ch4_kg_c_ha_yr": ("kg C/ha/yr", "TARGET: annual CH4-C emission (DSSAT CH4EM)"),
    "n2o_kg_n_ha_season": ("kg N/ha", "N2O-N emitted from planting to maturity"),
    "co2_kg_c_ha_season": ("kg C/ha", "soil CO2-C emitted from planting to maturity"),
    "ch4_kg_c_ha_season": ("kg C/ha", "CH4-C emitted from planting to maturity"),
    "n2_kg_n_ha": ("kg N/ha", "annual N2 emission"),
    "no_kg_n_ha": ("kg N/ha", "annual NO emission"),
    "denitrification_kg_n_ha": ("kg N/ha", "total denitrification"),
    "nitrification_kg_n_ha": ("kg N/ha", "total nitrification"),
    "n2o_from_denitrification_kg_n_ha": ("kg N/ha", "N2O produced by denitrification"),
    "n2o_from_nitrification_kg_n_ha": ("kg N/ha", "N2O produced by nitrification"),
    "n2o_daily_max_g_n_ha": ("g N/ha/d", "largest daily N2O-N flux"),
    "window_start_offset_d": ("d", "day of the crop year on which measurement windows start "
                                   "(first N application of the schedule, else planting)"),
    **{f"n2o_w{d:03d}_kg_n_ha": ("kg N/ha", f"N2O-N emitted in the {d} days from the window "
                                            "start (crop year read as cyclic)")
       for d in WINDOW_DAYS},
    **{f"n2o_nit_w{d:03d}_kg_n_ha": ("kg N/ha", f"N2O-N from nitrification in the {d} days "
                                                "from the window start")
       for d in WINDOW_DAYS},
    "co2_daily_max_g_c_ha": ("g C/ha/d", "largest daily CO2-C flux"),
    "wfps_mean_0_15": ("-", "mean water-filled pore space 0-15 cm (SW/SAT)"),
    "soil_water_mean_0_15": ("m3/m3", "mean volumetric water content 0-15 cm"),
    "soil_temp_mean_0_15_c": ("degC", "mean soil temperature 0-15 cm"),
    "no3_mean_0_15_ppm": ("mg N/kg", "mean soil nitrate 0-15 cm"),
    "nh4_mean_0_15_ppm": ("mg N/kg", "mean soil ammonium 0-15 cm"),
    "inorganic_n_mean_kg_ha": ("kg N/ha", "mean soil inorganic N of the profile"),
    "soc_initial_kg_ha": ("kg C/ha", "soil organic C at the start"),
    "soc_change_kg_ha": ("kg C/ha", "change in soil organic C over the crop year"),
    "n_gas_losses_kg_ha": ("kg N/ha", "gaseous N losses (CENTURY N balance)"),
    "n_balance_inorganic_kg_ha": ("kg N/ha", "DSSAT inorganic N balance error"),
    "n_balance_organic_kg_ha": ("kg N/ha", "DSSAT organic N balance error"),
    "n_balance_overall_kg_ha": ("kg N/ha", "DSSAT overall annual N balance error"),
}

DAILY_SCHEMA: dict[str, tuple[str, str]] = {
    "sim_id": ("-", "simulation id (joins the seasonal table)"),
    "date": ("date", "day"),
    "das": ("d", "days after the simulation start"),
    "application": ("-", "index of the N application the window follows (planting for 0 N)"),
    "days_after_application": ("d", "days since that application"),
    "n2o_g_n_ha": ("g N/ha/d", "N2O-N flux"),
    "n2_g_n_ha": ("g N/ha/d", "N2 flux"),
    "no_g_n_ha": ("g N/ha/d", "NO flux"),
    "nitrification_g_n_ha": ("g N/ha/d", "nitrification"),
    "denitrification_g_n_ha": ("g N/ha/d", "denitrification"),
    "co2_g_c_ha": ("g C/ha/d", "soil CO2-C flux"),
    "ch4_g_c_ha": ("g C/ha/d", "CH4-C flux"),
    "wfps_0_15": ("-", "water-filled pore space 0-15 cm"),
    "soil_temp_0_15_c": ("degC", "soil temperature 0-15 cm"),
    "no3_0_15_ppm": ("mg N/kg", "soil nitrate 0-15 cm"),
    "nh4_0_15_ppm": ("mg N/kg", "soil ammonium 0-15 cm"),
    "rain_mm": ("mm", "rain (generated weather)"),
    "t_max_c": ("degC", "maximum air temperature (generated)"),
    "t_min_c": ("degC", "minimum air temperature (generated)"),
    "srad_mj_m2": ("MJ/m2/d", "solar radiation (generated)"),
}


def schema_table(schema: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """The schema as a DataFrame for display."""
    return pd.DataFrame([(k, u, m) for k, (u, m) in schema.items()],
                        columns=["column", "unit", "meaning"])
