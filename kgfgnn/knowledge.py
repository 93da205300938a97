"""Process knowledge of DSSAT-CSM's soil C/N routines as a cited, directed edge list.

Nodes are either observed variables (columns of the feature table, see
:mod:`kgfgnn.variables`), latent processes (rates the model computes but a field study does
not observe) or targets. An edge ``u -> v`` says that DSSAT computes ``v`` (or the process
``v``) from ``u``. Sources:

- ``godwin1991``: Godwin & Jones (1991), Nitrogen dynamics in soil-plant systems, in Hanks &
  Ritchie (eds.), Modeling Plant and Soil Systems, Agron. Monogr. 31:287-321 (CERES-N: urea
  hydrolysis, nitrification, leaching, uptake).
- ``gijsman2002``: Gijsman, Hoogenboom, Parton & Kerridge (2002), Agron. J. 94:462-474
  (CENTURY soil organic matter in DSSAT: decomposition by temperature, moisture, texture,
  tillage; mineralisation/immobilisation).
- ``parton1996``: Parton et al. (1996), Global Biogeochem. Cycles 10:401-412 (DayCent
  nitrification N2O and NO by NH4, WFPS, temperature).
- ``delgrosso2000``: Del Grosso et al. (2000), Global Biogeochem. Cycles 14:1045-1060
  (denitrification N2O/N2 by NO3, heterotrophic respiration and WFPS).
- ``matthews2000``: Matthews, Wassmann & Arah (2000), Nutr. Cycl. Agroecosyst. 58:141-159
  (MERES methane: substrate from decomposition, flooding, temperature, oxidation).
- ``ritchie1998``: Ritchie (1998), Soil water balance and plant water stress, in Tsuji et
  al. (eds.), Understanding Options for Agricultural Production, Kluwer, 41-54 (water balance,
  drainage).
- ``williams1984``: Williams, Jones & Dyke (1984), Trans. ASAE 27:129-144 (EPIC soil
  temperature as used by DSSAT-CSM).
- ``stehfest2006``: Stehfest & Bouwman (2006), Nutr. Cycl. Agroecosyst. 74:207-228 (a field
  N2O total grows with the length of the measurement period, which enters their emission
  model as a factor).
- ``bakken2012``: Bakken, Bergaust, Liu & Frostegard (2012), Phil. Trans. R. Soc. B
  367:1226-1234 (soil pH controls the N2O/N2 product ratio of denitrification).
- ``hoogenboom2019``: Hoogenboom et al. (2019), The DSSAT crop modeling ecosystem, in Boote
  (ed.), Advances in Crop Modelling, Burleigh Dodds, 173-216 (crop growth and N demand).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kgfgnn.variables import CANDIDATES, STATES

if TYPE_CHECKING:  # networkx is imported where a graph is built, not by predict
    import networkx as nx

# The sources above as readers cite them (author-year, as in the book's bibliography).
SOURCE_LABELS = {
    "godwin1991": "Godwin & Jones 1991", "gijsman2002": "Gijsman et al. 2002",
    "parton1996": "Parton et al. 1996", "delgrosso2000": "Del Grosso et al. 2000",
    "matthews2000": "Matthews et al. 2000", "ritchie1998": "Ritchie 1998",
    "williams1984": "Williams et al. 1984", "stehfest2006": "Stehfest & Bouwman 2006",
    "bakken2012": "Bakken et al. 2012", "hoogenboom2019": "Hoogenboom et al. 2019",
}

LATENT = ("urea_hydrolysis", "decomposition", "nitrification", "denitrification",
          "methanogenesis", "methane_oxidation")
TARGET_NODES = {"n2o": "N2O", "co2": "CO2", "ch4": "CH4"}

# (source, destination, citation)
KNOWLEDGE_EDGES: tuple[tuple[str, str, str], ...] = (
    # fertiliser N forms and the mineral N pools
    ("n_rate_kg_ha", "urea_hydrolysis", "godwin1991"),
    ("n_urea_frac", "urea_hydrolysis", "godwin1991"),
    ("urea_hydrolysis", "nh4_mean_0_15_ppm", "godwin1991"),
    ("n_rate_kg_ha", "nh4_mean_0_15_ppm", "godwin1991"),
    ("n_nh4_frac", "nh4_mean_0_15_ppm", "godwin1991"),
    ("n_rate_kg_ha", "no3_mean_0_15_ppm", "godwin1991"),
    ("n_no3_frac", "no3_mean_0_15_ppm", "godwin1991"),
    ("placement_depth_cm", "nh4_mean_0_15_ppm", "godwin1991"),
    ("splits", "no3_mean_0_15_ppm", "godwin1991"),
    ("n_organic_frac", "n_mineralised_kg_ha", "gijsman2002"),
    ("n_rate_kg_ha", "n_mineralised_kg_ha", "gijsman2002"),
    ("residue_kg_ha", "n_mineralised_kg_ha", "gijsman2002"),
    ("soil_oc_pct", "n_mineralised_kg_ha", "gijsman2002"),
    ("n_mineralised_kg_ha", "nh4_mean_0_15_ppm", "gijsman2002"),
    ("inorganic_n_mean_kg_ha", "nitrification", "parton1996"),
    ("inorganic_n_mean_kg_ha", "denitrification", "delgrosso2000"),
    # decomposition and heterotrophic respiration (CENTURY)
    ("soil_oc_pct", "decomposition", "gijsman2002"),
    ("residue_kg_ha", "decomposition", "gijsman2002"),
    ("n_organic_frac", "decomposition", "gijsman2002"),
    ("soil_temp_mean_0_15_c", "decomposition", "gijsman2002"),
    ("wfps_mean_0_15", "decomposition", "gijsman2002"),
    ("soil_clay_pct", "decomposition", "gijsman2002"),
    ("tillage", "decomposition", "gijsman2002"),
    ("decomposition", "n_mineralised_kg_ha", "gijsman2002"),
    ("decomposition", "co2", "gijsman2002"),
    # nitrification (DayCent)
    ("nh4_mean_0_15_ppm", "nitrification", "parton1996"),
    ("wfps_mean_0_15", "nitrification", "parton1996"),
    ("soil_temp_mean_0_15_c", "nitrification", "parton1996"),
    ("nitrification", "no3_mean_0_15_ppm", "parton1996"),
    ("nitrification", "n2o", "parton1996"),
    # denitrification (DayCent)
    ("no3_mean_0_15_ppm", "denitrification", "delgrosso2000"),
    ("wfps_mean_0_15", "denitrification", "delgrosso2000"),
    ("decomposition", "denitrification", "delgrosso2000"),
    ("denitrification", "n2o", "delgrosso2000"),
    # methane (MERES-derived routine for flooded soils)
    ("flooded", "methanogenesis", "matthews2000"),
    ("decomposition", "methanogenesis", "matthews2000"),
    ("residue_kg_ha", "methanogenesis", "matthews2000"),
    ("soil_temp_mean_0_15_c", "methanogenesis", "matthews2000"),
    ("biomass_kg_ha", "methanogenesis", "matthews2000"),
    ("methanogenesis", "ch4", "matthews2000"),
    ("wfps_mean_0_15", "methane_oxidation", "matthews2000"),
    ("methane_oxidation", "ch4", "matthews2000"),
    # water balance
    ("precip_mm", "soil_water_mean_0_15", "ritchie1998"),
    ("irrigation_mm", "soil_water_mean_0_15", "ritchie1998"),
    ("irrigated", "irrigation_mm", "ritchie1998"),
    ("flooded", "soil_water_mean_0_15", "ritchie1998"),
    ("soil_dul", "soil_water_mean_0_15", "ritchie1998"),
    ("soil_ll", "soil_water_mean_0_15", "ritchie1998"),
    ("et_mm", "soil_water_mean_0_15", "ritchie1998"),
    ("soil_water_mean_0_15", "wfps_mean_0_15", "ritchie1998"),
    ("soil_sat", "wfps_mean_0_15", "ritchie1998"),
    ("soil_bd_g_cm3", "wfps_mean_0_15", "ritchie1998"),
    ("precip_mm", "drainage_mm", "ritchie1998"),
    ("soil_ksat_cm_h", "drainage_mm", "ritchie1998"),
    ("soil_sand_pct", "drainage_mm", "ritchie1998"),
    ("drainage_mm", "no3_leached_kg_n_ha_yr", "godwin1991"),
    ("no3_mean_0_15_ppm", "no3_leached_kg_n_ha_yr", "godwin1991"),
    ("no3_leached_kg_n_ha_yr", "no3_mean_0_15_ppm", "godwin1991"),
    # temperature
    ("t_max_mean_c", "soil_temp_mean_0_15_c", "williams1984"),
    ("t_min_mean_c", "soil_temp_mean_0_15_c", "williams1984"),
    ("t_annual_c", "soil_temp_mean_0_15_c", "williams1984"),
    ("srad_mean_mj_m2", "soil_temp_mean_0_15_c", "williams1984"),
    # crop growth and N uptake
    ("srad_mean_mj_m2", "biomass_kg_ha", "hoogenboom2019"),
    ("t_max_mean_c", "biomass_kg_ha", "hoogenboom2019"),
    ("soil_water_mean_0_15", "biomass_kg_ha", "hoogenboom2019"),
    ("crop_maize", "biomass_kg_ha", "hoogenboom2019"),
    ("crop_wheat", "biomass_kg_ha", "hoogenboom2019"),
    ("crop_rice", "biomass_kg_ha", "hoogenboom2019"),
    ("crop_soybean", "biomass_kg_ha", "hoogenboom2019"),
    ("biomass_kg_ha", "yield_kg_ha", "hoogenboom2019"),
    ("biomass_kg_ha", "et_mm", "ritchie1998"),
    ("biomass_kg_ha", "n_uptake_kg_ha", "hoogenboom2019"),
    ("no3_mean_0_15_ppm", "n_uptake_kg_ha", "godwin1991"),
    ("nh4_mean_0_15_ppm", "n_uptake_kg_ha", "godwin1991"),
    ("n_uptake_kg_ha", "inorganic_n_mean_kg_ha", "godwin1991"),
    ("no3_mean_0_15_ppm", "inorganic_n_mean_kg_ha", "godwin1991"),
    ("nh4_mean_0_15_ppm", "inorganic_n_mean_kg_ha", "godwin1991"),
    ("crop_rice", "flooded", "hoogenboom2019"),
    ("lat_abs_deg", "t_annual_c", "williams1984"),
    ("t_annual_c", "t_max_mean_c", "williams1984"),
    ("precip_annual_mm", "precip_mm", "ritchie1998"),
)


# Variables that field studies record but the simulated feature table does not hold as such,
# and their knowledge edges (used by the graphs of measured data sets).
FIELD_VARIABLES = ("ln_window_days", "poorly_drained", "soil_ph", "soil_n_pct")
FIELD_KNOWLEDGE_EDGES: tuple[tuple[str, str, str], ...] = (
    # a measured N2O total integrates the N2O-producing processes over the window
    ("ln_window_days", "nitrification", "stehfest2006"),
    ("ln_window_days", "denitrification", "stehfest2006"),
    ("poorly_drained", "wfps_mean_0_15", "ritchie1998"),  # DSSAT's drainage rate SLDR
    ("soil_ph", "nitrification", "godwin1991"),  # CERES-N pH factor of nitrification
    ("soil_ph", "denitrification", "bakken2012"),
    ("soil_n_pct", "n_mineralised_kg_ha", "gijsman2002"),  # C:N of soil organic matter
)


def knowledge_graph(edges=KNOWLEDGE_EDGES, observed=CANDIDATES) -> nx.DiGraph:
    """The knowledge DAG; every non-latent, non-target node must be an observed variable."""
    import networkx as nx

    graph = nx.DiGraph()
    for u, v, source in edges:
        graph.add_edge(u, v, source=source)
    allowed = set(observed) | set(LATENT) | set(TARGET_NODES)
    unknown = sorted(set(graph.nodes) - allowed)
    if unknown:
        raise ValueError(f"knowledge edge list names variable(s) {unknown} that are not in the "
                         "data, not latent processes and not targets")
    return graph


def contracted_edges(graph: nx.DiGraph, keep: list[str], target: str) -> list[tuple[str, str]]:
    """Directed edges among ``keep`` on the pathway to ``target``.

    Paths that pass through latent processes or through variables not kept are contracted:
    ``u -> x -> v`` with ``x`` not kept becomes ``u -> v``. Only nodes with a path to the
    target count as being on its pathway.
    """
    if target not in graph:
        raise ValueError(f"target {target!r} is not in the knowledge graph")
    import networkx as nx

    pathway = nx.ancestors(graph, target)
    keep_set = set(keep) & pathway
    out = set()
    for u in keep_set:
        stack, seen = list(graph.successors(u)), set()
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            if x in keep_set:
                if x != u:
                    out.add((u, x))
            elif x in pathway:
                stack.extend(graph.successors(x))
    return sorted(out)


# What the simulation reports of each intermediate node, for supervising it: the states are
# their own columns; nitrification and denitrification their simulated annual N fluxes
# (DayCent's rates summed over the crop year, kg N/ha). Urea hydrolysis, decomposition,
# methanogenesis and methane oxidation are not reported separately: they stay latent.
SUPERVISION: dict[str, str] = {
    **{state: state for state in STATES},
    "nitrification": "nitrification_kg_n_ha",
    "denitrification": "denitrification_kg_n_ha",
}


def pathway_nodes(target: str, observed, edges=KNOWLEDGE_EDGES, universe=None,
                  intermediates_only: bool = False) -> list[str]:
    """The variables and processes on a knowledge path from an ``observed`` node to
    ``target`` (``"n2o"``, ``"co2"`` or ``"ch4"``), ``observed`` themselves excluded: the
    nodes that a graph over ``observed`` must add so that no path is contracted away.
    ``intermediates_only``: only the soil and crop states and the processes (drivers left
    out by a feature selection stay out; paths through them are contracted)."""
    target = target.lower()
    graph = knowledge_graph(edges) if universe is None else knowledge_graph(edges, universe)
    if target not in graph:
        raise ValueError(f"target {target!r} is not in the knowledge graph")
    import networkx as nx

    upstream = nx.ancestors(graph, target)
    reachable: set[str] = set()
    for node in observed:
        if node in graph:
            reachable |= nx.descendants(graph, node)
    found = (upstream & reachable) - set(observed)
    if intermediates_only:
        found &= set(STATES) | set(LATENT)
    return sorted(found)
