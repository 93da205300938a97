import pytest

from kgfgnn.params import NOTEBOOK_PARAMS, notebook_parameters, validate_parameters
from kgfgnn.paths import NOTEBOOKS_DIR, PROFILES_DIR
from kgfgnn.profiles import load_profile


@pytest.mark.parametrize("profile", ["tiny", "quick", "full"])
def test_every_profile_is_valid_and_complete(profile, tmp_path):
    params = load_profile(profile, tmp_path)
    assert list(params) == list(NOTEBOOK_PARAMS)
    for name, values in params.items():
        assert set(values) == set(NOTEBOOK_PARAMS[name]), name
        assert values["artefact_dir"] == str(tmp_path)


def test_unknown_profile_names_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match=r"profile='nope'.*known are \['full', 'quick', 'tiny'\]"):
        load_profile("nope", tmp_path)


def test_out_of_range_names_parameter_and_range():
    with pytest.raises(ValueError, match=r"'n_countries' of notebook '01_simulation' = 48: "
                                         r"must be <= 47"):
        validate_parameters("01_simulation", {"n_countries": 48})


def test_unknown_parameter_is_an_error():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['epochz'\]"):
        validate_parameters("02_features", {"epochz": 3})


def test_wrong_type_and_choices():
    with pytest.raises(ValueError, match="must be of type int"):
        validate_parameters("02_features", {"epochs": "many"})
    with pytest.raises(ValueError,
                       match=r"allowed values are \['rgcn', 'gcn', 'sage', 'gat', 'gin'\]"):
        validate_parameters("04_benchmark", {"layer": "mlp"})
    with pytest.raises(ValueError, match=r"n_rates\[1\]' .* = -5: must be >= 0"):
        validate_parameters("01_simulation", {"n_rates": [0, -5]})


def test_profile_with_bad_value_fails_before_running(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 1\nnotebooks:\n  04_benchmark:\n    n_folds: 1\n")
    with pytest.raises(ValueError, match="'n_folds' of notebook '04_benchmark' = 1: must be >= 2"):
        load_profile(str(bad), tmp_path)


def test_notebook_parameters_reads_namespace():
    ns = {"artefact_dir": "x", "seed": 3}
    assert notebook_parameters("06_reproducibility", ns) == ns
    with pytest.raises(ValueError, match="does not define parameter"):
        notebook_parameters("06_reproducibility", {"seed": 3})


def test_each_notebook_declares_exactly_its_parameters():
    import nbformat

    for name, spec in NOTEBOOK_PARAMS.items():
        nb = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, name
        ns: dict = {}
        exec(tagged[0].source, ns)  # noqa: S102 - the notebook's own literal assignments
        declared = {k for k in ns if not k.startswith("__")}
        assert declared == set(spec), name
        validate_parameters(name, {k: ns[k] for k in declared})


def test_notebooks_are_committed_without_outputs():
    import nbformat

    for path in NOTEBOOKS_DIR.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path
    assert PROFILES_DIR.is_dir()


def test_artefact_dir_is_under_the_working_folder_not_the_source_tree(tmp_path, monkeypatch):
    from kgfgnn.paths import artefact_dir

    monkeypatch.chdir(tmp_path)
    assert artefact_dir("quick") == tmp_path.resolve() / "artefacts" / "quick"
    assert artefact_dir("full", tmp_path / "x") == (tmp_path / "x").resolve() / "artefacts" / "full"
