"""One adapter per data set of the study, each one class that says where everything about
that data set lives: its schema, loading, inputs and tasks, approaches, knowledge from the
simulation, outer splits, the run on the one engine (:mod:`kgfgnn.experiment`), the
deployed bundle and ``predict``.

- :class:`~kgfgnn.datasets.simulated.Simulated`: the DSSAT crop years of 47 countries
  (chapter 4);
- :class:`~kgfgnn.datasets.carey.Carey`: the Carey (2007) compilation (chapter 5);
- :class:`~kgfgnn.datasets.dose_response.DoseResponse`: the KenSyn N2O dose-response studies
  (chapter 7).

:func:`adapter` gives the measured data set a model bundle's ``kind`` belongs to (what
``predict`` uses). Importing this package imports neither torch nor the simulation.
"""

from __future__ import annotations

from kgfgnn.bundles import KINDS


def adapter(name: str):
    """The measured data set's adapter by name (``"carey"``, ``"dose_response"``) or by a
    bundle's ``kind`` (:data:`kgfgnn.bundles.KINDS`)."""
    name = KINDS.get(name, name)
    if name == "carey":
        from kgfgnn.datasets.carey import Carey

        return Carey()
    if name == "dose_response":
        from kgfgnn.datasets.dose_response import DoseResponse

        return DoseResponse()
    raise ValueError(f"data set {name!r}: allowed values are {sorted(set(KINDS.values()))} "
                     f"or a bundle kind {sorted(KINDS)}")


__all__ = ["adapter"]
