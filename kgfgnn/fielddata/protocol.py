"""The real-data protocol of the dose-response studies: every approach on one design, one
search budget and folds that never split a study.

Target: ln N2O-N over the measurement window (``log_N2O``, kg N2O-N/ha over ``duree_expe``
days). Approaches (:data:`APPROACHES`): real-only models on the recorded columns
(:mod:`kgfgnn.fielddata.design`), the digital twin alone (raw, or calibrated inside the folds),
and knowledge's other ways in: the twin as features (hybrid), residual learning on the twin,
a monotone N response, KG-FGNN pretrained on simulated windows. Each tuned family gets the
same ``search_iter`` candidates of :func:`kgfgnn.search.random_search`, scored on held-out
training *studies*. Designs: grouped k-fold by study (``grouped``), leave climate groups out
(``leave_climate_out``: train on two of the three climate groups, test on the third), and a
learning curve of training studies inside the grouped folds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.stats import loguniform, randint, uniform
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from kgfgnn.evaluate import metrics
from kgfgnn.fielddata.design import (
    CATEGORICAL,
    LN_WINDOW,
    TWIN_DESIGN,
    design_matrix,
)
from kgfgnn.fielddata.dose_response import GROUP
from kgfgnn.fielddata.estimators import (
    CalibratedTwin,
    LogLinearDoseResponse,
    MixedInterceptRegressor,
    TwinResidualRegressor,
)
from kgfgnn.fielddata.knowledge_gnn import FieldKGFGNN, gnn_design, pretrain
from kgfgnn.search import Family, random_search
from kgfgnn.tabm import TabMRegressor
from kgfgnn.threads import single_threaded

LOG_TARGET = "log_N2O"
# Climate classes in three groups by the mean annual temperature of the rows that record it
# (data/README.md; the classes are undocumented): cool (Clim1 7.9, Clim8 4.3 degC), warm
# temperate (Clim2 11.3, Clim3 ~16, Clim4 18.0) and tropical (Clim5 25.7, Clim6 24.9, Clim7).
CLIMATE_GROUPS = {"Clim1": "cool", "Clim8": "cool", "Clim2": "warm_temperate",
                  "Clim3": "warm_temperate", "Clim4": "warm_temperate", "Clim5": "tropical",
                  "Clim6": "tropical", "Clim7": "tropical"}
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
class DoseProtocol:
    n_folds: int = 5
    n_seeds: int = 3
    search_iter: int = 5
    curve_studies: tuple[int, ...] = (10, 20, 40)
    gnn_epochs: int = 150  # KG-FGNN from scratch and pretraining
    fine_tune_epochs: int = 100
    n_members: int = 5  # seed ensemble of every KG-FGNN
    n_pretrain: int = 3  # pretraining seeds (members fine-tuned in turn)
    max_pretrain: int = 3000  # simulated windows per pretraining seed
    tabm_epochs: int = 200
    climate_seeds: int = 1  # seeds of the leave-climate-out design (0 = not run)


def families(protocol: DoseProtocol, pretrained: dict | None = None) -> dict[str, Family]:
    """The registry: every family and its search space, declared once."""
    def ridge(p, seed):
        return make_pipeline(informative(), SimpleImputer(strategy="median"),
                             StandardScaler(), Ridge(**p))

    def informative():  # drop columns without variance in the training rows (all empty)
        return VarianceThreshold(0.0).set_output(transform="pandas")

    def hgb(p, seed, monotone=False):
        cst = {"N_rate": 1} if monotone else None
        return make_pipeline(informative(), HistGradientBoostingRegressor(
            max_iter=200, random_state=seed, monotonic_cst=cst, **p))

    trees = {"learning_rate": loguniform(0.02, 0.2), "max_leaf_nodes": randint(8, 48),
             "min_samples_leaf": randint(5, 40), "l2_regularization": loguniform(1e-3, 10)}
    neural = {"lr": loguniform(1e-3, 1e-2), "dropout": uniform(0.0, 0.3),
              "weight_decay": loguniform(1e-5, 1e-2)}
    gnn = dict(epochs=protocol.gnn_epochs, n_members=protocol.n_members,
               fine_tune_epochs=protocol.fine_tune_epochs)
    out = [
        Family("ridge", ridge, {"alpha": loguniform(1e-2, 1e3)}),
        Family("loglinear", lambda p, seed: LogLinearDoseResponse()),
        Family("mixed_model", lambda p, seed: MixedInterceptRegressor(MIXED_FIXED[p["fixed"]]),
               {"fixed": list(MIXED_FIXED)}, uses_groups=True),
        Family("hist_gradient_boosting", hgb, trees),
        Family("monotone_hist_gradient_boosting", lambda p, s: hgb(p, s, True), trees),
        Family("random_forest", lambda p, seed: make_pipeline(informative(),
                                                              RandomForestRegressor(
            n_estimators=300, n_jobs=1, random_state=seed, **p)),
            {"max_features": uniform(0.2, 0.6), "min_samples_leaf": randint(1, 10)}),
        Family("tabm", lambda p, seed: TabMRegressor(n_epochs=protocol.tabm_epochs,
                                                     random_state=seed, **p),
               neural | {"d_block": [64, 128, 256]}, uses_groups=True),
        Family("kg_fgnn", lambda p, seed: FieldKGFGNN(random_state=seed, **gnn, **p),
               neural | {"hidden": [16, 32, 64], "n_layers": [1, 2]}, uses_groups=True),
        Family("calibrated_twin", lambda p, seed: CalibratedTwin()),
    ]
    if pretrained is not None:
        out.append(Family("pretrained_kg_fgnn", lambda p, seed: FieldKGFGNN(
            random_state=seed, pretrained=pretrained, **gnn, **p),
            neural | {"probe_epochs": [0, 20]}, uses_groups=True))
    return {f.name: f for f in out}


def residual_family(base: Family, column: str = "twin_log_n2o_window") -> Family:
    """``base`` learning ln measured - ``column``: residual learning on the twin's ln N2O, or
    (``twin_log_response``) on the twin's N response, an offset that carries the process
    model's response to N as a prior on each study's slope."""
    return Family(f"residual_{base.name}", lambda p, seed: TwinResidualRegressor(
        base.build(p, seed), twin_column=column, uses_groups=base.uses_groups), base.space,
        uses_groups=True)


# approach -> (inputs: "design", "hybrid" = design + twin, "gnn"; family; the twin column
# the family learns the residual of, or "" for none)
TWIN = "twin_log_n2o_window"
APPROACHES: dict[str, tuple[str, str, str]] = {
    "real_only:loglinear": ("design", "loglinear", ""),
    "real_only:ridge": ("design", "ridge", ""),
    "real_only:mixed_model": ("design", "mixed_model", ""),
    "real_only:hist_gradient_boosting": ("design", "hist_gradient_boosting", ""),
    "real_only:random_forest": ("design", "random_forest", ""),
    "real_only:tabm": ("design", "tabm", ""),
    "real_only:kg_fgnn": ("gnn", "kg_fgnn", ""),
    "simulation_only:raw": ("hybrid", "raw_twin", ""),
    "simulation_only:calibrated": ("hybrid", "calibrated_twin", ""),
    "hybrid:ridge": ("hybrid", "ridge", ""),
    "hybrid:hist_gradient_boosting": ("hybrid", "hist_gradient_boosting", ""),
    "hybrid:random_forest": ("hybrid", "random_forest", ""),
    "residual:ridge": ("hybrid", "ridge", TWIN),
    "residual:mixed_model": ("hybrid", "mixed_model", TWIN),
    "residual:hist_gradient_boosting": ("hybrid", "hist_gradient_boosting", TWIN),
    "prior:mixed_model": ("hybrid", "mixed_model", "twin_log_response"),
    "monotone:hist_gradient_boosting": ("design", "monotone_hist_gradient_boosting", ""),
    "pretrained:kg_fgnn": ("gnn", "pretrained_kg_fgnn", ""),
}
KNOWLEDGE_KINDS = ("simulation_only", "hybrid", "residual", "prior", "monotone", "pretrained")
# approaches followed along the learning curve (all approaches at "all" training studies)
CURVE_APPROACHES = ("real_only:loglinear", "real_only:mixed_model",
                    "real_only:hist_gradient_boosting", "real_only:kg_fgnn",
                    "simulation_only:calibrated", "hybrid:hist_gradient_boosting",
                    "residual:mixed_model", "pretrained:kg_fgnn")


class RawTwin:
    """The twin's ln window N2O as the prediction (nothing fitted)."""

    def fit(self, X, y, groups=None):
        return self

    def predict(self, X):
        return X["twin_log_n2o_window"].to_numpy(float)


def fit_approach(name: str, inputs: dict[str, pd.DataFrame], y: np.ndarray,
                 groups: np.ndarray, rows: np.ndarray, seed: int, n_iter: int,
                 registry: dict[str, Family]):
    """Search and fit one approach on ``rows``; returns the fitted model and its params."""
    kind, family_name, residual = APPROACHES[name]
    X = inputs[kind].iloc[rows]
    if family_name == "raw_twin":
        return RawTwin(), {}
    family = registry[family_name]
    if residual:
        family = residual_family(family, residual)
    model, params, _ = random_search(family, X, y[rows], groups[rows], seed, n_iter)
    return model, params


def protocol_inputs(frame: pd.DataFrame, twin: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """The three input tables, row-aligned with ``frame``."""
    out = {"design": design_matrix(frame), "gnn": gnn_design(frame)}
    if twin is not None:
        out["hybrid"] = design_matrix(frame, twin)
    return out


def available(approach: str, inputs: dict, registry: dict) -> bool:
    kind, family, _ = APPROACHES[approach]
    return kind in inputs and (family == "raw_twin" or family in registry)


def knowledge_setup(seasonal: pd.DataFrame, columns: list[str], protocol: DoseProtocol,
                    seed: int) -> dict:
    """KG-FGNN pretrained on simulated windows (``n_pretrain`` seeds), once per run."""
    return pretrain(seasonal, columns, protocol.max_pretrain, protocol.n_pretrain,
                    protocol.gnn_epochs, seed)


def _unit(parts: dict, protocol: DoseProtocol, design: str, run_seed: int, k: int,
          train: np.ndarray, test: np.ndarray) -> tuple[list[dict], list[pd.DataFrame]]:
    """Every approach (and learning-curve point) of one (design, seed, fold)."""
    with single_threaded():
        registry = families(protocol, parts["pretrained"])
        y, groups = parts["y"], parts["groups"]
        studies = np.unique(groups[train])
        sizes = [len(studies)]
        if design == "grouped":
            sizes = [n for n in protocol.curve_studies if n < len(studies)] + sizes
        rng = np.random.default_rng([run_seed, k, len(design)])
        rows, preds = [], []
        for n_studies in sizes:
            full = n_studies == len(studies)
            chosen = studies if full else rng.choice(studies, n_studies, replace=False)
            sub = train[np.isin(groups[train], chosen)]
            for name in parts["approaches"]:
                if not full and name not in CURVE_APPROACHES:
                    continue
                model, _ = fit_approach(name, parts["inputs"], y, groups, sub, run_seed,
                                        protocol.search_iter, registry)
                kind = APPROACHES[name][0]
                pred = np.asarray(model.predict(parts["inputs"][kind].iloc[test])).ravel()
                rows.append({"design": design, "seed": run_seed, "fold": k, "model": name,
                             "train_studies": n_studies,
                             "curve_point": "all" if full else str(n_studies),
                             "n_train": len(sub), "n_test": len(test),
                             **metrics(y[test], pred)})
                if full:
                    preds.append(pd.DataFrame({"design": design, "seed": run_seed, "fold": k,
                                               "model": name, "row": test, "y": y[test],
                                               "pred": pred}))
        return rows, preds


def splits(frame: pd.DataFrame, protocol: DoseProtocol, seed: int):
    """(design, seed, fold, train, test) of every unit: grouped k-fold by study per seed;
    leave-climate-out (one fold per climate group) for the first ``climate_seeds`` seeds (its
    folds are fixed; seeds change only the models' draws)."""
    groups = frame[GROUP].astype(str).to_numpy()
    climate = frame["Climate"].map(CLIMATE_GROUPS).to_numpy()
    for s in range(protocol.n_seeds):
        run_seed = seed + s
        splitter = GroupKFold(protocol.n_folds, shuffle=True, random_state=run_seed)
        for k, (train, test) in enumerate(splitter.split(frame, groups=groups)):
            yield "grouped", run_seed, k, train, test
        if s < protocol.climate_seeds:
            for k, name in enumerate(sorted(set(climate))):
                yield ("leave_climate_out", run_seed, k, np.flatnonzero(climate != name),
                       np.flatnonzero(climate == name))


def run_protocol(frame: pd.DataFrame, twin: pd.DataFrame | None, protocol: DoseProtocol,
                 seed: int, seasonal: pd.DataFrame | None = None, workers: int = 1,
                 approaches: tuple[str, ...] | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict | None]:
    """Metrics per (design, seed, fold, approach, training studies) on ln N2O, out-of-fold
    predictions, and the pretrained knowledge (None without ``seasonal``).

    The units run on ``workers`` processes (0 = one per core); every fit is seeded and the
    tables are sorted, so the result does not depend on the number of workers."""
    y = frame[LOG_TARGET].to_numpy(dtype=float)
    groups = frame[GROUP].astype(str).to_numpy()
    inputs = protocol_inputs(frame, twin)
    pretrained = (knowledge_setup(seasonal, list(inputs["gnn"].columns), protocol, seed)
                  if seasonal is not None else None)
    registry = families(protocol, pretrained)
    names = [a for a in (approaches or APPROACHES) if available(a, inputs, registry)]
    parts = {"y": y, "groups": groups, "inputs": inputs, "approaches": names,
             "pretrained": pretrained}
    jobs = [delayed(_unit)(parts, protocol, *unit) for unit in splits(frame, protocol, seed)]
    done = Parallel(n_jobs=workers or -1, backend="loky")(jobs)
    order = ["design", "seed", "fold", "model", "train_studies"]
    rows = pd.DataFrame([r for unit_rows, _ in done for r in unit_rows])
    preds = pd.concat([p for _, unit_preds in done for p in unit_preds], ignore_index=True)
    return (rows.sort_values(order, ignore_index=True),
            preds.sort_values(["design", "seed", "fold", "model", "row"], ignore_index=True),
            pretrained)


def choose(results: pd.DataFrame) -> str:
    """The approach with the lowest mean RMSE on grouped CV over every approach (all training
    studies): the one ``predict`` deploys."""
    grouped = results[(results.design == "grouped") & (results.curve_point == "all")]
    return str(grouped.groupby("model").rmse.mean().idxmin())


__all__ = ["APPROACHES", "CURVE_APPROACHES", "DoseProtocol", "KNOWLEDGE_KINDS", "TWIN_DESIGN",
           "choose", "families", "fit_approach", "protocol_inputs", "run_protocol"]
