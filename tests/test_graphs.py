import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.loader import DataLoader

from kgfgnn.graph_dataset import GHGGraphDataset
from kgfgnn.graphs import DATA_TYPE, KNOWLEDGE_TYPE, GraphSpec, build_multigraph
from kgfgnn.knowledge import KNOWLEDGE_EDGES, contracted_edges, knowledge_graph
from kgfgnn.variables import CANDIDATES


def test_contraction_through_latent_and_unselected_nodes():
    g = nx.DiGraph([("n_rate", "nh4"), ("nh4", "nitrification"), ("nitrification", "no3"),
                    ("no3", "denit"), ("denit", "n2o"), ("nitrification", "n2o"),
                    ("temp", "co2")])
    assert contracted_edges(g, ["n_rate", "no3", "temp"], "n2o") == [("n_rate", "no3")]
    assert contracted_edges(g, ["n_rate", "nh4", "no3"], "n2o") == [("n_rate", "nh4"),
                                                                   ("nh4", "no3")]


def test_knowledge_list_is_complete_and_cited():
    graph = knowledge_graph()
    assert all(d["source"] for *_, d in graph.edges(data=True))
    assert {"n_rate_kg_ha", "n_urea_frac", "wfps_mean_0_15"} <= nx.ancestors(graph, "n2o")
    assert {"soil_temp_mean_0_15_c", "residue_kg_ha"} <= nx.ancestors(graph, "co2")
    assert "flooded" in nx.ancestors(graph, "ch4")
    # feedbacks (e.g. NO3 -> inorganic N -> nitrification -> NO3) are allowed; contraction
    # over a cycle terminates and never yields self-loops
    edges = contracted_edges(graph, list(CANDIDATES), "n2o")
    assert edges and all(u != v for u, v in edges)


def test_knowledge_variable_missing_from_data_is_named():
    edges = (*KNOWLEDGE_EDGES, ("soil_magic_index", "nitrification", "made-up"))
    with pytest.raises(ValueError, match=r"\['soil_magic_index'\]"):
        knowledge_graph(edges, observed=CANDIDATES)


def _toy(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, len(CANDIDATES))), columns=list(CANDIDATES))
    X["no3_mean_0_15_ppm"] = X["n_rate_kg_ha"] + 0.1 * rng.normal(size=n)
    Y = pd.DataFrame({"n2o": np.exp(X["no3_mean_0_15_ppm"]),
                      "co2": np.exp(X["soil_temp_mean_0_15_c"]),
                      "ch4": np.exp(X["flooded"])})
    return X, Y


def test_multigraph_edges_per_target():
    X, Y = _toy()
    nodes = ["n_rate_kg_ha", "no3_mean_0_15_ppm", "wfps_mean_0_15", "soil_temp_mean_0_15_c",
             "flooded", "soil_oc_pct"]
    spec = build_multigraph(X, Y, nodes, corr_threshold=0.5)
    n2o = spec.edges["n2o"]
    assert ("n_rate_kg_ha", "no3_mean_0_15_ppm", KNOWLEDGE_TYPE) in n2o
    assert ("n_rate_kg_ha", "no3_mean_0_15_ppm", DATA_TYPE) in n2o
    assert ("no3_mean_0_15_ppm", "n_rate_kg_ha", DATA_TYPE) in n2o
    assert spec.counts().loc["n2o", "knowledge"] >= 1
    assert spec.restricted(shared=True).edges["co2"] == spec.restricted(shared=True).edges["n2o"]
    assert all(k == KNOWLEDGE_TYPE for *_, k in spec.restricted((KNOWLEDGE_TYPE,)).edges["n2o"])


def test_empty_graph_is_an_error():
    X, Y = _toy()
    with pytest.raises(ValueError, match="graph for target 'n2o' has no edges"):
        build_multigraph(X, Y, ["lat_abs_deg", "splits"], corr_threshold=0.99,
                         use_knowledge=False)


def test_spec_roundtrip_and_pyg_dataset(tmp_path):
    X, Y = _toy()
    nodes = ["n_rate_kg_ha", "no3_mean_0_15_ppm", "soil_temp_mean_0_15_c", "flooded"]
    spec = build_multigraph(X, Y, nodes, corr_threshold=0.5)
    spec.save(tmp_path / "spec.json")
    again = GraphSpec.load(tmp_path / "spec.json")
    assert again.edges == spec.edges and again.nodes == spec.nodes
    ds = GHGGraphDataset(tmp_path / "pyg", values=X[nodes].to_numpy(), y=Y.to_numpy(), spec=spec)
    assert len(ds) == len(X)
    for i in (0, 5):  # each sample's node features are its row of X, in node order
        np.testing.assert_allclose(ds[i].x.squeeze(1).numpy(), X[nodes].iloc[i].to_numpy(),
                                   rtol=1e-6)
        np.testing.assert_allclose(ds[i].y.numpy()[0], Y.iloc[i].to_numpy(), rtol=1e-6)
    assert torch.equal(ds[5].node_id, torch.arange(len(nodes)))
    cached = GHGGraphDataset(tmp_path / "pyg")  # built once, then read from the cache
    assert torch.equal(cached[5].x, ds[5].x)
    batch = next(iter(DataLoader(ds, batch_size=4)))
    ei = batch.edge_index_n2o
    assert ei.max() < 4 * len(nodes)
    assert ei.shape[1] == 4 * spec.edge_index("n2o")[0].shape[1]


FERTILISER_DRIVERS = ("n_rate_kg_ha", "n_urea_frac", "n_nh4_frac", "n_no3_frac",
                      "n_organic_frac")


def test_plan_graph_keeps_the_fertiliser_pathway_to_n2o():
    """Every fertiliser driver reaches N2O through NH4 or NO3 and through nitrification or
    denitrification along the N2O graph's knowledge edges; the states and processes on the
    way are latent nodes (the plan task has drivers only)."""
    from kgfgnn.variables import DRIVERS

    X, Y = _toy()
    spec = build_multigraph(X, Y, list(DRIVERS), corr_threshold=0.5, pathway=True)
    assert set(spec.observed) == set(DRIVERS)
    assert {"nh4_mean_0_15_ppm", "no3_mean_0_15_ppm", "nitrification",
            "denitrification"} <= set(spec.latent)
    graph = nx.DiGraph([(u, v) for u, v, k in spec.edges["n2o"] if k == KNOWLEDGE_TYPE])
    emitting = {"nitrification", "denitrification"}
    assert all(knowledge_graph().has_edge(p, "n2o") for p in emitting)
    pools = {"nh4_mean_0_15_ppm", "no3_mean_0_15_ppm"}
    for driver in FERTILISER_DRIVERS:
        reached = nx.descendants(graph, driver)
        assert reached & pools, driver
        for pool in reached & pools:  # ... and from the pool on to an emitting process
            assert nx.descendants(graph, pool) & emitting, (driver, pool)
        # no shortcut: the pathway runs through a pool, never driver -> process directly
        assert not graph.has_edge(driver, "nitrification")
        assert not graph.has_edge(driver, "denitrification")
    # contracted (the seed paper's graph over the drivers): no latent node, and N2O's
    # knowledge edges among drivers only
    contracted = build_multigraph(X, Y, list(DRIVERS), corr_threshold=0.5)
    assert contracted.latent == [] and set(contracted.nodes) == set(DRIVERS)


def test_pathway_nodes_lie_between_the_observed_and_the_target():
    from kgfgnn.knowledge import pathway_nodes

    nodes = pathway_nodes("n2o", ["n_rate_kg_ha"])
    assert "nitrification" in nodes and "nh4_mean_0_15_ppm" in nodes
    assert "n_rate_kg_ha" not in nodes
    assert "methanogenesis" not in nodes  # not on N2O's pathway
    assert pathway_nodes("ch4", ["flooded"]) == sorted(pathway_nodes("ch4", ["flooded"]))
    with pytest.raises(ValueError, match="target 'nox'"):
        pathway_nodes("nox", ["n_rate_kg_ha"])


def test_graph_spec_round_trip_keeps_the_latent_nodes(tmp_path):
    from kgfgnn.variables import DRIVERS

    X, Y = _toy()
    spec = build_multigraph(X, Y, list(DRIVERS), corr_threshold=0.5, pathway=True)
    spec.save(tmp_path / "spec.json")
    again = GraphSpec.load(tmp_path / "spec.json")
    assert again.latent == spec.latent and again.edges == spec.edges
    assert again.pathway_targets("nitrification") == ("n2o",)


def test_every_knowledge_source_is_labelled_and_in_the_bibliography():
    from pathlib import Path

    from kgfgnn.knowledge import FIELD_KNOWLEDGE_EDGES, SOURCE_LABELS

    bib = (Path(__file__).resolve().parents[1] / "book" / "references.bib").read_text()
    for key in {s for *_, s in KNOWLEDGE_EDGES + FIELD_KNOWLEDGE_EDGES}:
        assert key in SOURCE_LABELS, key
        assert "{" + key + "," in bib, f"{key} missing from book/references.bib"
