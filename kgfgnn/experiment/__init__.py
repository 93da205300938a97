"""The one experiment engine every data set runs on (simulated, Carey, dose response).

- :mod:`~kgfgnn.experiment.spaces`: every model family's search space, per data context
  (the family registry's spaces, declared once);
- :mod:`~kgfgnn.experiment.search`: the search (random, successive halving) on a grouped
  hold-out of the training rows;
- :mod:`~kgfgnn.experiment.evaluate`: outer splits, metrics, the Nadeau–Bengio corrected
  paired test and the verdict rule;
- :mod:`~kgfgnn.experiment.runner`: the one runner (local processes or a Dask cluster,
  resumable cache);
- :mod:`~kgfgnn.experiment.study`: a measured data set's study (approaches, outer splits, the
  learning curve, the one-standard-error choice);
- :mod:`~kgfgnn.experiment.intervals`: split-conformal intervals for unseen groups;
- :mod:`~kgfgnn.experiment.report`: the report every measured chapter writes (summary,
  paired tests against the best real-only approach, verdict, choice, coverage).

The simulated benchmark's own units and claim check are in :mod:`kgfgnn.benchmark`; each
data set's declarations (schema, inputs, approaches, knowledge, splits, predict) in its
adapter (:mod:`kgfgnn.datasets`).
"""
