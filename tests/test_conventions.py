"""The library conventions every public model follows (scikit-learn's estimator API, numpydoc,
PyG's ``reset_parameters``), checked over the whole package so a new class cannot skip them."""

import doctest
import importlib
import inspect
import pkgutil

import pytest
import torch.nn as nn
from sklearn.base import BaseEstimator

import kgfgnn


def _classes(base: type) -> list[type]:
    found = []
    for info in pkgutil.walk_packages(kgfgnn.__path__, "kgfgnn."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        found += [c for c in vars(module).values() if inspect.isclass(c)
                  and c.__module__ == module.__name__ and issubclass(c, base)
                  and not c.__name__.startswith("_")]
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


ESTIMATORS = _classes(BaseEstimator)
NETWORKS = [c for c in _classes(nn.Module) if c.__name__ != "ByteMaskDropout"]


def test_the_package_has_the_models_it_documents():
    names = {c.__name__ for c in ESTIMATORS}
    assert {"KGFGNNRegressor", "GraphKGFGNN", "FieldKGFGNN", "TabMRegressor",
            "MixedInterceptRegressor", "AutoencoderSelector"} <= names
    assert {"KGFGNN", "RelationalBlock", "DenseRGCNConv", "Autoencoder"} <= {
        c.__name__ for c in NETWORKS}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_estimator_constructor_is_keyword_only(estimator):
    parameters = list(inspect.signature(estimator.__init__).parameters.values())[1:]
    positional = [p.name for p in parameters if p.kind is not p.KEYWORD_ONLY]
    assert not positional, f"{estimator.__name__}: positional constructor arguments {positional}"


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_estimator_docstring_is_numpydoc(estimator):
    doc = inspect.getdoc(estimator) or ""
    for section in ("Parameters\n----------", "Attributes\n----------", "Examples\n--------"):
        assert section in doc, f"{estimator.__name__}: no {section.splitlines()[0]} section"
    section = doc.split("Parameters\n----------")[1].split("Attributes\n----------")[0]
    heads = [line.split(" :")[0] for line in section.splitlines()
             if line.strip() and not line[0].isspace()]  # numpydoc: names start the line
    names = {n.strip() for head in heads for n in head.split(",")}
    parameters = list(inspect.signature(estimator.__init__).parameters)[1:]
    missing = [p for p in parameters if p not in names]
    assert not missing, f"{estimator.__name__}: parameters {missing} are not documented"


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda c: c.__name__)
def test_estimator_examples_run(estimator):
    """Examples not marked to skip (the ones that need no fitted data) run as written."""
    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner()
    module = inspect.getmodule(estimator)
    for test in finder.find(estimator, estimator.__name__, module=module,
                            globs=dict(vars(module))):
        runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("network", NETWORKS, ids=lambda c: c.__name__)
def test_network_module_has_reset_parameters(network):
    assert callable(getattr(network, "reset_parameters", None)), network.__name__
