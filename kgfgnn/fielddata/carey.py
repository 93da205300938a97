"""The Carey (2007) compilation on the one real-data protocol (:mod:`kgfgnn.experiment.study`):
484 mean N2O fluxes at 85 sites, recording only the fertiliser type, the N input and the
soil's organic C (mapped onto the simulation's variables by :mod:`kgfgnn.fielddata.carey_data`).

Target: the mean flux (g N2O-N/ha/day), heavy-tailed and skewed, so every model fits and
every search scores it on the signed-log scale sign(y) ln(1 + |y|), the scale the benchmark's
models use; metrics are reported on the flux itself (``rmse``, ``r2``, ``mae``) and on the log
scale (``rmse_log``); every prediction is clipped on the log scale to the training range
widened by 10 %, as the benchmark's models are. Approaches: the same families and search as
the dose-response studies (:func:`kgfgnn.fielddata.protocol.families`), on the three
recorded variables (real only), with the simulation's conditional mean flux as a feature
(hybrid), as an offset (residual), as a monotone N response, or through KG-FGNN pretrained
on the simulated seasons (alone, or fine-tuned on the training sites). The simulation's
knowledge is built once per run, from simulated seasons only.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from kgfgnn.experiment.intervals import CONFIDENCE, split_conformal_log
from kgfgnn.experiment.study import RAW, Approach, FieldStudy, grouped_splits
from kgfgnn.fielddata.carey_data import OBSERVED, TARGET
from kgfgnn.fielddata.protocol import (
    FieldProtocol,
    families,
    shared_approaches,
)
from kgfgnn.scales import signed_expm1, signed_log1p
from kgfgnn.seeds import SAMPLE, spawn
from kgfgnn.variables import N_FORM_COLUMNS

SIMULATED = "simulated_log_flux"  # the simulation's conditional mean, signed-log scale
# Fixed effects of the mixed model (random intercept per site), searched like any setting:
# the N input; with soil organic C; with the N form shares (the moderators Qian et al. 2010
# model on these data, and Stehfest & Bouwman 2006 across N2O studies).
CAREY_MIXED = {
    "n_rate": ("n_rate_kg_ha",),
    "n_rate_carbon": ("n_rate_kg_ha", "soil_oc_pct"),
    "n_rate_carbon_form": ("n_rate_kg_ha", "soil_oc_pct", *N_FORM_COLUMNS),
}
APPROACHES: dict[str, Approach] = {
    **shared_approaches(SIMULATED),
    "simulation_only:conditional_mean": Approach("hybrid", RAW, SIMULATED),
    "simulation_only:kg_fgnn": Approach("gnn", "simulation_kg_fgnn"),
}
CURVE_APPROACHES = ("real_only:mixed_model", "real_only:hist_gradient_boosting",
                    "real_only:kg_fgnn", "simulation_only:kg_fgnn",
                    "hybrid:hist_gradient_boosting", "residual:mixed_model",
                    "pretrained:kg_fgnn")
UNIT = "g N2O-N/ha/day"


def conditional_mean_model(sim: pd.DataFrame, seed: int) -> HistGradientBoostingRegressor:
    """The simulated flux's conditional mean given the observed variables (signed-log scale).

    Fitted on every simulated season, it averages the flux over everything the real data do
    not record: climate, soil texture and water, crop, weather year, splits, placement,
    tillage, residue and irrigation."""
    model = HistGradientBoostingRegressor(random_state=seed)
    return model.fit(sim[list(OBSERVED)], signed_log1p(sim[TARGET].to_numpy(float)))


def carey_inputs(observed: pd.DataFrame, conditional_mean=None) -> dict[str, pd.DataFrame]:
    """The input tables of real rows in the simulation's variables (:data:`OBSERVED`):
    ``design`` (the recorded variables), ``gnn`` (the graph's nodes; the network adds its
    latent nodes) and, given the simulation's ``conditional_mean`` model, ``hybrid`` (the
    design with the simulated flux)."""
    design = observed[list(OBSERVED)].astype(float)
    out = {"design": design, "gnn": design}
    if conditional_mean is not None:
        out["hybrid"] = design.assign(**{SIMULATED: conditional_mean.predict(design)})
    return out


def knowledge_setup(sim: pd.DataFrame, protocol: FieldProtocol, seed: int) -> dict:
    """What the simulation brings, from simulated seasons only: KG-FGNN pretrained
    ``n_pretrain`` times (each on a seeded sample of ``max_pretrain`` seasons, early stopping
    on held-out simulated sites) and the conditional mean flux."""
    y = signed_log1p(sim[TARGET].to_numpy(float))

    def sample(i: int):
        n = min(protocol.max_pretrain, len(sim))
        rows = np.sort(np.random.default_rng(spawn(seed, i, SAMPLE)).choice(len(sim), n,
                                                                      replace=False))
        part = sim.iloc[rows]
        return part[list(OBSERVED)].astype(float), y[rows], part["site_id"].to_numpy()

    from kgfgnn.fielddata.knowledge_gnn import pretrain_members  # torch: only to pretrain

    return {"pretrained": pretrain_members(sample, protocol.n_pretrain, protocol.gnn_epochs,
                                           seed, nodes=OBSERVED),
            "conditional_mean": conditional_mean_model(sim, seed)}


def carey_families(protocol: FieldProtocol, knowledge: dict | None):
    """The real-data registry on the Carey columns."""
    return families(protocol, None if knowledge is None else knowledge["pretrained"],
                    mixed_fixed=CAREY_MIXED, n_rate="n_rate_kg_ha", gnn_nodes=OBSERVED)


def carey_study(real: pd.DataFrame, knowledge: dict, protocol: FieldProtocol, seed: int,
                knowledge_key: str = "") -> FieldStudy:
    """The Carey data (:func:`kgfgnn.fielddata.carey_data.load_real`) as a
    :class:`~kgfgnn.experiment.study.FieldStudy`: grouped k-fold by site per seed.
    ``knowledge_key``: a digest of what the knowledge was made from (for the runner's
    cache)."""
    groups = real["group"].astype(str).to_numpy()
    return FieldStudy(
        name="carey", unit="site", y=signed_log1p(real[TARGET].to_numpy(float)),
        groups=groups, inputs=carey_inputs(real, knowledge["conditional_mean"]),
        approaches=APPROACHES, curve_approaches=CURVE_APPROACHES,
        curve_groups=tuple(protocol.curve_groups),
        registry=partial(carey_families, protocol), search_iter=protocol.search_iter,
        splits=list(grouped_splits(groups, protocol.n_folds, protocol.n_seeds, seed)),
        knowledge=knowledge, reported=signed_expm1, clip_margin=0.1,
        knowledge_key=knowledge_key)


KIND = "kgfgnn-carey-model"


def carey_bundle(approach: str, model, residuals: np.ndarray, clip_range: tuple[float, float],
                 conditional_mean=None) -> dict:
    """Everything ``predict`` needs for the Carey schema: the approach chosen by grouped CV
    fitted on every site, its input table, the range its predictions are clipped to (signed
    log), the simulation's conditional-mean model (for hybrid inputs) and the out-of-fold
    residuals (signed log) that calibrate the 90 % split-conformal interval."""
    if approach not in APPROACHES:
        raise ValueError(f"approach={approach!r}: allowed values are {list(APPROACHES)}")
    return {"kind": KIND, "approach": approach, "model": model,
            "inputs": APPROACHES[approach].inputs,
            "residuals": np.abs(np.asarray(residuals, dtype=float)),
            "confidence": CONFIDENCE, "clip_range": tuple(map(float, clip_range)),
            "conditional_mean": conditional_mean, "target": f"mean N2O flux, {UNIT}"}


def predict_carey(bundle: dict, observed: pd.DataFrame
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted mean flux (g N2O-N/ha/day) with its 90 % interval for rows in the
    simulation's variables (:func:`kgfgnn.fielddata.carey_data.map_real` of validated rows)."""
    X = carey_inputs(observed, bundle.get("conditional_mean"))[bundle["inputs"]]
    point = np.clip(np.asarray(bundle["model"].predict(X), dtype=float).ravel(),
                    *bundle["clip_range"])
    low, high = split_conformal_log(point, bundle["residuals"], bundle["confidence"])
    return signed_expm1(point), signed_expm1(low), signed_expm1(high)


__all__ = ["APPROACHES", "CAREY_MIXED", "CURVE_APPROACHES", "KIND",
           "carey_bundle", "carey_families", "carey_inputs", "carey_study", "knowledge_setup",
           "predict_carey"]
