import gc
import json
import warnings
from pathlib import Path

import pytest
from hdx.location.country import Country as Taxonomy

from shared.geography import countries, load_network, m49_network, party_of_state
from shared.principal import Principal


def test_countries_come_from_the_shipped_taxonomy() -> None:
    known = countries()

    assert len(known) > 240
    assert known["LAO"].subregion == "South-eastern Asia"
    assert known["LAO"].income_group == "Lower middle"
    assert known["BIH"].currency == "BAM"


def test_the_taxonomy_file_is_read_as_the_package_itself_reads_it() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # the package leaves its file open
        theirs = Taxonomy.countriesdata(use_live=False)["countries"]
        gc.collect()
    current = {iso3: row for iso3, row in theirs.items() if row.get("Deprecated") != "Y"}

    assert set(countries()) == set(current)
    for iso3, country in countries().items():
        row = current[iso3]
        assert country.name == row["Preferred Term"]
        assert country.iso2 == row["ISO 3166-1 Alpha 2-Codes"]
        assert country.names.get("fr") == (row["French Short"] or row["M49 French"])
        assert country.region == row["Region Name"]


def test_the_default_network_has_one_centre_per_m49_subregion() -> None:
    network = m49_network()

    assert network.centre_of("LAO").id == "south-eastern-asia"  # type: ignore[union-attr]
    assert network.centre_of("SEN").id == "western-africa"  # type: ignore[union-attr]
    assert network.centre_of("PER").id == "south-america"  # type: ignore[union-attr]
    assert network.centre_of("ATA") is None  # no sub-region: straight to the global tier
    assert 15 <= len(network.ids) <= 25


def test_a_file_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "centres.json"
    path.write_text(json.dumps([{"id": "brs-panama", "name": "Panama", "states": ["PAN", "CRI"]}]))

    network = load_network(path)

    assert network.ids == ["brs-panama"]
    assert network.centre_of("CRI").name == "Panama"  # type: ignore[union-attr]
    assert network.centre_of("LAO") is None


@pytest.mark.parametrize(
    ("centres", "error"),
    [
        ([{"id": "x", "name": "X", "states": ["ZZZ"]}], "unknown states"),
        ([{"id": "Bad Id", "name": "X", "states": ["PAN"]}], "invalid regional centre id"),
        (
            [
                {"id": "a", "name": "A", "states": ["PAN"]},
                {"id": "b", "name": "B", "states": ["PAN"]},
            ],
            "two centres",
        ),
    ],
)
def test_a_bad_file_is_refused(
    tmp_path: Path, centres: list[dict[str, object]], error: str
) -> None:
    path = tmp_path / "centres.json"
    path.write_text(json.dumps(centres))

    with pytest.raises(ValueError, match=error):
        load_network(path)


def test_a_state_is_the_party_its_name_says() -> None:
    """The id a state's own sources name as their donor, and its focal point answers for."""
    assert party_of_state("NOR") == "norway"
    assert party_of_state("NLD") == "netherlands"  # "Netherlands (Kingdom of the)"
    assert party_of_state("CIV") == "cote-d-ivoire"
    assert party_of_state("LAO") == "lao-people-s-democratic-republic"
    assert party_of_state("XXX") is None
    assert Principal.national("KHM").party == "cambodia"
    assert Principal.for_donor("undp").party == "undp"
    assert Principal.secretariat().party is None
