"""The CBS municipality directory (1 January 2025) and the ways regions write municipalities."""

from __future__ import annotations

import re
import unicodedata

import pytest

from app.indicators.municipalities import KnownMunicipality, MunicipalityDirectory

TWENTE = {
    "Almelo": "GM0141",
    "Borne": "GM0147",
    "Dinkelland": "GM1774",
    "Enschede": "GM0153",
    "Haaksbergen": "GM0158",
    "Hellendoorn": "GM0163",
    "Hengelo": "GM0164",
    "Hof van Twente": "GM1735",
    "Losser": "GM0168",
    "Oldenzaal": "GM0173",
    "Rijssen-Holten": "GM1742",
    "Tubbergen": "GM0183",
    "Twenterand": "GM1700",
    "Wierden": "GM0189",
}

#: Municipalities formed by mergers since 2017 (and a few older renamed ones), as CBS codes them.
RECENT = {
    "GM1966": "Het Hogeland",
    "GM1969": "Westerkwartier",
    "GM1970": "Noardeast-Fryslân",
    "GM1978": "Molenlanden",
    "GM1959": "Altena",
    "GM1992": "Voorne aan Zee",
    "GM1991": "Maashorst",
    "GM1982": "Land van Cuijk",
    "GM1960": "West Betuwe",
    "GM1961": "Vijfheerenlanden",
    "GM1963": "Hoeksche Waard",
    "GM1945": "Berg en Dal",
    "GM1949": "Waadhoeke",
    "GM1950": "Westerwolde",
    "GM1952": "Midden-Groningen",
    "GM1954": "Beekdaelen",
    "GM1900": "Súdwest-Fryslân",
    "GM1940": "De Fryske Marren",
    "GM1930": "Nissewaard",
    "GM1931": "Krimpenerwaard",
    "GM1942": "Gooise Meren",
    "GM1948": "Meierijstad",
    "GM1979": "Eemsdelta",
    "GM1980": "Dijk en Waard",
    "GM0439": "Purmerend",
}

#: Merged away before 2025: no longer a municipality.
GONE = [
    "Weesp",
    "Brielle",
    "Hellevoetsluis",
    "Westvoorne",
    "Beemster",
    "Uden",
    "Landerd",
    "Boxmeer",
    "Heerhugowaard",
    "Haaren",
    "GM0457",
]


@pytest.fixture(scope="module")
def directory():
    return MunicipalityDirectory.national()


def test_all_342_municipalities_of_2025(directory):
    assert len(directory) == 342
    codes = [m.code for m in directory.municipalities]
    assert len(set(codes)) == 342
    assert all(re.fullmatch(r"GM\d{4}", c) for c in codes)
    assert len({m.name for m in directory.municipalities}) == 342


def test_national_is_read_once(directory):
    assert MunicipalityDirectory.national() is directory


def test_the_fourteen_twente_municipalities(directory):
    for name, code in TWENTE.items():
        assert directory.resolve(name) == KnownMunicipality(code, name)
        assert directory.by_code(code).name == name


def test_recent_mergers(directory):
    for code, name in RECENT.items():
        assert directory.by_code(code) == KnownMunicipality(code, name)


@pytest.mark.parametrize("text", GONE)
def test_merged_municipalities_are_gone(directory, text):
    assert directory.resolve(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("GM0153", "GM0153"),
        ("gm0153 ", "GM0153"),
        ("GM0153    ", "GM0153"),  # StatLine pads its codes
        ("0153", "GM0153"),
        ("Enschede", "GM0153"),
        ("ENSCHEDE", "GM0153"),
        ("enschede", "GM0153"),
        ("Gemeente Enschede", "GM0153"),
        ("gemeente enschede", "GM0153"),
        ("Enschede (gemeente)", "GM0153"),
        ("Hengelo (O.)", "GM0164"),
        ("Hengelo", "GM0164"),
        ("'s-Gravenhage", "GM0518"),
        ("’s-Gravenhage", "GM0518"),
        ("s-Gravenhage", "GM0518"),
        ("Den Haag", "GM0518"),
        ("'s-Hertogenbosch", "GM0796"),
        ("Den Bosch", "GM0796"),
        ("Súdwest-Fryslân", "GM1900"),
        ("Sudwest-Fryslan", "GM1900"),
        ("SÚDWEST-FRYSLÂN", "GM1900"),
        ("Sudwest Fryslan", "GM1900"),
        ("Noardeast-Fryslân", "GM1970"),
        ("Bergen (NH.)", "GM0373"),
        ("Bergen (L.)", "GM0893"),
        ("Bergen NH", "GM0373"),
        ("Beek (L.)", "GM0888"),
        ("Laren (NH.)", "GM0417"),
        ("Rijswijk (ZH.)", "GM0603"),
        ("Stein (L.)", "GM0971"),
        ("Middelburg (Z.)", "GM0687"),
        ("Groningen (gemeente)", "GM0014"),
        ("Utrecht (gemeente)", "GM0344"),
        ("Rijssen Holten", "GM1742"),
        ("Nuenen, Gerwen en Nederwetten", "GM0820"),
        ("Nuenen", "GM0820"),
    ],
)
def test_resolve(directory, text, code):
    assert directory.resolve(text).code == code


@pytest.mark.parametrize(
    "text",
    ["", "  ", "Bergen", "Twente", "Hengeloo", "GM9999", "153", "14", "2021", "Anders", None, 153],
)
def test_resolve_unknown(directory, text):
    assert directory.resolve(text) is None


def test_every_name_resolves_with_and_without_accents(directory):
    for m in directory.municipalities:
        assert directory.resolve(m.name) == m
        assert directory.resolve(m.name.upper()) == m
        plain = "".join(
            ch for ch in unicodedata.normalize("NFKD", m.name) if not unicodedata.combining(ch)
        )
        assert directory.resolve(plain) == m
        assert directory.resolve(m.code) == m
        assert directory.resolve(m.code[2:]) == m


@pytest.mark.parametrize(
    "text",
    [
        "Anders & onbekend",
        "Onbekend",
        "Overig",
        "Overige gemeenten",
        "Buiten de regio",
        "Buiten Twente",
        "Anders",
        "Niet in Nederland",
        "Buitenland",
        "Elders",
        "Rest van Nederland",
        "onbekend/anders",
        "Geen opgave",
    ],
)
def test_rest_categories(directory, text):
    assert directory.is_rest_category(text)
    assert directory.resolve(text) is None


@pytest.mark.parametrize("text", ["Enschede", "Overbetuwe", "Totaal", "", None, "Den Haag"])
def test_no_rest_category(directory, text):
    assert not directory.is_rest_category(text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("NL01", "Nederland"),
        ("NL01  ", "Nederland"),
        ("PV23", "Overijssel"),
        ("pv23", "Overijssel"),
        ("PV20", "Groningen (provincie)"),
        ("CR14", "CR14"),
        ("LD02", "Oost-Nederland"),
        ("Nederland", "Nederland"),
        ("Overijssel", "Overijssel"),
        ("Noord-Brabant", "Noord-Brabant"),
        ("Regio Twente", "Regio Twente"),
    ],
)
def test_region_labels(directory, text, label):
    assert directory.region_label(text) == label


@pytest.mark.parametrize("text", ["Enschede", "GM0153", "Twente", "", None])
def test_no_region_label(directory, text):
    assert directory.region_label(text) is None
