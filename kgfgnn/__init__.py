"""kgfgnn: knowledge-guided graph neural networks for soil GHG flux prediction."""

__version__ = "0.1.0"

TARGETS: tuple[str, ...] = ("n2o", "co2", "ch4")
"""The three greenhouse-gas targets, in the order every model head and table uses."""
