import pandas as pd
import pytest

from kgfgnn.atomic import atomic_path, write_parquet
from kgfgnn.paths import DATA_ENV_VAR, data_file


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out" / "table.parquet"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_successful_write_replaces_target(tmp_path):
    target = tmp_path / "t.parquet"
    write_parquet(pd.DataFrame({"a": [1, 2]}), target)
    assert pd.read_parquet(target).a.tolist() == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_missing_data_file_names_file_and_place(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"'soils/isis_sites.csv' not found: looked for "
                                                r".*soils/isis_sites.csv"):
        data_file("soils/isis_sites.csv")
