"""Knowledge-guided, multi-target multi-graph: one graph per GHG target over the same nodes.

Every sample is a graph whose nodes are the selected variables; a node's feature is that
sample's standardised value (the model adds a learned embedding per variable). Edges come in
two types, kept apart: ``0`` knowledge (the contracted DSSAT process edges on the target's
pathway) and ``1`` data (|Spearman rho| above a threshold between two variables that are
both associated with the target at |rho| >= ``target_min_corr``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import torch

from kgfgnn.atomic import write_json
from kgfgnn.knowledge import KNOWLEDGE_EDGES, contracted_edges, knowledge_graph, pathway_nodes

KNOWLEDGE_TYPE, DATA_TYPE = 0, 1
EDGE_TYPES = ("knowledge", "data")


@dataclass
class GraphSpec:
    """Nodes shared by all targets and, per target, typed directed edges (by node name)."""

    nodes: list[str]
    edges: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    latent: list[str] = field(default_factory=list)
    """Nodes without an observed value (process rates, unmeasured states): their input is
    zero and the network knows them by their embedding and their neighbours."""

    @property
    def observed(self) -> list[str]:
        """The nodes whose values are inputs, in node order."""
        hidden = set(self.latent)
        return [n for n in self.nodes if n not in hidden]

    def pathway_targets(self, node: str) -> tuple[str, ...]:
        """The targets whose graph has a knowledge edge at ``node`` (all targets if none)."""
        on = tuple(t for t, rows in self.edges.items()
                   if any(k == KNOWLEDGE_TYPE and node in (u, v) for u, v, k in rows))
        return on or tuple(self.edges)

    def edge_index(self, target: str) -> tuple[torch.Tensor, torch.Tensor]:
        """``edge_index`` (2 x E, long) and ``edge_type`` (E,) of one target's graph."""
        import torch  # here, so that reading and drawing a graph do not import torch
        pos = {n: i for i, n in enumerate(self.nodes)}
        rows = self.edges[target]
        if not rows:
            return torch.zeros((2, 0), dtype=torch.long), torch.zeros(0, dtype=torch.long)
        src = [pos[u] for u, _, _ in rows]
        dst = [pos[v] for _, v, _ in rows]
        return (torch.tensor([src, dst], dtype=torch.long),
                torch.tensor([t for _, _, t in rows], dtype=torch.long))

    def counts(self) -> pd.DataFrame:
        """Edge counts per target and edge type."""
        return pd.DataFrame({
            t: {name: sum(1 for *_, k in rows if k == code)
                for code, name in enumerate(EDGE_TYPES)}
            for t, rows in self.edges.items()
        }).T.rename_axis("target")

    def adjacency(self, target: str, edge_type: int | None = None) -> pd.DataFrame:
        """Dense adjacency (rows: source, columns: destination)."""
        adj = pd.DataFrame(0, index=self.nodes, columns=self.nodes)
        for u, v, k in self.edges[target]:
            if edge_type is None or k == edge_type:
                adj.loc[u, v] = 1
        return adj

    def restricted(self, edge_types: tuple[int, ...] | None = None,
                   shared: bool = False) -> GraphSpec:
        """A copy keeping only some edge types, or one union graph shared by all targets."""
        keep = set(edge_types) if edge_types is not None else {KNOWLEDGE_TYPE, DATA_TYPE}
        edges = {t: [e for e in rows if e[2] in keep] for t, rows in self.edges.items()}
        if shared:
            union = sorted({e for rows in edges.values() for e in rows})
            edges = {t: list(union) for t in edges}
        return GraphSpec(list(self.nodes), edges, list(self.latent))

    def save(self, path: str | Path) -> None:
        write_json({"nodes": self.nodes, "edges": self.edges, "latent": self.latent}, path)

    @classmethod
    def load(cls, path: str | Path) -> GraphSpec:
        raw = json.loads(Path(path).read_text())
        return cls(raw["nodes"], {t: [tuple(e) for e in rows] for t, rows in raw["edges"].items()},
                   list(raw.get("latent", [])))


def data_edges(features: pd.DataFrame, target: pd.Series, threshold: float,
               target_min_corr: float = 0.1) -> list[tuple[str, str, int]]:
    """Undirected correlation edges (both directions) among target-associated variables."""
    if not 0 <= threshold <= 1:
        raise ValueError(f"corr_threshold={threshold}: must be between 0 and 1")
    ranks = features.rank()
    rho = ranks.corr().fillna(0.0)
    rho_t = ranks.corrwith(target.rank()).fillna(0.0)
    relevant = [c for c in features.columns if abs(rho_t[c]) >= target_min_corr]
    out = []
    for i, u in enumerate(relevant):
        for v in relevant[i + 1:]:
            if abs(rho.loc[u, v]) > threshold:
                out += [(u, v, DATA_TYPE), (v, u, DATA_TYPE)]
    return out


def build_multigraph(features: pd.DataFrame, targets: pd.DataFrame, nodes: list[str],
                     corr_threshold: float = 0.3, target_min_corr: float = 0.1,
                     knowledge=KNOWLEDGE_EDGES, use_knowledge: bool = True,
                     use_data: bool = True, universe: list[str] | None = None,
                     allow_empty: bool = False, pathway: bool = False) -> GraphSpec:
    """One graph per target over ``nodes`` (an empty graph for a target is an error unless
    ``allow_empty``: the model then reads that target from its nodes without messages).

    Every variable the knowledge list names must be a column of ``features`` (or of
    ``universe``, the variable space the knowledge list is checked against when some of its
    variables are deliberately held as latent zero-valued columns).

    ``pathway=True`` (with knowledge edges) keeps the process pathway whole: every soil or
    crop state and process on a knowledge path from a node to a target's flux is added as a
    latent node
    (``GraphSpec.latent``), so fertiliser -> NH4/NO3 -> nitrification/denitrification -> N2O
    stays in the graph; only variables that are neither nodes nor on such a path are
    contracted. Without it, paths through variables that are not nodes are contracted onto
    the nodes (the graph of the seed paper's selected variables).
    """
    missing = [n for n in nodes if n not in features.columns]
    if missing:
        raise ValueError(f"nodes {missing} are not columns of the feature table")
    observed = list(universe or features.columns)
    graph = knowledge_graph(knowledge, observed=observed)
    latent: list[str] = []
    if pathway and use_knowledge:
        added = {n for t in targets.columns
                 for n in pathway_nodes(t, nodes, knowledge, observed,
                                        intermediates_only=True)}
        latent = sorted(added - set(nodes))
    all_nodes = [*nodes, *latent]
    spec = GraphSpec(all_nodes, latent=latent)
    for t in targets.columns:
        rows: list[tuple[str, str, int]] = []
        if use_knowledge:
            rows += [(u, v, KNOWLEDGE_TYPE) for u, v in contracted_edges(graph, all_nodes, t)]
        if use_data:
            rows += data_edges(features[nodes], targets[t], corr_threshold, target_min_corr)
        if not rows and not allow_empty:
            raise ValueError(
                f"the graph for target {t!r} has no edges (knowledge={use_knowledge}, "
                f"data={use_data}, corr_threshold={corr_threshold}): lower the threshold or "
                "select more features"
            )
        spec.edges[t] = sorted(set(rows))
    return spec
