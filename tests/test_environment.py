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
