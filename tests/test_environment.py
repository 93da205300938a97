"""environment.yml (Binder) and pyproject.toml must list the same packages and versions."""

import tomllib

import yaml

from kgfgnn.paths import REPO_ROOT

CONDA_TO_PYPI = {"pytorch-cpu": "torch"}


def _pins(specs):
    out = {}
    for spec in specs:
        name, _, version = spec.partition("==")
        out[name.lower()] = version
    return out


def test_environment_matches_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    pip_pins = _pins(project["dependencies"])
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    env_pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            env_pins |= _pins(d for d in dep["pip"] if not d.startswith("-e"))
        elif "=" in dep and not dep.startswith(("python=", "pip")):
            name, version = dep.split("=", 1)
            env_pins[CONDA_TO_PYPI.get(name, name).lower()] = version
    assert env_pins == pip_pins
    assert all(v for v in pip_pins.values()), "every runtime dependency is pinned"
    assert any(d == "-e ." for dep in env["dependencies"] if isinstance(dep, dict)
               for d in dep["pip"])


def test_launch_buttons_get_the_published_address(monkeypatch):
    from kgfgnn.runner import REPOSITORY_ENV_VAR, book_config, repository_url

    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert config["repository"]["url"] == "", "no placeholder address in the source"
    monkeypatch.setenv(REPOSITORY_ENV_VAR, "git@github.com:someone/kgfgnn.git")
    url = repository_url(REPO_ROOT)
    assert url == "https://github.com/someone/kgfgnn"
    filled = book_config(REPO_ROOT, url)
    assert filled["repository"]["url"] == url
    assert filled["sphinx"]["config"]["html_theme_options"]["repository_url"] == url
    monkeypatch.setenv(REPOSITORY_ENV_VAR, "not a url")
    assert repository_url(REPO_ROOT) == ""  # an address that is not one gives no buttons


def test_precompile_covers_every_module_and_writes_bytecode_despite_the_shell(tmp_path):
    """make installs with pip --no-compile and then runs `kgfgnn precompile`: it must import
    every kgfgnn module (bar __main__) and write bytecode even under PYTHONDONTWRITEBYTECODE,
    which a plain import there does not."""
    import os
    import subprocess
    import sys

    from kgfgnn.precompile import study_modules

    files = sorted(p.relative_to(REPO_ROOT).with_suffix("")
                   for p in (REPO_ROOT / "kgfgnn").rglob("*.py"))
    expected = sorted(".".join(p.parts).removesuffix(".__init__") for p in files
                      if p.name != "__main__")
    assert ["kgfgnn", *study_modules()] == expected
    assert "kgfgnn.train" in expected and "kgfgnn.experiment.study" in expected

    for name in ("plain_probe", "compiled_probe"):
        (tmp_path / f"{name}.py").write_text("VALUE = 1\n")
    env = os.environ | {"PYTHONDONTWRITEBYTECODE": "1",
                        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)])}
    code = ("import plain_probe; from kgfgnn.precompile import precompile; "
            "precompile(['compiled_probe'])")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tmp_path)
    cached = {p.name.split(".")[0] for p in (tmp_path / "__pycache__").glob("*.pyc")}
    assert cached == {"compiled_probe"}
