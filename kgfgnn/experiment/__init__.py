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
- :mod:`~kgfgnn.experiment.report`: the one reporting module (the simulated benchmark's
  claim check and ablations; the measured data sets' summary, paired tests against the best
  real-only approach, verdict, choice and coverage).

Results tables of every data set are keyed alike (``split``, ``seed``, ``fold``, ``model``).
The simulated benchmark's units (task, split, seed, fold, family) are in
:mod:`kgfgnn.benchmark`; each data set's entry point (schema, loading, run, bundle,
predict) is its adapter (:mod:`kgfgnn.datasets`).
"""
