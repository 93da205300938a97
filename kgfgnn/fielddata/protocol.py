"""The dose-response studies on the one real-data protocol (:mod:`kgfgnn.experiment.study`):
their approaches, families and outer splits, declared once, and shared with the Carey data.

Target: ln N2O-N over the measurement window (``log_N2O``, kg N2O-N/ha over ``duree_expe``
days). Approaches (:data:`APPROACHES`): real-only models on the recorded columns
(:mod:`kgfgnn.fielddata.design`), the digital twin alone (raw, or calibrated inside the folds),
and knowledge's other ways in: the twin as features (hybrid), residual learning on the twin,
a monotone N response, KG-FGNN pretrained on simulated windows. Each tuned family gets the
same ``search_iter`` candidates of :func:`kgfgnn.experiment.search.random_search`, scored on
held-out training *studies*. Outer splits (the results' ``split`` column): grouped k-fold by
study (``grouped``), leave climate groups out
(``leave_climate_out``: train on two of the three climate groups, test on the third), and a
learning curve of training studies inside the grouped folds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from kgfgnn.experiment.search import Family
from kgfgnn.experiment.spaces import MEASURED, space
from kgfgnn.experiment.study import (
    RAW,
    Approach,
    FieldStudy,
    choose,
    fit_approach,
    grouped_folds,
)
from kgfgnn.fielddata.design import (
    CATEGORICAL,
    LN_WINDOW,
    TWIN_DESIGN,
    design_matrix,
)
from kgfgnn.fielddata.dose_response import CLIMATE_CLASSES, GROUP
from kgfgnn.fielddata.estimators import (
    CalibratedTwin,
    LogLinearDoseResponse,
    MixedInterceptRegressor,
)
from kgfgnn.fielddata.gnn_inputs import gnn_design
from kgfgnn.seeds import repetition_seeds

LOG_TARGET = "log_N2O"
# Climate classes in three groups by the mean annual temperature of the rows that record it
# (data/README.md; the classes are undocumented): cool (Clim1 7.9, Clim8 4.3 degC), warm
# temperate (Clim2 11.3, Clim3 ~16, Clim4 18.0) and tropical (Clim5 25.7, Clim6 24.9, Clim7).
CLIMATE_GROUPS = {"Clim1": "cool", "Clim8": "cool", "Clim2": "warm_temperate",
                  "Clim3": "warm_temperate", "Clim4": "warm_temperate", "Clim5": "tropical",
                  "Clim6": "tropical", "Clim7": "tropical"}


def climate_label(code: str) -> str:
    """A climate class decoded for readers, e.g. ``Clim1 (cool; 7.9 °C, 719 mm)``: the
    group of the leave-climate-out split and the class's mean annual temperature and
    precipitation (:data:`kgfgnn.fielddata.dose_response.CLIMATE_CLASSES`, read from the
    data; the classes are undocumented in KenSyn)."""
    if code not in CLIMATE_GROUPS:
        return str(code)
    temperature, rain = CLIMATE_CLASSES[code]
    return (f"{code} ({CLIMATE_GROUPS[code].replace('_', ' ')}; {temperature:g} °C, "
            f"{rain:,.0f} mm)")


def climate_class_table() -> pd.DataFrame:
    """The eight climate classes decoded: group, mean annual temperature and precipitation."""
    return pd.DataFrame(
        [{"class": code, "group (leave climate out)": CLIMATE_GROUPS[code].replace("_", " "),
          "mean annual temperature (°C)": t, "annual precipitation (mm)": p}
         for code, (t, p) in CLIMATE_CLASSES.items()]).set_index("class")


def _codes(*columns: str) -> tuple[str, ...]:
    return tuple(f"{c}={v}" for c in columns for v in CATEGORICAL[c])


# Fixed effects of the mixed model, chosen by the search like any other setting: nested sets
# of the moderators of N2O meta-analyses (Stehfest & Bouwman 2006): the window and N rate;
# with climate and crop; with soil (organic C, texture, drainage) and the measurement method.
MIXED_FIXED = {
    "window_n": (LN_WINDOW, "N_rate"),
    "climate_crop": (LN_WINDOW, "N_rate", *_codes("Climate", "crop_type")),
    "moderators": (LN_WINDOW, "N_rate", "Carbon_content", "Carbon_content_missing",
                   *_codes("Climate", "crop_type", "Texture_class", "Drainage", "Method_N2O")),
}


@dataclass
class FieldProtocol:
    """The budget of the real-data protocol, the same for every measured data set."""

    n_folds: int = 5
    n_seeds: int = 3
    search_iter: int = 5
    curve_groups: tuple[int, ...] = (10, 20, 40)  # training groups of the learning curve
    gnn_epochs: int = 150  # KG-FGNN from scratch and pretraining
    fine_tune_epochs: int = 100
    n_members: int = 5  # seed ensemble of every KG-FGNN
    n_pretrain: int = 3  # pretraining seeds (members fine-tuned in turn)
    max_pretrain: int = 3000  # simulated examples per pretraining seed
    tabm_epochs: int = 200
    climate_seeds: int = 1  # seeds of the leave-climate-out split (0 = not run)
    device: str = "auto"  # torch models (KG-FGNN, TabM): "auto" = CUDA when present

    @classmethod
    def from_parameters(cls, params: dict) -> FieldProtocol:
        """The protocol a chapter's validated parameters describe (``curve_sites`` or
        ``curve_studies`` give the learning curve's training groups; other keys, such as
        the artefact folder or the seed, are not the protocol's)."""
        curve = params.get("curve_sites", params.get("curve_studies"))
        known = {f for f in cls.__dataclass_fields__ if f != "curve_groups"}
        values = {k: v for k, v in params.items() if k in known}
        return cls(**values, **({"curve_groups": tuple(curve)} if curve is not None else {}))

    def __post_init__(self):
        for name in ("n_folds", "n_seeds", "search_iter", "gnn_epochs", "fine_tune_epochs",
                     "n_members", "n_pretrain", "max_pretrain", "tabm_epochs"):
            low = 2 if name == "n_folds" else 1
            if getattr(self, name) < low:
                raise ValueError(f"{name}={getattr(self, name)}: must be >= {low}")


def families(protocol: FieldProtocol, pretrained: dict | None = None,
             mixed_fixed: dict[str, tuple[str, ...]] | None = None, n_rate: str = "N_rate",
             gnn_nodes: tuple[str, ...] | None = None) -> dict[str, Family]:
    """Every measured data set's families: the builders, each with its ``measured`` space
    from the one table of spaces (:mod:`kgfgnn.experiment.spaces`). ``mixed_fixed``: the mixed
    model's candidate fixed-effect sets (default :data:`MIXED_FIXED`); ``n_rate``: the column
    the monotone model increases in; ``gnn_nodes``: the graph's node columns of KG-FGNN from
    scratch (None: the dose-response network's)."""
    # the families' models (torch-backed ones included) are imported when a registry is
    # built, not when predict reads a model that does not need them
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from kgfgnn.fielddata.knowledge_gnn import (
        FieldKGFGNN,
        SimulationOnlyKGFGNN,
        field_trainer,
    )
    from kgfgnn.tabm import TabMRegressor

    mixed_fixed = MIXED_FIXED if mixed_fixed is None else mixed_fixed

    def ridge(p, seed):
        return make_pipeline(informative(), SimpleImputer(strategy="median"),
                             StandardScaler(), Ridge(**p))

    def informative():  # drop columns without variance in the training rows (all empty)
        return VarianceThreshold(0.0).set_output(transform="pandas")

    def hgb(p, seed, monotone=False):
        cst = {n_rate: 1} if monotone else None
        return make_pipeline(informative(), HistGradientBoostingRegressor(
            max_iter=200, random_state=seed, monotonic_cst=cst, **p))

    def gnn(p: dict, seed: int, **ensemble) -> FieldKGFGNN:
        """FieldKGFGNN from one flat candidate: the probe length to the ensemble, the rest
        to its trainer."""
        p = dict(p)
        probe = {"probe_epochs": p.pop("probe_epochs")} if "probe_epochs" in p else {}
        return FieldKGFGNN(random_state=seed, n_members=protocol.n_members,
                           fine_tune_epochs=protocol.fine_tune_epochs, **probe, **ensemble,
                           trainer=field_trainer(epochs=protocol.gnn_epochs,
                                                 device=protocol.device, **p))

    out = [
        Family("ridge", ridge, space("ridge", MEASURED)),
        Family("loglinear", lambda p, seed: LogLinearDoseResponse()),
        Family("mixed_model",
               lambda p, seed: MixedInterceptRegressor(columns=mixed_fixed[p["fixed"]]),
               space("mixed_model", MEASURED) | {"fixed": list(mixed_fixed)},
               uses_groups=True),
        Family("hist_gradient_boosting", hgb, space("hist_gradient_boosting", MEASURED)),
        Family("monotone_hist_gradient_boosting", lambda p, s: hgb(p, s, True),
               space("monotone_hist_gradient_boosting", MEASURED)),
        Family("random_forest", lambda p, seed: make_pipeline(informative(),
                                                              RandomForestRegressor(
            n_estimators=300, n_jobs=1, random_state=seed, **p)),
            space("random_forest", MEASURED)),
        Family("tabm", lambda p, seed: TabMRegressor(n_epochs=protocol.tabm_epochs,
                                                     random_state=seed,
                                                     device=protocol.device, **p),
               space("tabm", MEASURED), uses_groups=True),
        Family("kg_fgnn", lambda p, seed: gnn(p, seed, nodes=gnn_nodes),
               space("kg_fgnn", MEASURED), uses_groups=True),
        Family("calibrated_twin", lambda p, seed: CalibratedTwin()),
    ]
    if pretrained is not None:
        out.append(Family("pretrained_kg_fgnn", lambda p, seed: gnn(
            p, seed, pretrained=pretrained),
            space("pretrained_kg_fgnn", MEASURED), uses_groups=True))
        out.append(Family("simulation_kg_fgnn",
                          lambda p, seed: SimulationOnlyKGFGNN(pretrained=pretrained)))
    return {f.name: f for f in out}


def shared_approaches(offset: str) -> dict[str, Approach]:
    """The approaches every measured data set has, declared once: real-only models on the
    recorded columns (``design``; KG-FGNN on ``gnn``), the same models given the process
    model's prediction ``offset`` as a feature (``hybrid``) or learning its residual, a
    monotone N response and KG-FGNN pretrained on the simulation."""
    real = ("ridge", "mixed_model", "hist_gradient_boosting", "random_forest", "tabm")
    return {
        **{f"real_only:{f}": Approach("design", f) for f in real},
        "real_only:kg_fgnn": Approach("gnn", "kg_fgnn"),
        **{f"hybrid:{f}": Approach("hybrid", f)
           for f in ("ridge", "hist_gradient_boosting", "random_forest")},
        **{f"residual:{f}": Approach("hybrid", f, offset)
           for f in ("mixed_model", "hist_gradient_boosting")},
        "monotone:hist_gradient_boosting": Approach("design", "monotone_hist_gradient_boosting"),
        "pretrained:kg_fgnn": Approach("gnn", "pretrained_kg_fgnn"),
    }


# approach -> inputs ("design", "hybrid" = design + twin, "gnn"), family, and the twin column
# the family learns the residual of ("" for none)
TWIN = "twin_log_n2o_window"
APPROACHES: dict[str, Approach] = {
    **shared_approaches(TWIN),
    "real_only:loglinear": Approach("design", "loglinear"),
    "simulation_only:raw": Approach("hybrid", RAW, TWIN),
    "simulation_only:calibrated": Approach("hybrid", "calibrated_twin"),
    "residual:ridge": Approach("hybrid", "ridge", TWIN),
    "prior:mixed_model": Approach("hybrid", "mixed_model", "twin_log_response"),
}
# approaches followed along the learning curve (all approaches at "all" training studies)
CURVE_APPROACHES = ("real_only:loglinear", "real_only:mixed_model",
                    "real_only:hist_gradient_boosting", "real_only:kg_fgnn",
                    "simulation_only:calibrated", "hybrid:hist_gradient_boosting",
                    "residual:mixed_model", "pretrained:kg_fgnn")


def protocol_inputs(frame: pd.DataFrame, twin: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """The three input tables, row-aligned with ``frame``."""
    out = {"design": design_matrix(frame), "gnn": gnn_design(frame)}
    if twin is not None:
        out["hybrid"] = design_matrix(frame, twin)
    return out


def knowledge_setup(seasonal: pd.DataFrame, columns: list[str], protocol: FieldProtocol,
                    seed: int) -> dict:
    """KG-FGNN pretrained on simulated windows (``n_pretrain`` seeds), once per run."""
    from kgfgnn.fielddata.knowledge_gnn import pretrain

    return pretrain(seasonal, columns, protocol.max_pretrain, protocol.n_pretrain,
                    protocol.gnn_epochs, seed)


def splits(frame: pd.DataFrame, protocol: FieldProtocol, seed: int):
    """(split, seed, fold, train, test) of every unit: grouped k-fold by study per seed;
    leave-climate-out (one fold per climate group) for the first ``climate_seeds`` seeds (its
    folds are fixed; seeds change only the models' draws)."""
    groups = frame[GROUP].astype(str).to_numpy()
    climate = frame["Climate"].map(CLIMATE_GROUPS).to_numpy()
    for s, run_seed in enumerate(repetition_seeds(seed, protocol.n_seeds)):
        yield from grouped_folds(groups, protocol.n_folds, run_seed)
        if s < protocol.climate_seeds:
            for k, name in enumerate(sorted(set(climate))):
                yield ("leave_climate_out", run_seed, k, np.flatnonzero(climate != name),
                       np.flatnonzero(climate == name))


def dose_study(frame: pd.DataFrame, twin: pd.DataFrame | None, protocol: FieldProtocol,
               seed: int, pretrained: dict | None = None, knowledge_key: str = ""
               ) -> FieldStudy:
    """The dose-response studies as a :class:`~kgfgnn.experiment.study.FieldStudy`;
    ``knowledge_key``: a digest of what ``pretrained`` was made from (for the runner's
    cache)."""
    return FieldStudy(
        name="dose_response", unit="study",
        y=frame[LOG_TARGET].to_numpy(dtype=float),
        groups=frame[GROUP].astype(str).to_numpy(),
        inputs=protocol_inputs(frame, twin), approaches=APPROACHES,
        curve_approaches=CURVE_APPROACHES, curve_groups=tuple(protocol.curve_groups),
        registry=partial(families, protocol), search_iter=protocol.search_iter,
        splits=list(splits(frame, protocol, seed)), knowledge=pretrained,
        knowledge_key=knowledge_key)


__all__ = ["APPROACHES", "CURVE_APPROACHES", "FieldProtocol",
           "shared_approaches",
           "TWIN_DESIGN", "choose", "dose_study", "families", "fit_approach",
           "knowledge_setup", "protocol_inputs", "splits"]
