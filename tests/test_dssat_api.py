"""DSSATTools import guard."""

from pathlib import Path

from kgfgnn.simulate.dssat_api import _drop_dangling_links


def test_dangling_links_from_a_deleted_install_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "real.CDE"
    target.write_text("x")
    (tmp_path / "live.CDE").symlink_to(target)
    (tmp_path / "stale.CDE").symlink_to(tmp_path / "deleted-venv" / "DATA.CDE")
    _drop_dangling_links(tmp_path)
    assert (tmp_path / "live.CDE").is_symlink()
    assert not (tmp_path / "stale.CDE").is_symlink()
    assert target.read_text() == "x"
