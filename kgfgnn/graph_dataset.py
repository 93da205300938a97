"""The graphs as a PyTorch Geometric dataset (PyG's ``InMemoryDataset`` convention): one
:class:`~torch_geometric.data.Data` per sample, built once and cached. Apart from
:mod:`kgfgnn.graphs` so that reading a graph specification does not import PyG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from kgfgnn.atomic import atomic_path
from kgfgnn.graphs import GraphSpec


class GHGGraphDataset(InMemoryDataset):
    """PyG dataset of per-sample multi-graphs, built once and cached under ``root``.

    Each :class:`~torch_geometric.data.Data` has ``x`` (nodes x 1, standardised values),
    ``node_id`` (nodes), ``y`` (1 x targets) and, per target ``t``, ``edge_index_t`` and
    ``edge_type_t``. PyG's batching offsets every ``edge_index_*`` attribute.
    """

    def __init__(self, root: str | Path, values: np.ndarray | None = None,
                 y: np.ndarray | None = None, spec: GraphSpec | None = None):
        self._values, self._y, self._spec = values, y, spec
        super().__init__(str(root), log=False)  # PyG's "Processing... Done!" goes to stderr
        self.load(self.processed_paths[0])

    @property
    def raw_file_names(self) -> list[str]:
        return []

    @property
    def processed_file_names(self) -> list[str]:
        return ["ghg_graphs.pt"]

    def download(self) -> None:  # nothing to download: data come from the simulation
        return None

    def process(self) -> None:
        if self._values is None or self._spec is None:
            raise ValueError("GHGGraphDataset: no cache under root; pass values, y and spec "
                             "to build it")
        n_nodes = len(self._spec.nodes)
        if self._values.shape[1] != n_nodes:
            raise ValueError(f"values have {self._values.shape[1]} columns for {n_nodes} nodes")
        topo = {t: self._spec.edge_index(t) for t in self._spec.edges}
        node_id = torch.arange(n_nodes)
        items = []
        for i, row in enumerate(np.asarray(self._values, dtype=np.float32)):
            attrs = {f"edge_index_{t}": ei for t, (ei, _) in topo.items()}
            attrs |= {f"edge_type_{t}": et for t, (_, et) in topo.items()}
            y = None if self._y is None else torch.tensor(self._y[i:i + 1], dtype=torch.float32)
            items.append(Data(x=torch.from_numpy(row).unsqueeze(1), node_id=node_id, y=y,
                              num_nodes=n_nodes, **attrs))
        with atomic_path(self.processed_paths[0]) as tmp:
            self.save(items, str(tmp))
