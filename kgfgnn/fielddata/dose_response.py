"""The N2O dose-response studies (KenSyn ``N2O``; Philibert, Loyce & Makowski 2012).

774 measurements in 159 field studies (``Ref_num`` = site-year, the unit of independence),
several N rates per study. ``N2O`` is documented by the KenSyn package as kg ha-1 yr-1; the
compilations it drew on (Stehfest & Bouwman 2006, Nutr. Cycl. Agroecosyst. 74:207-228)
report emissions as N2O-N, so it is read here as **kg N2O-N/ha/yr** (a reading, not a fact
of the file). Measurement periods (``duree_expe``) are often shorter than a year.
"""

from __future__ import annotations

import pandas as pd

from kgfgnn.paths import data_file

DOSE_RESPONSE_FILE = "real/kensyn_n2o_dose_response.csv"
GROUP = "Ref_num"


def load_dose_response() -> pd.DataFrame:
    """The data set as distributed (empty cells as NaN), ``Ref_num`` as text."""
    return pd.read_csv(data_file(DOSE_RESPONSE_FILE), keep_default_na=False,
                       na_values=[""], dtype={GROUP: str})


def field_emission_factors(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """EF (%) of every fertilised treatment of a study that has a zero-N control:
    (N2O fertilised - N2O control) / N rate x 100, the control being the mean of the study's
    0 kg N/ha rows (the IPCC EF1 definition, as for the simulation)."""
    frame = load_dose_response() if frame is None else frame
    control = (frame[frame.N_rate == 0].groupby(GROUP)["N2O"].mean()
               .rename("n2o_control_kg_n_ha"))
    fert = frame[frame.N_rate > 0].join(control, on=GROUP, how="inner")
    fert = fert.assign(ef_pct=100 * (fert.N2O - fert.n2o_control_kg_n_ha) / fert.N_rate)
    return fert.reset_index(drop=True)
