"""Parsers on DSSAT-CSM 4.8 output samples stored in tests/data (from a real run)."""

from pathlib import Path

import pytest

from kgfgnn.simulate.outputs import DSSATOutputError, parse_daily, parse_n_balance, parse_summary

DATA = Path(__file__).parent / "data"


def test_summary_by_header_name():
    s = parse_summary((DATA / "Summary.OUT").read_text())
    assert s["CR"] == "WH"
    assert s["N2OEM"] == pytest.approx(0.187)
    assert s["NICM"] == 150
    assert s["HWAM"] > 0
    assert s["PWAM"] == 7337 and s["CWAM"] == 14490  # numeric columns parsed by header
    assert s["PDAT"] == 2001319 and s["MDAT"] == 2002163


def test_daily_n2o_table():
    d = parse_daily((DATA / "N2O.OUT").read_text(), "N2O")
    assert {"N2OEC", "N2GED", "NDNC", "NITC"} <= set(d.columns)
    assert d.index.is_monotonic_increasing
    assert (d["N2OEC"].diff().dropna() >= 0).all()  # cumulative


def test_balance_row():
    b = parse_n_balance((DATA / "SoilNBalSum.OUT").read_text())
    assert b["NICM"] == 150.0
    assert abs(b["SNBAL"]) < 0.5


def test_fixed_width_reads_touching_numbers():
    header = "@YEAR DOY   DAS   N2OEC    N2EC"
    row = " 2001 139    35 1234.56100000.0"  # the last two values touch
    d = parse_daily(f"*N2O\n{header}\n{row}\n", "N2O")
    assert d["N2OEC"].iloc[0] == pytest.approx(1234.56)
    assert d["N2EC"].iloc[0] == pytest.approx(100000.0)


def test_malformed_outputs_raise():
    with pytest.raises(DSSATOutputError, match="no header line"):
        parse_daily("nothing here", "N2O")
    with pytest.raises(DSSATOutputError, match="no data rows"):
        parse_daily("@YEAR DOY\n", "N2O")


def test_summary_numbers_that_touch_their_neighbours():
    """A wide value (here CO2EM of a paddy) touches the next column: the row has one token
    fewer than the header, which splitting on blanks misreads; the fixed-width cut does not."""
    text = (DATA / "Summary.OUT").read_text()
    lines = text.splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.startswith("@   RUNNO"))
    header, row = lines[k], lines[k + 1]
    end = header.index("CO2EM") + len("CO2EM")
    start = header.rstrip()[:header.index("CO2EM")].rstrip().__len__()  # previous name's end
    value = "9" * (end - start)  # fills the whole field: touches the previous value
    lines[k + 1] = row[:start] + value + row[end:]
    assert len(lines[k + 1].split()) == len(header[1:].split()) - 1  # blank-splitting fails
    s = parse_summary("\n".join(lines))
    assert s["CO2EM"] == int(value)
    assert s["N2OEM"] == pytest.approx(0.187) and s["CR"] == "WH"
