"""The package's layers only point down: no import cycle between its modules, counting the
imports inside functions too."""

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "kgfgnn"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> nx.DiGraph:
    """module -> every kgfgnn module it imports (at module level or in a function)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                if target in modules and target != name and not name.startswith(target + "."):
                    graph.add_edge(name, target)
    return graph


def test_the_import_graph_has_edges():
    graph = import_graph()
    assert graph.has_edge("kgfgnn.fielddata.protocol", "kgfgnn.experiment.search")
    assert graph.has_edge("kgfgnn.fielddata.model_bundle", "kgfgnn.simulate.twins")


def test_no_import_cycle():
    graph = import_graph()
    graph.remove_nodes_from(["kgfgnn", "kgfgnn.cli", "kgfgnn.__main__"])  # entry points
    cycles = sorted(nx.simple_cycles(graph), key=len)
    assert not cycles, f"import cycle(s), shortest first: {cycles[:3]}"


def test_simulation_never_imports_the_field_data_or_the_models():
    graph = import_graph()
    below = [m for m in graph if m.startswith("kgfgnn.simulate")]
    above = ("kgfgnn.fielddata", "kgfgnn.train", "kgfgnn.models", "kgfgnn.benchmark")
    for module in below:
        bad = [t for t in nx.descendants(graph, module) if t.startswith(above)]
        assert not bad, f"{module} imports {bad}"


def test_imports_leave_the_callers_state_alone():
    """No import-time side effects of the package's own modules: warning filters,
    matplotlib's colour cycle and torch's thread count are as before importing them (the
    third-party libraries they use, which set filters of their own, are imported first)."""
    import subprocess
    import sys

    code = (
        "import warnings, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
        "import torch, seaborn, statsmodels.api, torch_geometric, sklearn.ensemble, lightgbm\n"
        "import xgboost, scipy.stats, networkx, joblib, crepes\n"
        "filters, cycle, threads = list(warnings.filters), plt.rcParams['axes.prop_cycle'], "
        "torch.get_num_threads()\n"
        "import kgfgnn.simulate.dssat_api, kgfgnn.plots, kgfgnn.fielddata.protocol\n"
        "from kgfgnn.threads import single_threaded\n"
        "with single_threaded():\n"
        "    assert torch.get_num_threads() == 1\n"
        "assert list(warnings.filters) == filters, 'warning filters changed'\n"
        "assert plt.rcParams['axes.prop_cycle'] == cycle, 'colour cycle changed'\n"
        "assert torch.get_num_threads() == threads, 'thread count changed'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_predict_imports_neither_torch_nor_the_simulator_until_a_model_needs_them():
    """Reading a model bundle and its input needs no torch, PyG, DSSAT-CSM or statsmodels:
    they load when the chosen approach (KG-FGNN, a twin, the mixed model) is unpickled or
    run."""
    import subprocess
    import sys

    code = ("import sys\nimport kgfgnn.cli, kgfgnn.predict, kgfgnn.fielddata.model_bundle\n"
            "heavy = [m for m in ('torch', 'torch_geometric', 'DSSATTools', 'statsmodels') "
            "if m in sys.modules]\nassert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_default_workers_fit_the_memory():
    from kgfgnn.workers import KERNEL_MB, WORKER_MB, default_workers

    assert default_workers(3) == 3  # asked for: given
    assert default_workers(0, limit_mb=2048) == 1  # Binder's 2 GB: kernel and one worker
    assert default_workers(0, limit_mb=KERNEL_MB + 64 * WORKER_MB) >= 1
    assert default_workers(0, limit_mb=100) == 1
    import pytest

    with pytest.raises(ValueError, match="workers=-1"):
        default_workers(-1)


def test_source_commit_names_the_checkout_and_its_state(tmp_path):
    """The commit recorded for a run: HEAD's, marked dirty when tracked files differ."""
    import subprocess

    from kgfgnn.runner import source_commit

    assert source_commit(tmp_path) == "unknown"  # not a git checkout
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "f.txt").write_text("a")
    subprocess.run([*git, "add", "f.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert source_commit(tmp_path) == head
    (tmp_path / "f.txt").write_text("b")
    assert source_commit(tmp_path) == head + "+dirty"
