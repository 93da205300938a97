import pytest
import torch
from torch_geometric.nn import RGCNConv

from kgfgnn.models import dense_adjacency
from kgfgnn.rgcn import DenseRGCNConv


def _graph(n_nodes: int, n_edges: int, n_relations: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, n_nodes, (2, n_edges), generator=gen)
    edge_type = torch.randint(0, n_relations, (n_edges,), generator=gen)
    adj = torch.stack([dense_adjacency(edge_index[:, edge_type == r], n_nodes)
                       for r in range(n_relations)])
    return edge_index, edge_type, adj


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dense_rgcn_equals_pyg_rgcn_for_the_same_weights(seed):
    n_nodes, batch, relations = 9, 5, 3
    edge_index, edge_type, adj = _graph(n_nodes, 20, relations, seed)  # duplicates possible
    torch.manual_seed(seed)
    sparse = RGCNConv(6, 4, relations, aggr="mean")
    dense = DenseRGCNConv(6, 4, relations)
    dense.load_state_dict(sparse.state_dict())
    x = torch.randn(batch, n_nodes, 6, requires_grad=True)
    expected = torch.stack([sparse(x[b], edge_index, edge_type) for b in range(batch)])
    out = dense(x, adj)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    # gradients agree too (the dense path trains the same model)
    grad_dense = torch.autograd.grad(out.square().sum(), [x, dense.weight])
    grad_sparse = torch.autograd.grad(expected.square().sum(), [x, sparse.weight])
    for a, b in zip(grad_dense, grad_sparse, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_node_without_neighbours_keeps_only_its_root_term():
    adj = torch.zeros(2, 3, 3)
    adj[0, 1, 0] = 1.0  # one edge 0 -> 1 of relation 0
    conv = DenseRGCNConv(2, 2, 2)
    x = torch.randn(1, 3, 2)
    out = conv(x, adj)
    torch.testing.assert_close(out[0, 2], x[0, 2] @ conv.root + conv.bias)
    torch.testing.assert_close(out[0, 1], x[0, 1] @ conv.root + x[0, 0] @ conv.weight[0]
                               + conv.bias)


def test_bad_input():
    with pytest.raises(ValueError, match="num_relations=0"):
        DenseRGCNConv(2, 2, 0)
    with pytest.raises(ValueError, match="adj must have shape"):
        DenseRGCNConv.propagation_matrix(torch.zeros(3, 3))
