"""Dataset contracts load, validate references and fail with messages naming the file and field."""

from pathlib import Path

import pytest

from energylake.contracts import ContractError, get_contract, load_contracts, parse_contract


def test_every_committed_contract_loads_and_names_match_files():
    contracts = load_contracts()
    assert "telemetry_readings" in contracts
    for name, contract in contracts.items():
        assert contract.name == name
        assert contract.columns, name


def test_pii_columns_are_derived_from_classification():
    assert set(get_contract("trading_customers").pii_columns) == {"name", "email", "phone", "address"}
    assert get_contract("telemetry_readings").pii_columns == ()


def test_partition_columns_are_excluded_from_data_columns():
    contract = get_contract("telemetry_readings")
    data = {c.name for c in contract.data_columns}
    assert "event_date" not in data and "metric" not in data
    assert [c.name for c in contract.partition_columns] == ["event_date", "metric"]


def test_unknown_dataset_lists_known_names():
    with pytest.raises(KeyError, match="telemetry_readings"):
        get_contract("no_such_dataset")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("name: bad\nzone: raw\ndomain: x\ndescription: y\ncolumns:\n  - {name: a, type: varchar}\n", "columns.0"),
        (
            "name: bad\nzone: raw\ndomain: x\ndescription: y\ncolumns:\n  - {name: a, type: string}\n"
            "primary_key: [b]\n",
            "unknown columns",
        ),
        ("name: other\nzone: raw\ndomain: x\ndescription: y\ncolumns:\n  - {name: a, type: string}\n", "field name"),
        ("name: bad\nzone: lake\ndomain: x\ndescription: y\ncolumns: []\n", "field zone"),
        ("- just\n- a list\n", "mapping"),
    ],
)
def test_malformed_contract_error_names_file_and_field(tmp_path: Path, body: str, expected: str):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(ContractError, match=r"bad\.yaml") as err:
        parse_contract(path)
    assert expected in str(err.value)


def test_a_directory_without_contracts_is_an_error_naming_it(tmp_path: Path):
    with pytest.raises(ContractError, match=str(tmp_path)):
        load_contracts(str(tmp_path))


def test_contracts_load_from_the_package_resources_not_a_directory_path(monkeypatch):
    # A zip on sys.path (Glue's --extra-py-files) has no directory to glob; the package's resources are all there is.
    import energylake.contracts as contracts

    monkeypatch.setattr(contracts, "Path", None)
    contracts.load_contracts.cache_clear()
    try:
        assert "telemetry_readings" in contracts.load_contracts()
    finally:
        contracts.load_contracts.cache_clear()
