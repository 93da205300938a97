"""Declared papermill parameters of every notebook, with their allowed ranges.

The runner checks a profile against these specs before it starts any notebook, and each
notebook checks its own parameters in its first cell, so a direct ``papermill -p`` call with a
bad value fails with the same clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Param:
    """One parameter: its type, numeric range or allowed choices, and a one-line meaning."""

    kind: type
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None
    item_kind: type | None = None  # element type when kind is list
    nonempty: bool = False  # a list that must name at least one item

    def check(self, notebook: str, name: str, value: Any) -> Any:
        """Return ``value`` (coerced int→float where needed) or raise ValueError."""
        where = f"parameter {name!r} of notebook {notebook!r}"
        if self.kind is list:
            if not isinstance(value, list | tuple):
                raise ValueError(f"{where} = {value!r}: must be a list ({self.help})")
            if self.nonempty and not value:
                raise ValueError(f"{where} = []: must name at least one item ({self.help})")
            item = Param(self.item_kind or str, self.help, self.low, self.high, self.choices)
            return [item.check(notebook, f"{name}[{i}]", v) for i, v in enumerate(value)]
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if self.kind is bool and not isinstance(value, bool):
            raise ValueError(f"{where} = {value!r}: must be true or false")
        if not isinstance(value, self.kind) or (self.kind is int and isinstance(value, bool)):
            raise ValueError(
                f"{where} = {value!r}: must be of type {self.kind.__name__} ({self.help})"
            )
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{where} = {value!r}: allowed values are {list(self.choices)}")
        if self.low is not None and value < self.low:
            raise ValueError(f"{where} = {value!r}: must be >= {self.low} ({self.help})")
        if self.high is not None and value > self.high:
            raise ValueError(f"{where} = {value!r}: must be <= {self.high} ({self.help})")
        return value


_COMMON = {
    "artefact_dir": Param(str, "folder where this profile's artefacts are read and written"),
    "seed": Param(int, "seed threaded to every random step", 0, 2**31 - 1),
}
_LAYERS = ("rgcn", "gcn", "sage", "gat", "gin")
_DEVICE = Param(str, "torch device of KG-FGNN and TabM; auto = CUDA when present",
                choices=("auto", "cpu", "cuda"))

NOTEBOOK_PARAMS: dict[str, dict[str, Param]] = {
    "01_simulation": {
        **_COMMON,
        "n_countries": Param(int, "number of countries simulated", 1, 47),
        "countries": Param(list, "ISO2 codes to simulate; empty list = automatic choice",
                           item_kind=str),
        "sites_per_country": Param(int, "station x soil sites per country", 1, 10),
        "crops_per_site": Param(int, "main crops simulated per site", 1, 4),
        "blocks_per_crop": Param(int, "fertiliser-management blocks per site, crop and year",
                                 1, 50),
        "n_rates": Param(list, "N rates of each block's ladder, kg N/ha", 0, 400, item_kind=int),
        "years": Param(int, "stochastic weather years per site", 1, 30),
        "daily_window_days": Param(int, "days kept in the daily table after each application",
                                   1, 180),
        "workers": Param(int, "local worker processes; 0 = one per core", 0, 256),
        "scheduler": Param(str, "Dask scheduler address; empty = local processes"),
        "ghg_method": Param(str, "DSSAT-CSM denitrification/N2O method of the study's data",
                            choices=("daycent", "ceres")),
        "compare_methods": Param(bool, "also run the design with the other GHG method and "
                                       "show both"),
    },
    "02_features": {
        **_COMMON,
        "latent_dim": Param(int, "autoencoder bottleneck width", 1, 64),
        "hidden": Param(int, "autoencoder hidden width", 4, 1024),
        "epochs": Param(int, "maximum training epochs", 1, 5000),
        "patience": Param(int, "early-stopping patience, epochs", 1, 500),
        "top_k": Param(int, "number of features the selector keeps", 2, 100),
        "n_repeats": Param(int, "permutations per feature for the significance score", 1, 50),
    },
    "03_graphs": {
        **_COMMON,
        "corr_threshold": Param(float, "|Spearman rho| above which a data edge is drawn", 0, 1),
        "sensitivity_cases": Param(int, "base simulations perturbed in the sensitivity check",
                                   1, 200),
        "workers": Param(int, "local worker processes; 0 = one per core", 0, 256),
    },
    "04_benchmark": {
        **_COMMON,
        "tasks": Param(list, "simulated-data tasks: plan (drivers only, the primary task), "
                             "sensor (drivers + measured soil and crop states)",
                       choices=("plan", "sensor"), item_kind=str, nonempty=True),
        "n_seeds": Param(int, "repetitions with different seeds", 1, 20),
        "n_folds": Param(int, "folds of each cross-validation", 2, 20),
        "layer": Param(str, "message-passing layer of KG-FGNN", choices=_LAYERS),
        "epochs": Param(int, "GNN epoch cap of the refit (the search's last rung gets "
                             "epochs // halving_factor)", 9, 5000),
        "patience": Param(int, "GNN early-stopping patience", 1, 500),
        "n_candidates": Param(int, "candidates every family draws inside each training fold",
                              1, 200),
        "halving_factor": Param(int, "successive halving: 1/factor of the candidates go on "
                                     "with factor x the resource", 2, 10),
        "halving_rungs": Param(int, "successive-halving rungs", 1, 6),
        "tabm_epochs": Param(int, "TabM epoch cap of the refit", 9, 5000),
        "ablation_seeds": Param(int, "seeds whose folds also fit KG-FGNN's ablations", 0, 20),
        "max_samples": Param(int, "cap on simulated rows used (0 = all)", 0, 10**7),
        "workers": Param(int, "parallel fits (local processes); 0 = one per core", 0, 256),
        "scheduler": Param(str, "Dask scheduler address; empty = local processes"),
        "cache": Param(str, "folder keeping each finished unit so a rerun resumes; empty = "
                            "none"),
        "device": _DEVICE,
    },
    "05_realworld": {
        **_COMMON,
        "n_seeds": Param(int, "repetitions with different seeds", 1, 20),
        "n_folds": Param(int, "folds grouped by site", 2, 20),
        "search_iter": Param(int, "random-search candidates per model", 1, 100),
        "curve_sites": Param(list, "training-site counts of the learning curve", 2, 1000,
                             item_kind=int),
        "gnn_epochs": Param(int, "KG-FGNN epochs from scratch and in pretraining", 1, 5000),
        "fine_tune_epochs": Param(int, "KG-FGNN fine-tuning epochs on the sites", 1, 5000),
        "n_members": Param(int, "seed-ensemble members of every KG-FGNN", 1, 50),
        "n_pretrain": Param(int, "pretraining seeds of the pretrained KG-FGNN", 1, 20),
        "tabm_epochs": Param(int, "TabM's maximum epochs (early-stopped on held-out sites)",
                             1, 5000),
        "max_pretrain": Param(int, "simulated seasons per pretraining seed", 10, 100000),
        "workers": Param(int, "local worker processes for the folds; 0 = one per core", 0,
                         256),
        "scheduler": Param(str, "Dask scheduler address; empty = local processes"),
        "cache": Param(str, "folder keeping each finished fold so a rerun resumes; empty = "
                            "none"),
        "device": _DEVICE,
    },
    "07_dose_response": {
        **_COMMON,
        "max_studies": Param(int, "studies used, a seeded random subset (0 = all 159)", 0,
                             10000),
        "n_stations": Param(int, "matching weather stations (years) per digital twin", 1, 10),
        "n_folds": Param(int, "folds grouped by study", 2, 20),
        "n_seeds": Param(int, "repetitions with different seeds", 1, 20),
        "search_iter": Param(int, "random-search candidates per model", 1, 100),
        "curve_studies": Param(list, "training-study counts of the learning curve", 2, 1000,
                               item_kind=int),
        "gnn_epochs": Param(int, "KG-FGNN epochs from scratch and in pretraining", 1, 5000),
        "fine_tune_epochs": Param(int, "KG-FGNN fine-tuning epochs on the studies", 1, 5000),
        "n_members": Param(int, "seed-ensemble members of every KG-FGNN", 1, 50),
        "n_pretrain": Param(int, "pretraining seeds of the pretrained KG-FGNN", 1, 20),
        "tabm_epochs": Param(int, "TabM's maximum epochs (early-stopped on held-out studies)",
                             1, 5000),
        "max_pretrain": Param(int, "simulated windows per pretraining seed", 10, 100000),
        "climate_seeds": Param(int, "seeds of the leave-climate-out split (0 = not run)", 0,
                               20),
        "workers": Param(int, "local worker processes for the twins and the folds; 0 = one "
                              "per core", 0, 256),
        "scheduler": Param(str, "Dask scheduler address; empty = local processes"),
        "cache": Param(str, "folder keeping each finished fold so a rerun resumes; empty = "
                            "none"),
        "device": _DEVICE,
    },
    "06_reproducibility": {**_COMMON},
}


def validate_parameters(notebook: str, values: dict[str, Any]) -> dict[str, Any]:
    """Check a notebook's parameters; return them validated. Unknown names are errors."""
    if notebook not in NOTEBOOK_PARAMS:
        raise ValueError(f"unknown notebook {notebook!r}: known are {sorted(NOTEBOOK_PARAMS)}")
    spec = NOTEBOOK_PARAMS[notebook]
    unknown = sorted(set(values) - set(spec))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for notebook {notebook!r}: allowed are {sorted(spec)}"
        )
    return {name: spec[name].check(notebook, name, v) for name, v in values.items()}


def notebook_parameters(notebook: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Collect and validate a notebook's parameters from its namespace (``globals()``);
    a Dask ``scheduler`` address must answer (checked before any work starts)."""
    spec = NOTEBOOK_PARAMS[notebook]
    missing = [name for name in spec if name not in namespace]
    if missing:
        raise ValueError(f"notebook {notebook!r} does not define parameter(s) {missing}")
    values = validate_parameters(notebook, {name: namespace[name] for name in spec})
    if values.get("scheduler"):
        check_scheduler(notebook, values["scheduler"])
    return values


def check_scheduler(notebook: str, address: str, timeout_s: float = 5.0) -> None:
    """Raise a one-line ValueError when no Dask scheduler answers at ``address``."""
    from distributed import Client

    try:
        with Client(address, timeout=timeout_s):
            pass
    except (OSError, TimeoutError, ValueError) as err:
        raise ValueError(
            f"parameter 'scheduler' of notebook {notebook!r} = {address!r}: no Dask scheduler "
            f"answers there within {timeout_s:g} s ({type(err).__name__}); give a reachable "
            "address such as tcp://host:8786, or an empty string for local processes"
        ) from None
