"""The study's inputs live in the repository, match their documented checksums, and no code
path reads anything outside the repository (a bare clone and Binder must run)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import textwrap

import numpy as np

from kgfgnn.paths import DEFAULT_DATA, REPO_ROOT, data_dir


def _documented_checksums() -> dict[str, str]:
    text = (DEFAULT_DATA / "README.md").read_text()
    return dict(re.findall(r"\| `([\w/.]+)` \| [^|]+\| `([0-9a-f]{64})` \|", text))


def test_every_data_file_is_documented_and_intact():
    documented = _documented_checksums()
    present = {p.relative_to(DEFAULT_DATA).as_posix() for p in DEFAULT_DATA.rglob("*")
               if p.is_file() and p.name != "README.md"}
    assert present == set(documented), "data/README.md must list exactly the files in data/"
    for name, digest in documented.items():
        assert hashlib.sha256((DEFAULT_DATA / name).read_bytes()).hexdigest() == digest, name


def test_readme_keeps_every_licence_notice():
    text = (DEFAULT_DATA / "README.md").read_text()
    for notice in ("MIT licence", "GPL-3", "LGPL-3", "New, M., Lister", "70:1569",
                   "Philibert, Loyce & Makowski 2012", "Qian et al. (2010", "SESYNCBayes",
                   "KenSyn 0.3", "landmap", "GSODRdata", "Natural Earth", "public domain"):
        assert notice in text, notice


def test_default_data_folder_is_inside_the_repository(monkeypatch):
    monkeypatch.delenv("KGFGNN_DATA", raising=False)
    assert data_dir() == REPO_ROOT / "data"


PROBE = textwrap.dedent("""
    import json, os, sys, tempfile
    opened = []
    def hook(event, args):
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(os.path.abspath(os.fsdecode(args[0])))
    sys.addaudithook(hook)
    from kgfgnn.fielddata.carey_data import load_real
    from kgfgnn.simulate.execute import SimulationConfig, group_weather, plan
    groups = plan(SimulationConfig(countries=("DE", "KE"), sites_per_country=1,
                                   crops_per_site=1, blocks_per_crop=1, n_rates=(0, 100)))
    group_weather(groups[0])
    load_real()
    print(json.dumps(opened))
""")


def test_no_code_path_reads_outside_the_repository(tmp_path):
    """Plan a simulation, generate weather and load the real data from a foreign working
    directory, with no data variable set; every file opened must lie in the repository or
    in the Python installation (the audit hook sees every ``open``)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    opened = json.loads(done.stdout.strip().splitlines()[-1])
    allowed = (str(REPO_ROOT) + "/", sys.prefix + "/", sys.base_prefix + "/", "/dev/",
               "/proc/", "/sys/", "/etc/", "/usr/", str(tmp_path), "/tmp/")
    outside = sorted({p for p in opened if not p.startswith(allowed)})
    assert not outside, outside
    data_reads = {p for p in opened if p.endswith((".csv", ".csv.gz"))}
    assert data_reads and all(p.startswith(str(DEFAULT_DATA) + "/") for p in data_reads)
    assert not any("/shared/" in p for p in opened)


def test_country_outlines_ship_offline():
    from kgfgnn.geography import country_outlines

    rings = country_outlines()
    assert len(rings) > 200
    everything = np.concatenate(rings)
    assert (np.abs(everything[:, 0]) <= 180).all() and (np.abs(everything[:, 1]) <= 90).all()
    assert all(len(r) >= 4 for r in rings)
