"""The measured data sets' declared schemas (one interface for Carey and the dose-response set)."""

import numpy as np
import pandas as pd
import pytest

from kgfgnn.fielddata.carey_data import OBSERVED, load_real
from kgfgnn.fielddata.design import CATEGORICAL, NUMERIC
from kgfgnn.fielddata.schema import FieldInputError
from kgfgnn.fielddata.schemas import CAREY, DOSE_RESPONSE, SCHEMAS


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=list(SCHEMAS))
def test_each_data_set_validates_as_distributed(schema):
    data = schema.load()
    valid = schema.validate(data.drop(columns=[schema.target]))
    assert len(valid) == len(data)
    assert valid[schema.group].notna().all()
    assert len(schema.to_simulation(valid)) == len(data)
    table = schema.table()
    assert list(table.column) == [c.name for c in schema.columns]
    assert table.unit.str.len().gt(0).all()


def test_dose_schema_covers_the_model_columns():
    assert [c.name for c in DOSE_RESPONSE.columns] == [*CATEGORICAL, *NUMERIC]
    assert DOSE_RESPONSE.required == ["Climate", "N_rate"]
    assert DOSE_RESPONSE.group == "Ref_num" and CAREY.group == "group"


def test_carey_on_the_interface_gives_the_same_features():
    via_schema = CAREY.to_simulation(CAREY.validate(CAREY.load()))
    pd.testing.assert_frame_equal(via_schema[list(OBSERVED)].reset_index(drop=True),
                                  load_real()[list(OBSERVED)].reset_index(drop=True))


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.assign(N_rate=np.nan), r"line 2, column 'N_rate': empty cell; required"),
    (lambda f: f.assign(Drainage="x"), r"line 2, column 'Drainage': unknown code 'x'"),
    (lambda f: f.assign(Bulk_density="inf"), r"'inf' is not a finite number"),
    (lambda f: f.iloc[:0], r"no data rows"),
])
def test_schema_errors_name_line_column_and_what_is_allowed(edit, message):
    data = DOSE_RESPONSE.load().head(2)
    with pytest.raises(FieldInputError, match=message):
        DOSE_RESPONSE.validate(edit(data))


def test_below_zero_temperatures_are_valid_and_optional_columns_may_be_absent():
    frame = pd.DataFrame({"Climate": ["Clim8"], "N_rate": ["120"], "Mean_annual_temp": [-2.5]})
    valid = DOSE_RESPONSE.validate(frame)
    assert valid.Mean_annual_temp.iloc[0] == -2.5 and valid.N_rate.iloc[0] == 120.0
    assert np.isnan(valid.pH.iloc[0]) and valid.Ref_num.iloc[0] == "row2"
