"""KG-FGNN: one relational message-passing branch per target graph, fused across targets.

For a sample with standardised variable values ``x_i`` (one node per variable):

.. math::
    h_i^{(0)} = \\mathrm{MLP}(x_i s_i + e_i), \\qquad
    h_i^{(l+1)} = \\mathrm{LN}\\Big(h_i^{(l)} + \\sigma\\big(W_0 h_i^{(l)} +
        \\sum_{r} \\mathrm{Conv}_r(h^{(l)}, \\mathcal{E}_{t,r})_i\\big)\\Big)

with a learned scale ``s_i`` and embedding ``e_i`` per variable (so each variable gets its
own encoding of its value), one convolution per edge type ``r`` (knowledge, data) of target
``t``'s graph, and a PyG layer chosen by ``layer`` (default ``"sage"``). ``"rgcn"`` is one
relational graph convolution per layer (R-GCN with mean aggregation per edge type,
:mod:`kgfgnn.rgcn`): the same family of functions as ``"sage"`` (whose root terms add up to
one linear map) with fewer weights; on the quick data it fitted slightly worse (5 random
folds: RMSE +5 to +12 %), so it is an option, not the default.

Each branch is read out by mean and max pooling plus, with ``readout="concat"``, the node
states in the graph's fixed node order (all graphs share their nodes, so this order is well
defined); a multi-head attention over the target readouts lets the targets share
information before one regression head per target.

Every sample has the same graph per target, so message passing runs by default as dense
batched tensor operations over node-major activations (nodes, batch, hidden) with the
target's fixed adjacency per edge type (PyG's ``DenseSAGEConv``/``DenseGCNConv``/
``DenseGATConv``/``DenseGINConv``, or :class:`~kgfgnn.rgcn.DenseRGCNConv`), instead of over a
disjoint union of per-sample graphs (``message_passing="sparse"``, PyG's ``RGCNConv``/
``SAGEConv``/...). Both give the same outputs for the same weights (tested). For ``"sage"``
the dense block evaluates the layers' own weights as one relational convolution: the root
term and every type's ``lin_root`` act on the same node state, so their weights are summed
first, and the neighbour means of all edge types come from one sparse product with the
stacked, mean-normalised adjacency (same parameters and gradients, about 1.5x faster).
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import (
    DenseGATConv,
    DenseGCNConv,
    DenseGINConv,
    DenseSAGEConv,
    GATConv,
    GCNConv,
    GINConv,
    RGCNConv,
    SAGEConv,
)
from torch_geometric.nn.pool import global_max_pool, global_mean_pool

from kgfgnn.rgcn import DenseRGCNConv, relational_mean_conv

LAYERS = ("rgcn", "gcn", "sage", "gat", "gin")
READOUTS = ("pool", "concat")
MESSAGE_PASSING = ("dense", "sparse")


class ByteMaskDropout(nn.Dropout):
    """Dropout whose mask comes from random bytes: one 64-bit draw gives the keep/drop
    decision of eight activations (a byte each, dropped when below ``round(256 p)``), so
    the rate is ``p`` rounded to a multiple of 1/256 (0.1 -> 0.1016) and kept activations are
    scaled by ``1 / (1 - rate)``. PyTorch's ``bernoulli_`` draws one number per activation,
    which made dropout the largest single cost of a CPU training step. Same expectation and
    parameters as :class:`torch.nn.Dropout` (a subclass: ``p`` can be set as on it); a
    different random stream."""

    @property
    def threshold(self) -> int:
        """An activation whose byte is below it is dropped: ``round(256 p)``."""
        return int(round(256 * self.p))

    @staticmethod
    def random_bytes(n: int, device: torch.device | None = None) -> torch.Tensor:
        """The ``n`` random bytes of one training pass (one 64-bit draw per eight)."""
        draws = torch.randint(-2 ** 63, 2 ** 63 - 1, ((n + 7) // 8,), dtype=torch.int64,
                              device=device)
        return draws.view(torch.uint8)[:n]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        threshold = self.threshold
        if threshold >= 256:
            return torch.zeros_like(x)
        keep = self.random_bytes(x.numel(), x.device).view(x.shape) >= threshold
        return x * keep * (256.0 / (256 - threshold))


def make_conv(layer: str, hidden: int, dense: bool = False) -> nn.Module:
    """A PyG message-passing layer of the requested type (hidden -> hidden), sparse
    (edge_index) or dense (adjacency matrix)."""
    if layer == "gcn":
        return DenseGCNConv(hidden, hidden) if dense else GCNConv(hidden, hidden)
    if layer == "sage":
        return DenseSAGEConv(hidden, hidden) if dense else SAGEConv(hidden, hidden)
    if layer == "gat":
        return (DenseGATConv(hidden, hidden // 4, heads=4) if dense
                else GATConv(hidden, hidden // 4, heads=4))
    if layer == "gin":
        mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, hidden))
        return DenseGINConv(mlp) if dense else GINConv(mlp)
    raise ValueError(f"layer={layer!r}: allowed values are {list(LAYERS)}")


def dense_adjacency(edge_index: torch.Tensor, n_nodes: int) -> torch.Tensor:
    """(n_nodes, n_nodes) matrix with A[target, source] = number of edges source -> target
    (PyG's ``edge_index`` convention: row 0 sources, row 1 targets)."""
    adj = torch.zeros(n_nodes, n_nodes)
    adj.index_put_((edge_index[1], edge_index[0]), torch.ones(edge_index.shape[1]),
                   accumulate=True)
    return adj


def reset_submodules(module: nn.Module) -> None:
    """Redraw the weights below ``module`` once each: a child that can reset itself does so
    for its whole subtree, any other child is descended into."""
    for child in module.children():
        if isinstance(child, nn.MultiheadAttention):  # its own reset skips out_proj's weight
            child.out_proj.reset_parameters()  # then its bias to 0, as at construction
            child._reset_parameters()
        elif hasattr(child, "reset_parameters"):
            child.reset_parameters()
        else:
            reset_submodules(child)


class RelationalBlock(nn.Module):
    """One layer of relational message passing: a convolution per edge type plus a root term
    (for ``layer="rgcn"`` one relational convolution that holds both)."""

    def __init__(self, layer: str, hidden: int, n_edge_types: int, dropout: float,
                 dense: bool = False):
        super().__init__()
        self.relational = layer == "rgcn"
        self.dense = dense
        if self.relational:
            self.conv = (DenseRGCNConv(hidden, hidden, n_edge_types) if dense
                         else RGCNConv(hidden, hidden, n_edge_types, aggr="mean"))
        else:
            self.convs = nn.ModuleList(make_conv(layer, hidden, dense)
                                       for _ in range(n_edge_types))
            self.root = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.dropout = ByteMaskDropout(dropout)

    def reset_parameters(self) -> None:
        """Draw the block's weights afresh, as at construction (the PyG convention)."""
        reset_submodules(self)

    def forward(self, h: torch.Tensor, edges) -> torch.Tensor:
        """Dense: ``h`` node-major (nodes, batch, hidden) and ``edges`` the propagation matrix
        (``rgcn``) or per edge type an adjacency matrix. Sparse: ``h`` (nodes of all samples,
        hidden) and ``edges`` = (edge_index, edge_type) (``rgcn``) or per edge type an
        ``edge_index``. None where a type has no edge."""
        if self.relational:
            out = (self.conv.forward_node_major(h, edges) if self.dense
                   else self.conv(h, *edges))
        elif self.dense and isinstance(self.convs[0], DenseSAGEConv):
            out = self._dense_sage(h, *edges)
        else:
            out = self.root(h)
            x = h.transpose(0, 1) if self.dense else h  # PyG's dense layers: (batch, nodes, .)
            for conv, edge_index in zip(self.convs, edges, strict=True):
                if edge_index is not None:
                    message = conv(x, edge_index)
                    out = out + (message.transpose(0, 1) if self.dense else message)
        return self.tail(h, out)

    def tail(self, h: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """The block's output from its input ``h`` and the convolutions' sum ``out``:
        ``LayerNorm(h + dropout(GELU(out)))``."""
        return self.norm(h + self.dropout(nn.functional.gelu(out)))

    def _dense_sage(self, h: torch.Tensor, propagation: torch.Tensor,
                    present: tuple[bool, ...]) -> torch.Tensor:
        """The SAGE block's value computed as one relational convolution: the root term plus
        each present type's ``lin_root`` are linear in ``h``, so their weights are summed
        before use (same parameters and gradients as the layer-by-layer computation, two
        large products instead of ``3R + 1`` small ones)."""
        used = [conv for conv, p in zip(self.convs, present, strict=True) if p]
        root = self.root.weight + sum(conv.lin_root.weight for conv in used)
        bias = self.root.bias + sum(conv.lin_root.bias for conv in used)
        weight = torch.stack([conv.lin_rel.weight for conv in self.convs])
        return relational_mean_conv(h, propagation, root.t(), weight.transpose(1, 2), bias)


class KGFGNN(nn.Module):
    """Knowledge-guided multi-target multi-graph GNN.

    ``topology`` maps each target to ``(edge_index, edge_type)`` over ``n_nodes`` variables.
    ``forward`` takes standardised values of shape (batch, n_nodes + n_context) and returns
    (batch, n_targets) predictions on the model's (transformed, standardised) target scale.
    ``n_context`` trailing columns are not graph nodes: descriptors of a measurement (method,
    codes, empty-cell indicators) that enter each target's readout through a linear map.
    """

    def __init__(self, n_nodes: int, topology: dict[str, tuple[torch.Tensor, torch.Tensor]],
                 layer: str = "sage", hidden: int = 32, n_layers: int = 2,
                 dropout: float = 0.1, n_edge_types: int = 2, fusion: bool = True,
                 readout: str = "pool", message_passing: str = "dense", n_context: int = 0,
                 aux_nodes: dict[int, tuple[str, ...]] | None = None):
        super().__init__()
        if layer not in LAYERS:
            raise ValueError(f"layer={layer!r}: allowed values are {list(LAYERS)}")
        if readout not in READOUTS:
            raise ValueError(f"readout={readout!r}: allowed values are {list(READOUTS)}")
        if message_passing not in MESSAGE_PASSING:
            raise ValueError(f"message_passing={message_passing!r}: allowed values are "
                             f"{list(MESSAGE_PASSING)}")
        self.readout_kind = readout
        self.layer = layer
        self.dense = message_passing == "dense"
        self.targets = list(topology)
        self.n_nodes, self.n_edge_types, self.fusion = n_nodes, n_edge_types, fusion
        self.present: dict[str, tuple[bool, ...]] = {}  # edge types with edges, per target
        for t, (edge_index, edge_type) in topology.items():
            self.register_buffer(f"ei_{t}", edge_index.long(), persistent=False)
            self.register_buffer(f"et_{t}", edge_type.long(), persistent=False)
            adjs = [dense_adjacency(edge_index[:, edge_type == r].long(), n_nodes)
                    for r in range(n_edge_types)]
            self.present[t] = tuple(bool(adj.any()) for adj in adjs)
            for r, adj in enumerate(adjs):
                self.register_buffer(f"adj_{t}_{r}", adj if adj.any() else None,
                                     persistent=False)
            self.register_buffer(f"prop_{t}", DenseRGCNConv.propagation_matrix(
                torch.stack(adjs)), persistent=False)
        self.node_scale = nn.Embedding(n_nodes, hidden)
        self.node_embedding = nn.Embedding(n_nodes, hidden)
        self.encoder = nn.Sequential(nn.GELU(), nn.Linear(hidden, hidden))
        self.branches = nn.ModuleDict({
            t: nn.ModuleList(RelationalBlock(layer, hidden, n_edge_types, dropout, self.dense)
                             for _ in range(n_layers))
            for t in self.targets
        })
        pooled = 2 * hidden + (n_nodes * hidden if readout == "concat" else 0)
        self.readout = nn.Linear(pooled, hidden)
        self.attention = nn.MultiheadAttention(hidden, num_heads=4, batch_first=True)
        self.fusion_norm = nn.LayerNorm(hidden)
        self.heads = nn.ModuleDict({
            t: nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, 1))
            for t in self.targets
        })
        self.n_context = n_context
        if n_context:  # created only when used, so models without context are unchanged
            self.context = nn.Linear(n_context, hidden)
        # Supervised intermediate nodes: node index -> the targets on whose pathway it lies.
        # Its value is read from its state in those targets' branches (mean over them) by a
        # linear map of its own.
        aux_nodes = dict(aux_nodes or {})
        self.aux_index = list(aux_nodes)
        if aux_nodes:
            unknown = sorted({t for ts in aux_nodes.values() for t in ts} - set(self.targets))
            if unknown or any(not ts for ts in aux_nodes.values()):
                raise ValueError(f"aux_nodes: every node needs targets among {self.targets}, "
                                 f"got unknown {unknown} or none")
            if not self.dense:
                raise ValueError("aux_nodes need message_passing='dense'")
            mask = torch.tensor([[float(t in ts) for ts in aux_nodes.values()]
                                 for t in self.targets])
            self.register_buffer("aux_mask", mask / mask.sum(dim=0, keepdim=True),
                                 persistent=False)
            self.aux_weight = nn.Parameter(torch.empty(len(aux_nodes), hidden))
            self.aux_bias = nn.Parameter(torch.zeros(len(aux_nodes)))
            nn.init.xavier_uniform_(self.aux_weight)


    def set_dropout(self, p: float) -> None:
        """Set the dropout probability of every layer (a fitted network fine-tuned with
        another dropout takes it here, without reaching into its modules)."""
        if not 0 <= p < 1:
            raise ValueError(f"dropout={p}: must be in [0, 1)")
        for module in self.modules():
            if isinstance(module, nn.Dropout):
                module.p = p

    def reset_parameters(self) -> None:
        """Draw every learnable weight afresh, as at construction (the PyG convention)."""
        reset_submodules(self)
        if self.aux_index:
            nn.init.xavier_uniform_(self.aux_weight)
            nn.init.zeros_(self.aux_bias)

    def _batched_edges(self, target: str, batch_size: int):
        """Disjoint union of ``batch_size`` copies of a target graph: (edge_index, edge_type)
        for ``rgcn``, else one ``edge_index`` per edge type."""
        edge_index, edge_type = getattr(self, f"ei_{target}"), getattr(self, f"et_{target}")
        offsets = torch.arange(batch_size, device=edge_index.device) * self.n_nodes
        if self.layer == "rgcn":
            return ((edge_index.unsqueeze(1) + offsets.view(1, -1, 1)).reshape(2, -1),
                    edge_type.repeat(batch_size))
        out = []
        for r in range(self.n_edge_types):
            sub = edge_index[:, edge_type == r]
            if sub.shape[1] == 0:
                out.append(None)
                continue
            out.append((sub.unsqueeze(1) + offsets.view(1, -1, 1)).reshape(2, -1))
        return out

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        """(batch, n_targets) predictions."""
        return self.forward_with_aux(values)[0]

    def forward_with_aux(self, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The targets (batch, n_targets) and the supervised intermediate nodes' values
        (batch, n_aux), or None without ``aux_nodes``."""
        context = None
        if self.n_context:
            values, context = values[:, :self.n_nodes], values[:, self.n_nodes:]
        states: list[torch.Tensor] | None = [] if self.aux_index else None
        z = (self._dense_readouts(values, states) if self.dense
             else self._sparse_readouts(values))
        if context is not None:
            z = z + self.context(context).unsqueeze(1)
        if self.fusion and len(self.targets) > 1:
            z = self.fusion_norm(z + self._fusion_attention(z))
        out = torch.cat([self.heads[t](z[:, k]) for k, t in enumerate(self.targets)], dim=1)
        if not self.aux_index:
            return out, None
        # (targets, aux, batch, hidden) node states -> (targets, aux, batch) -> (batch, aux)
        picked = torch.stack(states)[:, self.aux_index]
        per_branch = torch.einsum("tabh,ah->tab", picked, self.aux_weight)
        aux = torch.einsum("tab,ta->ba", per_branch, self.aux_mask) + self.aux_bias
        return out, aux

    def _fusion_attention(self, z: torch.Tensor) -> torch.Tensor:
        """``self.attention(z, z, z)`` (no mask, no dropout) with the module's own weights,
        as explicit products: for a handful of target tokens they cost a fraction of the
        fused attention kernel's set-up (same values up to float rounding; tested)."""
        mha = self.attention
        batch, tokens, width = z.shape
        heads = mha.num_heads
        qkv = nn.functional.linear(z, mha.in_proj_weight, mha.in_proj_bias)
        q, k, v = qkv.view(batch, tokens, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
        weights = torch.softmax(q @ k.transpose(-1, -2) * (width // heads) ** -0.5, dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(batch, tokens, width)
        return mha.out_proj(out)

    def _dense_readouts(self, values: torch.Tensor,
                        states: list[torch.Tensor] | None = None) -> torch.Tensor:
        """(batch, targets, hidden) target readouts; message passing on node-major
        activations (nodes, batch, hidden). ``states`` collects each branch's final node
        states when given."""
        batch_size = values.shape[0]
        h0 = self.encoder(values.t().unsqueeze(-1) * self.node_scale.weight.unsqueeze(1)
                          + self.node_embedding.weight.unsqueeze(1))
        readouts = []
        for t in self.targets:
            h = h0
            if self.layer == "rgcn":
                edges = getattr(self, f"prop_{t}")
            elif self.layer == "sage":
                edges = (getattr(self, f"prop_{t}"), self.present[t])
            else:
                edges = [getattr(self, f"adj_{t}_{r}") for r in range(self.n_edge_types)]
            for block in self.branches[t]:
                h = block(h, edges)
            if states is not None:
                states.append(h)
            parts = [h.mean(dim=0), h.amax(dim=0)]
            if self.readout_kind == "concat":
                parts.append(h.transpose(0, 1).reshape(batch_size, -1))
            readouts.append(self.readout(torch.cat(parts, dim=1)))
        return torch.stack(readouts, dim=1)

    def _sparse_readouts(self, values: torch.Tensor) -> torch.Tensor:
        """The same with PyG's sparse layers over a disjoint union of per-sample graphs."""
        batch_size = values.shape[0]
        node_ids = torch.arange(self.n_nodes, device=values.device).repeat(batch_size)
        h0 = self.encoder(values.reshape(-1, 1) * self.node_scale(node_ids)
                          + self.node_embedding(node_ids))
        batch = torch.arange(batch_size, device=values.device).repeat_interleave(self.n_nodes)
        readouts = []
        for t in self.targets:
            h, edges = h0, self._batched_edges(t, batch_size)
            for block in self.branches[t]:
                h = block(h, edges)
            parts = [global_mean_pool(h, batch), global_max_pool(h, batch)]
            if self.readout_kind == "concat":
                parts.append(h.reshape(batch_size, -1))
            pooled = torch.cat(parts, dim=1)
            readouts.append(self.readout(pooled))
        return torch.stack(readouts, dim=1)  # (batch, targets, hidden)
