"""What the measured data sets' adapters share: their declarations module (approaches and
learning-curve approaches), read when first asked for, so that an adapter imports nothing
heavy until a chapter or ``predict`` uses it."""

from __future__ import annotations

import importlib


class MeasuredDataSet:
    """Base of :class:`~kgfgnn.datasets.carey.Carey` and
    :class:`~kgfgnn.datasets.dose_response.DoseResponse`: ``declarations`` names the module
    holding the data set's ``APPROACHES`` and ``CURVE_APPROACHES``."""

    name: str
    unit: str
    declarations: str

    @property
    def approaches(self) -> dict:
        """Approach name -> :class:`~kgfgnn.experiment.study.Approach`."""
        return importlib.import_module(self.declarations).APPROACHES

    @property
    def curve_approaches(self) -> tuple[str, ...]:
        """The approaches followed along the learning curve of training groups."""
        return importlib.import_module(self.declarations).CURVE_APPROACHES

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
