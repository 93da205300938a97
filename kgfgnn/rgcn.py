"""Dense relational graph convolution for a graph that every sample shares.

R-GCN (Schlichtkrull et al. 2018, "Modeling Relational Data with Graph Convolutional
Networks", ESWC; doi:10.1007/978-3-319-93417-4_38) with mean aggregation per relation:

.. math::
    h_i' = h_i \\Theta_{root} + \\sum_r \\frac{1}{|N_r(i)|} \\sum_{j \\in N_r(i)} h_j \\Theta_r + b

PyG has this layer for sparse graphs (``torch_geometric.nn.RGCNConv(aggr="mean")``) but no
dense version. Here the graph is fixed per target, so the aggregation over all relations is
one sparse-dense matrix product of the stacked mean-normalised adjacency
``[D_1^-1 A_1; ...; D_R^-1 A_R]`` (a constant, built once) with node-major activations of
shape (nodes, batch * features), followed by one batched product with the relation weights:
a handful of large operations per layer instead of a disjoint union of per-sample graphs.
Parameter names and shapes are PyG's, so weights move between the two (and a test checks
that both give the same outputs).
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn.inits import glorot, zeros


class DenseRGCNConv(nn.Module):
    """Dense counterpart of ``RGCNConv(in_channels, out_channels, num_relations, aggr="mean")``.

    ``weight`` (relations, in, out), ``root`` (in, out) and ``bias`` (out) as in PyG.
    """

    def __init__(self, in_channels: int, out_channels: int, num_relations: int,
                 bias: bool = True):
        super().__init__()
        if num_relations < 1:
            raise ValueError(f"num_relations={num_relations}: must be >= 1")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.num_relations = num_relations
        self.weight = nn.Parameter(torch.empty(num_relations, in_channels, out_channels))
        self.root = nn.Parameter(torch.empty(in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        glorot(self.weight)
        glorot(self.root)
        zeros(self.bias)

    @staticmethod
    def propagation_matrix(adj: torch.Tensor) -> torch.Tensor:
        """Sparse ``[D_1^-1 A_1; ...; D_R^-1 A_R]`` of shape (R N, N) from ``adj`` (R, N, N)
        with ``adj[r, target, source]`` = number of edges of relation ``r``; ``D_r`` its
        in-degrees (at least 1: a node without neighbours of a relation receives nothing)."""
        if adj.dim() != 3 or adj.shape[1] != adj.shape[2]:
            raise ValueError(f"adj must have shape (relations, nodes, nodes), got "
                             f"{tuple(adj.shape)}")
        mean = adj / adj.sum(dim=-1, keepdim=True).clamp(min=1)
        return mean.reshape(-1, adj.shape[2]).to_sparse().coalesce()

    def forward_node_major(self, x: torch.Tensor, propagation: torch.Tensor) -> torch.Tensor:
        """``x`` (nodes, batch, in) and a :meth:`propagation_matrix` -> (nodes, batch, out)."""
        return relational_mean_conv(x, propagation, self.root, self.weight, self.bias)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        """PyG's dense convention: ``x`` (batch, nodes, in), ``adj`` (relations, nodes, nodes)
        shared by the batch -> (batch, nodes, out)."""
        out = self.forward_node_major(x.transpose(0, 1), self.propagation_matrix(adj))
        return out.transpose(0, 1)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"num_relations={self.num_relations})")


def relational_mean_conv(x: torch.Tensor, propagation: torch.Tensor, root: torch.Tensor,
                         weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``x Θ_root + Σ_r mean_r(x) Θ_r + b`` on node-major ``x`` (nodes, batch, in), with a
    :meth:`DenseRGCNConv.propagation_matrix`, ``root`` (in, out), ``weight`` (R, in, out)."""
    n, b, f = x.shape
    flat = x.reshape(n, b * f)
    neighbours = torch.sparse.mm(propagation, flat).view(weight.shape[0], n * b, f)
    out = flat.view(n * b, f) @ root + torch.bmm(neighbours, weight).sum(dim=0)
    if bias is not None:
        out = out + bias
    return out.view(n, b, weight.shape[2])
