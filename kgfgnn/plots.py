"""The book's figures, one function per figure (matplotlib/seaborn; each returns the Figure)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns

from kgfgnn.graphs import DATA_TYPE, KNOWLEDGE_TYPE, GraphSpec
from kgfgnn.knowledge import LATENT, knowledge_graph
from kgfgnn.simulate.validation import IPCC_2019_EF1_PCT as IPCC_EF

PALETTE = "colorblind"  # every figure: a colour-blind-safe qualitative palette


def _with_palette(figure: Callable) -> Callable:
    """Draw ``figure`` under :data:`PALETTE` without changing the caller's palette."""
    @functools.wraps(figure)
    def drawn(*args, **kwargs):
        with sns.color_palette(PALETTE):
            return figure(*args, **kwargs)
    return drawn


@_with_palette
def site_map(sites: pd.DataFrame, outlines: list[np.ndarray] | None = None):
    """Simulated sites by latitude and longitude, coloured by climate zone, over country
    outlines (Natural Earth) when given."""
    from matplotlib.collections import LineCollection

    fig, ax = plt.subplots(figsize=(9, 4.5))
    if outlines:
        ax.add_collection(LineCollection(outlines, colors="#888888", linewidths=0.4, zorder=0))
    sns.scatterplot(data=sites, x="lon_deg", y="lat_deg", hue="zone", s=35, ax=ax)
    ax.set(xlim=(-180, 180), ylim=(-60, 80), xlabel="longitude (deg)", ylabel="latitude (deg)",
           title=f"{len(sites)} simulated sites in {sites.iso2.nunique()} countries")
    ax.axhline(0, color="grey", lw=0.5)
    ax.grid(alpha=0.3)
    return fig


@_with_palette
def flux_by_country(seasonal: pd.DataFrame, column: str, label: str):
    """Distribution of one seasonal flux per country (log axis)."""
    order = seasonal.groupby("iso2")[column].median().sort_values().index
    # one row per country, so that the country codes stay legible at the book's width
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.17 * len(order)))
    data = seasonal.assign(value=seasonal[column].clip(lower=1e-4))
    sns.boxplot(data=data, y="iso2", x="value", order=order, ax=ax, fliersize=1.5, color="C0",
                orient="h")
    ax.set(xscale="log", ylabel="country (ISO code)", xlabel=label)
    ax.tick_params(axis="y", labelsize=8)
    return fig


@_with_palette
def n_response(seasonal: pd.DataFrame):
    """Mean annual N2O-N against N rate, per crop (±1 standard error)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(data=seasonal, x="n_rate_kg_ha", y="n2o_kg_n_ha_yr", hue="crop", marker="o",
                 errorbar="se", ax=ax)
    ax.set(xlabel="N applied (kg N/ha)", ylabel="annual N2O-N (kg N/ha/yr)")
    return fig


@_with_palette
def emission_factors(ef: pd.DataFrame, field: pd.DataFrame | None = None):
    """Simulated annual EF distributions per IPCC class with the IPCC 2019 Tier 1 values,
    and (when given) the measured EFs of the field dose-response studies."""
    fig, ax = plt.subplots(figsize=(8, 4))
    classes = [c for c in ("wet climate", "dry climate", "flooded rice") if c in set(ef.ipcc_class)]
    data = ef[["ipcc_class", "ef_pct"]]
    order = list(classes)
    if field is not None:
        data = pd.concat([data, field[["ef_pct"]].assign(ipcc_class="field studies")])
        order.append("field studies")
    sns.boxplot(data=data, x="ipcc_class", y="ef_pct", order=order, ax=ax, fliersize=2,
                color="#88CCEE")
    for i, c in enumerate(classes):
        ax.plot([i - 0.4, i + 0.4], [IPCC_EF[c]] * 2, color="#CC6677", lw=2,
                label="IPCC 2019 Tier 1" if i == 0 else None)
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_yticks([0, 0.01, 0.1, 1, 10])
    ax.set_yticklabels(["0", "0.01", "0.1", "1", "10"])
    ax.set(xlabel="", ylabel="EF = (N2O-N − control) / N applied (%)")
    ax.legend()
    return fig


@_with_palette
def methane_by_water(seasonal: pd.DataFrame):
    """Seasonal CH4-C of flooded rice against upland crops."""
    fig, ax = plt.subplots(figsize=(6, 4))
    data = seasonal.assign(regime=np.where(seasonal.flooded, "flooded rice", "upland"))
    sns.stripplot(data=data, x="regime", y="ch4_kg_c_ha_yr", hue="regime", alpha=0.5, ax=ax,
                  legend=False)
    ax.set(xlabel="", ylabel="CH4-C (kg C/ha/yr)")
    return fig


@_with_palette
def respiration(seasonal: pd.DataFrame):
    """Seasonal soil CO2-C against mean soil temperature and topsoil organic C."""
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.scatterplot(data=seasonal, x="soil_temp_mean_0_15_c", y="co2_kg_c_ha_yr",
                    hue="soil_oc_pct", palette="viridis", s=12, ax=ax)
    ax.set(xlabel="mean soil temperature 0-15 cm (°C)", ylabel="CO2-C (kg C/ha/yr)")
    return fig


@_with_palette
def n_balance(seasonal: pd.DataFrame):
    """Mean seasonal N budget terms per N rate."""
    cols = {"n_rate_kg_ha": "applied", "n_mineralised_kg_ha": "net mineralisation",
            "n_uptake_kg_ha": "crop uptake", "no3_leached_kg_n_ha_yr": "NO3 leached",
            "n_gas_losses_kg_ha": "gaseous losses"}
    means = seasonal.groupby("n_rate_kg_ha")[list(cols)].mean().rename(columns=cols)
    fig, ax = plt.subplots(figsize=(7, 4))
    means.plot.bar(ax=ax)
    ax.set(xlabel="N rate (kg N/ha)", ylabel="kg N/ha/yr (crop year)")
    return fig


@_with_palette
def training_curves(history: pd.DataFrame, title: str = ""):
    """Training and validation loss per epoch."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(history.epoch, history.train_mse, label="train")
    ax.plot(history.epoch, history.val_mse, label="validation")
    ax.set(xlabel="epoch", ylabel="MSE (standardised)", yscale="log", title=title)
    ax.legend()
    return fig


@_with_palette
def ranking_bars(scores: pd.Series, selected: list[str]):
    """Autoencoder significance per variable; selected ones highlighted."""
    s = scores.sort_values()
    fig, ax = plt.subplots(figsize=(6, max(4, 0.18 * len(s))))
    ax.barh(s.index, s.values, color=["C1" if n in selected else "C0" for n in s.index])
    ax.set(xlabel="increase of validation reconstruction MSE when permuted",
           title="autoencoder significance (orange: selected)")
    ax.tick_params(axis="y", labelsize=7)
    return fig


@_with_palette
def heatmap(frame: pd.DataFrame, title: str, cmap: str = "vlag", center: float | None = 0,
            annot: bool = False):
    """A labelled heatmap."""
    fig, ax = plt.subplots(figsize=(max(5, 0.45 * frame.shape[1] + 2),
                                    max(4, 0.3 * frame.shape[0] + 1)))
    sns.heatmap(frame, cmap=cmap, center=center, annot=annot, fmt=".2f", ax=ax,
                cbar_kws={"shrink": 0.6}, annot_kws={"size": 7})
    ax.set_title(title)
    ax.tick_params(labelsize=7)
    return fig


@_with_palette
def graph_drawing(spec: GraphSpec, target: str):
    """One target's graph: knowledge edges solid, data edges dashed."""
    g = nx.DiGraph()
    g.add_nodes_from(spec.nodes)
    for u, v, k in spec.edges[target]:
        g.add_edge(u, v, kind=k)
    pos = nx.circular_layout(g)
    fig, ax = plt.subplots(figsize=(8, 8))
    nx.draw_networkx_nodes(g, pos, node_size=250, node_color="#9ecae1", ax=ax)
    nx.draw_networkx_labels(g, pos, font_size=7, ax=ax)
    for kind, style, color in ((KNOWLEDGE_TYPE, "solid", "C3"), (DATA_TYPE, "dashed", "grey")):
        edges = [(u, v) for u, v, d in g.edges(data=True) if d["kind"] == kind]
        nx.draw_networkx_edges(g, pos, edgelist=edges, style=style, edge_color=color,
                               arrows=kind == KNOWLEDGE_TYPE, arrowsize=10, ax=ax,
                               alpha=0.9 if kind == KNOWLEDGE_TYPE else 0.35)
    ax.set_title(f"{target.upper()} graph — solid arrows: knowledge (DSSAT process); "
                 "grey dashed: data")
    ax.axis("off")
    return fig


PATHWAY_LAYERS = ("driver (input)", "state (supervised)", "process (latent)", "flux (target)")


def pathway_drawing(spec: GraphSpec, target: str, supervised: tuple[str, ...] = (),
                    title: str = ""):
    """The knowledge edges of one target's graph laid out by layer, left to right: drivers
    (inputs), states and processes (the latent nodes; ``supervised`` ones marked), the
    flux. Drivers without a knowledge edge are left out."""
    g = nx.DiGraph()
    for u, v, k in spec.edges[target]:
        if k == KNOWLEDGE_TYPE:
            g.add_edge(u, v)
    knowledge = knowledge_graph()
    for node in list(g):  # the processes that produce the flux
        if knowledge.has_edge(node, target):
            g.add_edge(node, target.upper())
    latent = set(spec.latent)
    processes = set(LATENT)

    def layer(node: str) -> int:
        if node == target.upper():
            return 3
        if node in processes:
            return 2
        return 1 if node in latent else 0

    for node in g:
        g.nodes[node]["layer"] = layer(node)
    pos = nx.multipartite_layout(g, subset_key="layer", align="vertical", scale=1.0)
    fig, ax = plt.subplots(figsize=(12, max(5.0, 0.42 * max(
        sum(1 for n in g if layer(n) == k) for k in range(4)))))
    colours = sns.color_palette(PALETTE, 4)
    for k, name in enumerate(PATHWAY_LAYERS):
        members = [n for n in g if layer(n) == k]
        ax.scatter([], [], color=colours[k], label=name, s=60)
        nx.draw_networkx_nodes(g, pos, nodelist=members, node_color=[colours[k]],
                               node_size=160, ax=ax,
                               edgecolors=["black" if n in supervised else "none"
                                           for n in members])
    nx.draw_networkx_edges(g, pos, edge_color="0.45", arrows=True, arrowsize=9, width=0.8,
                           ax=ax, node_size=160)
    for node, (x, y) in pos.items():
        ha = "right" if layer(node) == 0 else "left"
        ax.annotate(node.replace("_", " "), (x, y), xytext=(-8 if ha == "right" else 8, 0),
                    textcoords="offset points", ha=ha, va="center", fontsize=9,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.8})
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.12), ncol=4, fontsize=9,
              frameon=False)
    ax.set_title(title or f"{target.upper()} process pathway (knowledge edges); black ring: "
                 "supervised by its simulated value", fontsize=11)
    ax.margins(x=0.25)
    ax.axis("off")
    return fig


@_with_palette
def parity(frame: pd.DataFrame, truth: str, pred: str, hue: str | None = None,
           title: str = "", log: bool = True, unit: str = "", observed: str = "observed"):
    """Predicted against simulated/measured values with the 1:1 line; ``unit`` labels both
    axes (symmetric-log axes when ``log``: linear near zero, logarithmic beyond)."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    sns.scatterplot(data=frame, x=truth, y=pred, hue=hue, s=10, alpha=0.6, ax=ax, legend=False)
    lo = max(min(frame[truth].min(), frame[pred].min()), 1e-3 if log else -np.inf)
    hi = max(frame[truth].max(), frame[pred].max())
    ax.plot([lo, hi], [lo, hi], color="black", lw=1)
    if log:
        ax.set(xscale="symlog", yscale="symlog")
    suffix = f" ({unit})" if unit else ""
    ax.set(title=title, xlabel=f"{observed}{suffix}", ylabel=f"predicted{suffix}")
    return fig


@_with_palette
def residuals_by_group(frame: pd.DataFrame, group: str, residual: str, title: str = ""):
    """Residual distribution per group (e.g. country)."""
    order = frame.groupby(group)[residual].median().sort_values().index
    # one row per group, so that the labels stay legible at the book's width
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.17 * len(order)))
    sns.boxplot(data=frame, y=group, x=residual, order=order, ax=ax, fliersize=1, color="C2",
                orient="h")
    ax.axvline(0, color="black", lw=0.8)
    ax.tick_params(axis="y", labelsize=8)
    ax.set(title=title, ylabel=group, xlabel="signed-log residual (predicted − simulated)")
    return fig


@_with_palette
def metric_bars(summary: pd.DataFrame, metric: str, hue: str, x: str = "model",
                title: str = ""):
    """Mean of a metric with its standard deviation as error bars."""
    fig, ax = plt.subplots(figsize=(10, 4))
    sns.barplot(data=summary, x=x, y=f"{metric}_mean", hue=hue, ax=ax)
    ax.tick_params(axis="x", rotation=45)
    ax.set(title=title, ylabel=f"{metric} (mean over seeds × folds)", xlabel="")
    return fig


@_with_palette
def learning_curve(results: pd.DataFrame, metric: str = "rmse", label: str = "",
                   unit: str = "group", approaches: tuple[str, ...] | None = None):
    """Error against the number of training groups (sites, studies), per approach: the
    grouped split of the real-data protocol (:func:`kgfgnn.experiment.study.run_study`)."""
    part = results[results.split == "grouped"] if "curve_point" in results else results
    if approaches is not None:
        part = part[part.model.isin(approaches)]
    if "curve_point" in part:  # "all" training groups differ by a group or two between
        full = part.curve_point == "all"  # folds: one point, at their mean
        part = part.assign(train_groups=part.train_groups.where(
            ~full, part[full].train_groups.mean()))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sns.lineplot(data=part, x="train_groups", y=metric, hue="model", marker="o",
                 errorbar="sd", ax=ax)
    plural = f"{unit[:-1]}ies" if unit.endswith("y") else f"{unit}s"
    ax.set(xscale="log", xlabel=f"training {plural} (band: ± 1 sd over seeds × folds)",
           ylabel=f"{metric} {label}".strip())
    points = sorted(part.train_groups.unique())
    ax.set_xticks(points, [f"{p:.0f}" for p in points])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.legend(fontsize=9)
    return fig


@_with_palette
def timings(seconds: dict[str, float]):
    """Run time per notebook."""
    s = pd.Series(seconds).sort_index()
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.barh(s.index, s.values)
    ax.set(xlabel="seconds")
    return fig


@_with_palette
def difference_intervals(diffs: pd.DataFrame, title: str = ""):
    """Relative RMSE difference of every model against the best KG-FGNN variant (%), with
    its 95 % corrected interval, one panel per split and target (right of 0: KG-FGNN better)."""
    splits, targets = sorted(diffs.split.unique()), list(dict.fromkeys(diffs.target))
    # targets in rows, protocols in columns: at most the book's column wide (7.5 in)
    fig, axes = plt.subplots(len(targets), len(splits), figsize=(
        7.5, 0.26 * diffs.model.nunique() * len(targets) + 1.5), squeeze=False, sharey=True)
    order = sorted(diffs.model.unique())
    colours = {"gnn": "#332288", "baseline": "#DDCC77"}
    for i, split in enumerate(splits):
        for j, target in enumerate(targets):
            ax = axes[j, i]
            sub = diffs[(diffs.split == split) & (diffs.target == target)].set_index("model")
            sub = sub.reindex(order)
            y = np.arange(len(order))
            low = (sub.rel_diff_pct - sub.rel_ci_low_pct).clip(lower=0)
            high = (sub.rel_ci_high_pct - sub.rel_diff_pct).clip(lower=0)
            ax.errorbar(sub.rel_diff_pct, y, xerr=[low, high], fmt="none", ecolor="grey",
                        elinewidth=1)
            ax.scatter(sub.rel_diff_pct, y, c=[colours.get(f, "grey") for f in sub.family],
                       s=18, zorder=3)
            ax.axvline(0, color="#CC6677", lw=1)
            ax.set_yticks(y, order)
            ax.set_xscale("symlog", linthresh=10)
            kg = sub.kg_fgnn.dropna().iloc[0] if sub.kg_fgnn.notna().any() else "KG-FGNN"
            ax.set(title=f"{target.upper()}, {split.replace('_', ' ')} (vs {kg})",
                   xlabel="RMSE difference vs KG-FGNN (%)" if j == len(targets) - 1 else "")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@_with_palette
def twin_against_field(paired: pd.DataFrame):
    """Emission factor of each fertilised treatment: digital twin against measurement."""
    fig, ax = plt.subplots(figsize=(5.5, 5))
    sns.scatterplot(data=paired, x="ef_pct", y="twin_ef_pct", hue="Climate", style="crop",
                    palette="colorblind", s=25, ax=ax)
    lim = [min(paired.ef_pct.min(), paired.twin_ef_pct.min(), -0.5),
           max(paired.ef_pct.quantile(0.98), paired.twin_ef_pct.quantile(0.98), 1)]
    ax.plot(lim, lim, color="grey", lw=1, ls="--", label="1:1")
    ax.set(xlim=lim, ylim=lim, xlabel="measured EF over the window (%)",
           ylabel="digital-twin EF over the window (%)")
    ax.legend(fontsize=7, ncol=2)
    return fig


@_with_palette
def response_curves(curves: pd.DataFrame, measured: pd.DataFrame, group: str):
    """Predicted N2O with its 90 % interval against N rate, beside each study's measurements."""
    studies = list(dict.fromkeys(curves[group]))
    fig, axes = plt.subplots(1, len(studies), figsize=(min(7.5, 2.6 * len(studies)), 3.2),
                             squeeze=False)  # within the book's column
    for ax, study in zip(axes[0], studies, strict=True):
        c = curves[curves[group] == study].sort_values("N_rate")
        ax.fill_between(c.N_rate, c.n2o_lower_90, c.n2o_upper_90, color="#88CCEE", alpha=0.5,
                        label="90 % interval")
        ax.plot(c.N_rate, c.predicted_n2o_kg_n_ha_window, color="#332288", label="predicted")
        m = measured[measured[group] == study]
        ax.scatter(m.N_rate, m.N2O, color="#CC6677", s=18, zorder=3, label="measured")
        days = float(c.window_days.iloc[0])
        ax.set(title=f"study {study} ({days:g} d)", xlabel="N rate (kg N/ha)", yscale="log",
               ylabel="N2O (kg N2O-N/ha over the window)" if ax is axes[0, 0] else "")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


COLUMN_PX = 756
"""Width (CSS px) of the book's content column in a 1,400-px-wide browser window (measured by
the browser test); a wider figure is scaled down to it."""
MIN_LABEL_PX = 9.0
"""The smallest text a figure may show, in CSS px at its rendered size."""


def rendered_label_px(fig, display_width_px: float, column_px: float = COLUMN_PX) -> float:
    """Height in CSS px of the figure's smallest visible text (labels, ticks, legends,
    annotations) as the book shows it: its size at the figure's resolution, scaled down when
    the figure (``display_width_px`` wide) is wider than the content column."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    sizes = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        if box.width <= 0 or not box.overlaps(fig.bbox):  # not drawn within the figure
            continue
        sizes.append(text.get_fontsize())
    if not sizes:
        return float("inf")
    scale = min(1.0, column_px / max(display_width_px, 1.0))
    return float(min(sizes) * fig.dpi / 72 * scale)


def book_figures() -> None:
    """Inline figures for the book (call once in a notebook): PNG at twice the pixel density,
    shown at their size in inches (IPython's "retina" format), so labels stay sharp when a
    browser scales the page. Each figure's output records ``min_label_px``, its smallest
    text at the rendered size (:func:`rendered_label_px`), for the book's legibility test."""
    from IPython import get_ipython
    from matplotlib.figure import Figure
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("retina")
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    draw = formatter.lookup_by_type(Figure)

    def measured(fig, *args, **kwargs):
        out = draw(fig, *args, **kwargs)
        if not isinstance(out, tuple):
            return out
        data, metadata = out
        return data, {**metadata,
                      "min_label_px": round(rendered_label_px(fig, metadata["width"]), 2)}

    formatter.for_type(Figure, measured)
