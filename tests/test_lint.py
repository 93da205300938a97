"""The code base (package, tests, benchmarks, notebooks) is ruff clean."""

import subprocess
import sys

from kgfgnn.paths import REPO_ROOT


def test_ruff_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(REPO_ROOT)],
                            capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
