"""The measured data sets' declarations, each in a module of its own: schemas
(:mod:`~kgfgnn.fielddata.schemas`), readers, input tables, approaches and families,
estimators the field needs, knowledge brought from the simulation, deployed bundles. Each
data set's adapter (:mod:`kgfgnn.datasets`) names the modules it uses; they run on the one
engine (:mod:`kgfgnn.experiment`)."""
