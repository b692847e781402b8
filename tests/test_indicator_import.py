"""Reading regions' figure files: what would be stored, what not, and why (in Dutch).

The fixtures are in ``tests/fixtures/indicators`` (written by ``make_fixtures.py`` there); the
``kennispunt-twente-*``, ``pilot-*`` and ``ontwikkeltafel-*`` files hold the real Twente figures
the demo loads.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.indicators.importer import (
    OBSERVATION_COLUMNS,
    ImportOptions,
    ImportPlan,
    Refusal,
    UnreadableFile,
    read_indicator_file,
)

FIXTURES = Path(__file__).parent / "fixtures" / "indicators"

TWENTE_CODES = [
    "GM0141",
    "GM0147",
    "GM1774",
    "GM0153",
    "GM0158",
    "GM0163",
    "GM0164",
    "GM1735",
    "GM0168",
    "GM0173",
    "GM1742",
    "GM0183",
    "GM1700",
    "GM0189",
]


def read(name: str, **options) -> ImportPlan:
    path = FIXTURES / name
    return read_indicator_file(path.read_bytes(), path.name, ImportOptions(**options))


def read_text(text: str, name: str = "cijfers.csv", encoding="utf-8", **options) -> ImportPlan:
    return read_indicator_file(text.encode(encoding), name, ImportOptions(**options))


def values(plan: ImportPlan, period: str | None = None) -> dict[str, float]:
    frame = plan.observations
    if period is not None:
        frame = frame[frame["period"] == period]
    return dict(zip(frame["category"], frame["value"], strict=True))


def messages(plan: ImportPlan) -> list[str]:
    return [r.message for r in plan.refused]


def unreadable(data: bytes, name: str, **options) -> str:
    with pytest.raises(UnreadableFile) as caught:
        read_indicator_file(data, name, ImportOptions(**options))
    return str(caught.value)


# ============================================================================================
# The Twente figures (the demo's files)
# ============================================================================================


def test_afsluitredenen_wide_windows_1252_with_title_source_and_totals():
    plan = read("kennispunt-twente-afsluitredenen-2020-2021.csv")
    assert (plan.file_kind, plan.encoding, plan.delimiter, plan.layout) == (
        "csv",
        "cp1252",
        ";",
        "wide",
    )
    assert plan.title == "Afgesloten behandelingen naar reden"
    assert plan.source.startswith("Kennispunt Twente")
    assert plan.header_row == 4
    assert plan.indicator_names == ["Afgesloten behandelingen naar reden"]
    assert plan.can_import and plan.refused == []
    frame = plan.observations
    assert len(frame) == 16
    assert values(plan, "2020") == {
        "Afgehaakt": 10,
        "Opgelost, student kan zelf verder": 21,
        "Doorverwezen – gespecialiseerde GGZ": 13,
        "Doorverwezen – gespecialiseerde verslavingszorg": 7,
        "Doorverwezen – basis GGZ": 6,
        "Doorverwezen – overig": 5,
        "Anders": 7,
        "Totaal": 69,
    }
    assert values(plan, "2021")["Totaal"] == 83
    totals = frame[frame["is_total"]]
    assert totals["category"].tolist() == ["Totaal", "Totaal"]
    assert frame[~frame["is_total"]].groupby("period")["value"].sum().to_dict() == {
        "2020": 69,
        "2021": 83,
    }
    assert not any("totaal" in n.lower() for n in plan.notices)  # the totals add up
    assert frame["municipality_code"].isna().all()
    assert frame["row"].tolist()[:4] == [5, 5, 6, 6]
    assert frame["column"].tolist()[:2] == ["2020", "2021"]


def test_observation_columns_and_types():
    frame = read("kennispunt-twente-woongemeente-2021.csv").observations
    assert list(frame.columns) == OBSERVATION_COLUMNS
    assert frame["value"].dtype == np.float64
    for column in ("is_percentage", "is_total", "provisional", "suppressed"):
        assert frame[column].dtype == bool
    assert frame["row"].dtype.kind == "i"
    for column in ("indicator", "period", "category", "column"):
        assert all(isinstance(v, str) for v in frame[column])
    assert all(v is None or isinstance(v, str) for v in frame["municipality_code"])


def test_behandeling_gestart_per_maand_utf8_bom_keeps_zeros():
    plan = read("kennispunt-twente-behandeling-gestart-per-maand-2020-2021.csv")
    assert plan.encoding == "utf-8-sig"
    assert plan.indicator_names == ["Behandeling gestart per maand"]
    assert len(plan.observations) == 24
    in_2021 = values(plan, "2021")
    assert in_2021["Januari"] == 17
    assert in_2021["December"] == 0  # a zero is a zero
    assert not plan.observations["value"].isna().any()
    assert plan.notices == []


def test_behandeling_gestart_2021_period_from_title_and_derived_percentage():
    plan = read("kennispunt-twente-behandeling-gestart-2021.csv")
    assert plan.indicator_names == ["Behandeling gestart"]
    assert set(plan.observations["period"]) == {"2021"}
    got = values(plan)
    assert got["Vorig jaar (2020)"] == 25  # a category, not a period
    assert got["Totaal"] == 105
    assert len(got) == 12
    assert plan.source.startswith("Kennispunt Twente")
    assert "Kolom 'Percentage' is niet gelezen: die is berekend uit kolom 'Aantal'." in (
        plan.notices
    )
    assert "Periode 2021: uit de titel 'Behandeling gestart 2021'." in plan.notices


def test_woongemeente_municipalities_rest_and_total():
    plan = read("kennispunt-twente-woongemeente-2021.csv")
    assert plan.encoding == "utf-8"
    assert plan.indicator_names == ["Woongemeente studenten"]
    frame = plan.observations
    assert frame["municipality_code"].tolist() == TWENTE_CODES + [None, None]
    assert frame["category"].tolist()[-2:] == ["Anders & onbekend", "Totaal"]
    assert frame["is_total"].tolist() == [False] * 15 + [True]
    assert values(plan)["Enschede"] == 35
    assert values(plan)["Totaal"] == 105
    assert frame[~frame["is_total"]]["value"].sum() == 105
    assert set(frame["period"]) == {"2021"}


def test_leeftijd_ages_are_categories():
    plan = read("kennispunt-twente-leeftijd-2021.csv")
    assert plan.observations["category"].tolist() == [
        "17",
        "18",
        "19",
        "20",
        "21",
        "22",
        "23 en ouder",
    ]
    assert plan.observations["municipality_code"].isna().all()
    assert plan.observations["value"].sum() == 105
    assert not plan.observations["is_percentage"].any()


def test_opleidingsniveau_total():
    plan = read("kennispunt-twente-opleidingsniveau-2021.csv")
    assert values(plan) == {
        "MBO1": 4,
        "MBO2": 11,
        "MBO3": 22,
        "MBO4": 67,
        "Onbekend": 1,
        "Totaal": 105,
    }
    assert plan.indicator_names == ["Opleidingsniveau studenten"]


def test_consultatieverzoeken_windows_1252_and_a_footnote():
    plan = read("kennispunt-twente-consultatieverzoeken-per-college-2021.csv")
    assert plan.encoding == "cp1252"
    assert values(plan)["Loopbaanoriëntaties & Participatie (LO&P)"] == 34
    assert values(plan)["Totaal"] == 54
    footnotes = [n for n in plan.notices if n.startswith("Voetnoot in rij 12")]
    assert len(footnotes) == 1 and "11 naar 9 Colleges" in footnotes[0]


def test_pilot_key_figures_long_with_a_percentage():
    plan = read("pilot-hulpverleners-roc-van-twente-kerncijfers.csv")
    assert plan.layout == "long"
    frame = plan.observations
    got = dict(zip(frame["indicator"], frame["value"], strict=True))
    assert got == {
        "Jongeren begeleid door hulpverleners Tactus en Mediant": 185,
        "Consultatiegesprekken": 147,
        "Preventieactiviteiten": 50,
        "Studenten bereikt met preventieactiviteiten": 500,
        "Medewerkers bereikt met preventieactiviteiten": 200,
        "Studenten die zelfstandig verder kunnen": 24,
    }
    assert frame["is_percentage"].tolist() == [False] * 5 + [True]
    assert set(frame["period"]) == {"2021"}
    assert set(frame["category"]) == {""}
    assert plan.indicator_names == list(got)


def test_plan_van_aanpak_thousands_point():
    plan = read("ontwikkeltafel-mbo-twente-plan-van-aanpak-cijfers.csv")
    assert plan.title.startswith("Cijfers plan van aanpak")
    frame = plan.observations
    assert frame["value"].tolist() == [21000, 1200]
    assert set(frame["period"]) == {"2019"}


# ============================================================================================
# Variants
# ============================================================================================


def test_dutch_excel_windows_1252_decimal_comma_and_accents():
    plan = read("dutch-excel-cp1252.csv")
    assert plan.encoding == "cp1252"
    frame = plan.observations
    in_2021 = frame[frame["period"] == "2021"]
    assert in_2021["category"].tolist() == [
        "Súdwest-Fryslân",
        "Noardeast-Fryslân",
        "De Fryske Marren",
        "Enschede",
        "Onbekend (geen adres, café-opvang)",
    ]
    assert in_2021["municipality_code"].tolist() == ["GM1900", "GM1970", "GM1940", "GM0153", None]
    assert in_2021["value"].tolist()[:4] == [98.5, 87.25, 1012.5, 112.4]
    assert np.isnan(in_2021["value"].tolist()[4])  # empty: missing, not 0
    assert any("bewaard als ontbrekend, niet als 0" in n for n in plan.notices)


def test_dutch_thousands_in_a_semicolon_file_are_thousands():
    # Every cell of the year columns looks like a number: they must still reach the Dutch
    # parser as the text in the file, not as floats pandas read with a decimal point.
    plan = read("dutch-thousands-semicolon.csv")
    assert plan.refused == []
    assert values(plan, "2020") == {"Enschede": 1234, "Hengelo": 2300, "Almelo": 900}
    assert values(plan, "2021") == {"Enschede": 1456, "Hengelo": 2500, "Almelo": 950}
    assert not any("punt als decimaalteken" in n for n in plan.notices)


def test_csv_cells_are_read_as_the_text_in_the_file():
    plan = read_text("Gemeente;2020;2020\nEnschede;2.300;2.300\n")
    assert values(plan) == {"Enschede": 2300}
    assert messages(plan) == [
        "Rij 2, kolom '2020' ('2.300'): dubbele waarde: zelfde periode als kolom '2020'."
    ]


def test_years_written_as_numbers_with_a_decimal_are_periods():
    plan = read_text("Gemeente;2020.0;2021.0\nEnschede;35;40\n")
    assert plan.observations["period"].tolist() == ["2020", "2021"]
    assert plan.observations["value"].tolist() == [35, 40]


def test_a_value_no_monitoring_figure_can_have_is_refused():
    plan = read("big-value.csv")
    assert values(plan) == {"Enschede": 5}
    assert messages(plan) == [
        "Rij 2, kolom '2020' ('1,0E+28'): getal te groot: Handvat leest getallen kleiner dan "
        "1.000.000.000.000.000. Kijk of het getal in de cel klopt."
    ]
    data = _workbook([["Periode", "Waarde"], [2022, 1e300], [2023, 12]])
    plan = read_indicator_file(data, "groot.xlsx")
    assert plan.observations["value"].tolist() == [12]
    assert [r.reason.split(":")[0] for r in plan.refused] == ["getal te groot"]


def test_dutch_thousands_with_a_total_that_adds_up():
    plan = read("dutch-thousands-total.csv")
    assert values(plan, "2020") == {
        "Enschede": 1234,
        "Hengelo": 2300,
        "Almelo": 900,
        "Totaal": 4434,
    }
    assert not any("totaal" in n.lower() for n in plan.notices)


def test_utf8_without_bom_and_with_bom_read_the_same():
    text = "Woongemeente;2021\r\nEnschede;35\r\nHengelo;23\r\n"
    plain = read_text(text, encoding="utf-8")
    bom = read_indicator_file(codecs.BOM_UTF8 + text.encode(), "cijfers.csv")
    assert (plain.encoding, bom.encoding) == ("utf-8", "utf-8-sig")
    assert plain.observations.equals(bom.observations)
    assert bom.observations["category"].tolist() == ["Enschede", "Hengelo"]


def test_a_utf8_mark_in_front_of_windows_1252_is_no_text():
    """A file saved half in one encoding: the UTF-8 mark, then Windows-1252 text. The mark
    must not become part of the first cell ("ï»¿Indicator")."""
    text = "Indicator;Periode;Waarde\r\nCoördinatie;2021;5\r\n"
    plan = read_indicator_file(codecs.BOM_UTF8 + text.encode("cp1252"), "cijfers.csv")
    assert plan.encoding == "cp1252"
    assert plan.indicator_names == ["Coördinatie"]
    assert "ï»¿" not in plan.observations.to_csv()


def test_windows_1252_far_into_the_file():
    rows = "".join(f"Indicator {i};2021;{i}\r\n" for i in range(5000))
    text = "Indicator;Periode;Waarde\r\n" + rows + "Coördinatie;2021;5\r\n"
    plan = read_text(text, encoding="cp1252")
    assert plan.encoding == "cp1252"
    assert plan.indicator_names[-1] == "Coördinatie"


def test_utf16_tab_separated_excel_unicode_text():
    text = "Gemeente\t2021\t2022\r\nSúdwest-Fryslân\t12\t13\r\n"
    plan = read_indicator_file(text.encode("utf-16"), "cijfers.txt")
    assert (plan.encoding, plan.delimiter) == ("utf-16", "\t")
    assert plan.observations["municipality_code"].tolist() == ["GM1900", "GM1900"]


def test_comma_separated_with_decimal_point():
    plan = read("comma-decimal-point.csv")
    assert plan.delimiter == ","
    assert plan.layout == "long"
    assert plan.observations["value"].tolist() == [1234.5, 987.25, 1012.0, 1301.0]
    assert plan.observations["period"].tolist() == ["2021", "2021", "2021", "2022"]
    assert plan.indicator_names == ["Uren jeugdhulp per 1000 jongeren"]
    assert "De getallen hebben een punt als decimaalteken (zoals 12.5)." in plan.notices


def test_comma_separated_with_dutch_thousands_only():
    # Nothing in the file uses the point as a decimal mark: 1.234 is 1234.
    plan = read("comma-thousands-only.csv")
    assert plan.delimiter == ","
    assert plan.refused == []
    assert values(plan, "2020") == {"Enschede": 1234, "Hengelo": 2300, "Almelo": 900}
    assert values(plan, "2021") == {"Enschede": 1456, "Hengelo": 2500, "Almelo": 950}
    assert (
        "De punt in getallen zoals '1.234' is gelezen als scheiding tussen duizendtallen "
        "(1.234 is 1234): nergens in het bestand is de punt een decimaalteken." in plan.notices
    )


def test_comma_separated_with_quoted_dutch_numbers():
    # Google Sheets with a Dutch locale: the decimal comma is quoted, thousands have a point.
    plan = read("comma-dutch-thousands.csv")
    assert plan.refused == []
    assert values(plan, "2020") == {"Enschede": 1234, "Hengelo": 2300, "Almelo": 1234.5}
    assert values(plan, "2021") == {"Enschede": 1456, "Hengelo": 2500, "Almelo": 900}
    assert "De getallen hebben een komma als decimaalteken (zoals '1.234,5')." in plan.notices


def test_comma_separated_english_numbers_keep_working():
    plan = read_text('Groep,2020,2021\nA,12.5,"1,234.5"\nB,0.75,"1,234"\nC,3,0.125\n')
    assert plan.refused == []
    assert values(plan, "2020") == {"A": 12.5, "B": 0.75, "C": 3}
    assert values(plan, "2021") == {"A": 1234.5, "B": 1234, "C": 0.125}
    assert "De getallen hebben een punt als decimaalteken (zoals 12.5)." in plan.notices
    # Quoted thousands with a comma and nothing else: thousands.
    plan = read_text('Groep,2020\nA,"1,234"\nB,900\n')
    assert values(plan) == {"A": 1234, "B": 900}
    assert any("gelezen als scheiding tussen duizendtallen" in n for n in plan.notices)


def test_a_point_number_that_may_be_thousands_is_refused_when_the_point_is_also_a_decimal():
    plan = read_text("Groep,2020,2021\nA,1.234,12.5\nB,2.500,3\n")
    assert values(plan, "2021") == {"A": 12.5, "B": 3}
    assert messages(plan) == [
        "Rij 2, kolom '2020' ('1.234'): niet duidelijk of dit 1234 is of 1,234: elders in het "
        "bestand is de punt een decimaalteken (zoals '12.5'). Schrijf alle getallen op dezelfde "
        "manier, bijvoorbeeld door het bestand in Nederlandse Excel op te slaan als CSV met ';'.",
        "Rij 3, kolom '2020' ('2.500'): niet duidelijk of dit 2500 is of 2,5: elders in het "
        "bestand is de punt een decimaalteken (zoals '12.5'). Schrijf alle getallen op dezelfde "
        "manier, bijvoorbeeld door het bestand in Nederlandse Excel op te slaan als CSV met ';'.",
    ]
    assert not plan.can_import
    # With three decimals after a point elsewhere, 1.234 is a decimal number too.
    plan = read_text("Groep,2020,2021\nA,1.234,12.5\nB,2.500,0.125\n")
    assert plan.refused == []
    assert values(plan, "2020") == {"A": 1.234, "B": 2.5}


def test_semicolon_file_with_thousands_and_a_decimal_point_is_not_guessed():
    plan = read("semicolon-thousands-and-a-decimal-point.csv")
    assert [(r.row, r.column, r.value) for r in plan.refused] == [
        (2, "2020", "1.234"),
        (2, "2021", "1.456"),
        (3, "2021", "2.500"),
    ]
    assert all("niet duidelijk of dit" in r.reason for r in plan.refused)
    assert values(plan, "2020") == {"Hengelo": 12.5, "Almelo": 900}


def test_points_and_commas_both_unclear_in_a_comma_file():
    plan = read_text('Groep,2020\nA,1.234\nB,"5,678"\nC,12\n')
    assert values(plan) == {"C": 12}
    assert [r.value for r in plan.refused] == ["1.234", "5,678"]
    assert all("niet duidelijk of dit" in r.reason for r in plan.refused)


def test_a_decimal_mark_unlike_the_rest_of_the_file_says_so():
    plan = read_text("Groep;2020\nA;12,5\nB;7,25\nC;3.5\n")
    assert messages(plan) == [
        "Rij 4, kolom '2020' ('3.5'): geen getal: hier is de punt het decimaalteken, maar in de "
        "rest van het bestand de komma (zoals '12,5'). Schrijf 3,5."
    ]


def test_semicolon_file_with_decimal_points_is_recognised():
    plan = read_text("Indicator;Periode;Waarde\nA;2021;12.5\nB;2021;0.75\nC;2021;3\n")
    assert plan.observations["value"].tolist() == [12.5, 0.75, 3.0]
    assert any("punt als decimaalteken" in n for n in plan.notices)


def test_empty_cells_are_missing_not_zero():
    plan = read("empty-cells.csv")
    frame = plan.observations
    assert len(frame) == 12  # the empty line between the rows is skipped
    assert frame["value"].isna().sum() == 6
    losser = frame[frame["category"] == "Losser"]
    assert len(losser) == 3 and losser["value"].isna().all()  # kept, as missing
    assert frame[frame["category"] == "Almelo"]["value"].tolist()[0] == 12
    assert "6 cellen zonder getal ('', '.', '-' of 'n.v.t.') zijn bewaard als ontbrekend, " in (
        " ".join(plan.notices) + " "
    ).replace("niet als 0.", "")
    assert not frame["suppressed"].any()


def test_duo_suppressed_counts_institution_and_municipality():
    plan = read("duo-mbo-instelling-woongemeente.csv")
    frame = plan.observations
    assert plan.indicator_names == ["Duo mbo instelling woongemeente"]
    assert frame["category"].tolist()[:2] == ["ROC van Twente – Almelo"] * 2
    assert frame["municipality_code"].tolist() == [
        "GM0141",
        "GM0141",
        "GM0153",
        "GM0153",
        "GM1900",
        "GM1900",
        "GM0158",
        "GM0158",
        "GM0164",
        "GM0164",
    ]
    assert frame["suppressed"].sum() == 4
    assert frame[frame["suppressed"]]["value"].isna().all()
    assert frame["value"].tolist()[:4] == [1843, 1902, 4210, 4188]
    assert "4 cellen zijn afgeschermd ('<5', 'x' of '*') en bewaard zonder getal." in plan.notices
    assert plan.can_import


def test_a_lone_star_is_a_hidden_value():
    plan = read("suppressed-marks.csv")
    assert plan.refused == []
    hengelo = plan.observations[plan.observations["category"] == "Hengelo"]
    assert hengelo["suppressed"].tolist() == [True, False]
    assert np.isnan(hengelo["value"].tolist()[0])
    assert "3 cellen zijn afgeschermd ('<5', 'x' of '*') en bewaard zonder getal." in plan.notices
    plan = read_text("Groep;2020;2021\nA;17*;**\n")
    assert plan.observations["provisional"].tolist() == [True, False]
    assert plan.observations["suppressed"].tolist() == [False, True]


def test_cbs_provisional_column():
    plan = read("cbs-provisional.csv")
    frame = plan.observations
    assert sorted(set(frame["period"])) == ["2021", "2022", "2023"]
    assert frame["provisional"].tolist() == [False, False, True] * 4
    assert set(frame[frame["provisional"]]["column"]) == {"2023*"}
    assert frame["category"].tolist()[::3] == ["Nederland", "Enschede", "Hengelo", "Bergen (NH.)"]
    assert frame["municipality_code"].tolist()[::3] == [None, "GM0153", "GM0164", "GM0373"]
    bergen_2023 = frame[(frame["category"] == "Bergen (NH.)") & (frame["period"] == "2023")]
    assert bergen_2023["suppressed"].tolist() == [True]
    assert plan.source == "CBS StatLine"
    assert "Voetnoot in rij 8 is niet gelezen: '* Voorlopige cijfers'." in plan.notices


def test_cbs_statline_export_codes():
    plan = read("cbs-statline-export.csv")
    assert plan.layout == "long"
    assert plan.indicator_names == ["MboStudenten"]
    frame = plan.observations
    assert frame["period"].tolist() == ["2022"] * 4 + ["2023"] * 2
    assert frame["category"].tolist() == [
        "Nederland",
        "Overijssel",
        "Enschede",
        "Hengelo",
        "Enschede",
        "Hengelo",
    ]
    assert frame["municipality_code"].tolist() == [None, None] + ["GM0153", "GM0164"] * 2
    assert frame["value"].tolist()[:4] == [512345, 40210, 6210, 3010]
    assert np.isnan(frame["value"].tolist()[5])  # "." is missing
    assert "Kolom 'ID' is niet gelezen." in plan.notices


def test_unknown_municipality_is_refused():
    plan = read("unknown-municipality.csv")
    assert messages(plan) == ["Rij 3, kolom 'Gemeente' ('Hengeloo'): onbekende gemeente."]
    assert not plan.can_import
    frame = plan.observations
    assert frame["category"].tolist() == ["Enschede", "Almelo", "Overige gemeenten"]
    assert frame["municipality_code"].tolist() == ["GM0153", "GM0141", None]


def test_duplicate_row_is_refused_naming_the_first():
    plan = read("duplicate-row.csv")
    assert messages(plan) == [
        "Rij 4, kolom 'Waarde' ('4.980'): dubbele rij: zelfde indicator, periode en categorie "
        "als rij 2."
    ]
    assert plan.refused[0] == Refusal(
        4, "Waarde", "4.980", "dubbele rij: zelfde indicator, periode en categorie als rij 2"
    )
    assert len(plan.observations) == 2


def test_one_period_written_three_ways():
    plan = read("period-three-ways.csv")
    assert plan.observations["period"].tolist() == ["2021", "2021", "2021"]
    assert plan.can_import


def test_one_period_written_three_ways_makes_a_duplicate():
    plan = read("period-three-ways-duplicate.csv")
    assert messages(plan) == [
        "Rij 4, kolom 'Waarde' ('52'): dubbele rij: zelfde indicator, periode en categorie als "
        "rij 2."
    ]


def test_the_same_municipality_written_two_ways_makes_a_duplicate():
    plan = read_text("Gemeente;Periode;Aantal\nHengelo;2021;5\nGM0164;2021;6\n")
    assert [r.reason for r in plan.refused] == [
        "dubbele rij: zelfde indicator, periode en categorie als rij 2"
    ]


def test_dates_in_a_csv_read_as_in_an_xlsx():
    text = (
        "Periode;Waarde\n1-1-2021;1\n01-02-2021;2\n2021-03-01;3\n1/4/2021;4\n"
        "2021-05-01 00:00:00;5\n15-6-2021;6\n"
    )
    plan = read_text(text)
    assert plan.observations["period"].tolist() == [
        "2021-01",
        "2021-02",
        "2021-03",
        "2021-04",
        "2021-05",
    ]
    assert messages(plan) == [
        "Rij 7, kolom 'Periode' ('15-6-2021'): een datum, geen periode. Handvat leest een datum "
        "alleen als het de eerste van een maand is (1-3-2021 is maart 2021). Schrijf de periode "
        "als jaar, kwartaal of maand, bijvoorbeeld juni 2021."
    ]
    rows = [["Periode", "Waarde"], [date(2021, 1, 1), 1], [date(2021, 6, 15), 6]]
    plan = read_indicator_file(_workbook(rows), "datums.xlsx")
    assert plan.observations["period"].tolist() == ["2021-01"]
    assert [r.reason.split(".")[0] for r in plan.refused] == ["een datum, geen periode"]


def test_an_unknown_period_says_which_periods_are_read():
    plan = read("periods-odd.csv")
    assert plan.observations["period"].tolist() == ["2021-01", "2021-09", "2020/2021", "2019"]
    assert [r.row for r in plan.refused] == [3, 4, 5, 7, 8, 9]  # 4 and 7: the same month again
    refused = {r.value: r.reason for r in plan.refused}
    assert refused["t/m okt 2021"] == (
        "onbekende periode. Handvat leest jaren (2021), schooljaren (2021/2022), halfjaren "
        "(1e halfjaar 2021), kwartalen (2e kwartaal 2021) en maanden (maart 2021, 2021-03 of "
        "1-3-2021)"
    )
    assert refused["31-12-2021"].startswith("een datum, geen periode.")
    assert "1-1-2021" not in refused


def test_the_same_period_in_two_columns_is_a_duplicate_value():
    plan = read_text("Gemeente;2021;2021JJ00\nEnschede;5;5\n")
    assert messages(plan) == [
        "Rij 2, kolom '2021JJ00' ('5'): dubbele waarde: zelfde periode als kolom '2021'."
    ]


def test_refusal_messages():
    plan = read("refusals.csv")
    assert messages(plan) == [
        "Rij 3, kolom 'Waarde' ('abc'): geen getal.",
        "Rij 4, kolom 'Periode' ('Vorig jaar (2020)'): onbekende periode. Handvat leest jaren "
        "(2021), schooljaren (2021/2022), halfjaren (1e halfjaar 2021), kwartalen (2e kwartaal "
        "2021) en maanden (maart 2021, 2021-03 of 1-3-2021).",
        "Rij 5: te weinig cellen (2 van de 4).",
        "Rij 6, kolom 'Waarde' ('- 3'): geen getal.",
    ]
    assert len(plan.observations) == 1
    assert not plan.can_import


def test_refusal_message_forms():
    assert Refusal(12, "Waarde", "abc", "geen getal").message == (
        "Rij 12, kolom 'Waarde' ('abc'): geen getal."
    )
    assert Refusal(12, None, None, "te weinig cellen (2 van de 4)").message == (
        "Rij 12: te weinig cellen (2 van de 4)."
    )
    assert Refusal(None, "Periode", None, "geen periode").message == (
        "Kolom 'Periode': geen periode."
    )
    assert Refusal(None, None, None, "geen getal").message == "Geen getal."
    assert Refusal(3, "Waarde", "", "geen getal").message == "Rij 3, kolom 'Waarde': geen getal."


def test_a_total_that_differs_from_its_parts_gives_a_notice_not_a_refusal():
    plan = read_text("Afgesloten;2020;2021\nAfgehaakt;10;24\nAnders;7;4\nTotaal;17;30\n")
    assert plan.can_import
    assert plan.notices == [
        "Het totaal in rij 4, kolom '2021' is 30, maar de getallen erbij tellen samen op tot 28."
    ]


def test_totals_with_decimals_are_compared_too():
    plan = read_text("Uren;2020;2021\nA;1,5;1,234\nB;2,25;2,3\nTotaal;4,5;4,434\n")
    assert plan.notices == [
        "Het totaal in rij 4, kolom '2020' is 4,5, maar de getallen erbij tellen samen op tot "
        "3,75.",
        "Het totaal in rij 4, kolom '2021' is 4,434, maar de getallen erbij tellen samen op tot "
        "3,534.",
    ]
    # Parts rounded to the decimals shown may add up to a little more or less than the total.
    plan = read_text("Uren;2020;2021\nA;1,3;0,33\nB;2,3;0,33\nC;1,1;0,33\nTotaal;4,8;1\n")
    assert not any("totaal" in n.lower() for n in plan.notices)


def test_totals_with_missing_parts_or_percentages_are_not_compared():
    plan = read_text("Afgesloten;2020;2021\nAfgehaakt;10;\nAnders;7;4%\nTotaal;17;30\n")
    assert not any("totaal" in n.lower() for n in plan.notices)
    plan = read_text("Afgesloten;2020\nAfgehaakt;<5\nAnders;7\nTotaal;9\n")
    assert not any("totaal" in n.lower() for n in plan.notices)


def test_long_file_with_municipality_and_category_totals_per_municipality():
    text = (
        "Indicator;Periode;Gemeente;Categorie;Waarde\n"
        "Jeugdhulp;2021;Enschede;Man;10\n"
        "Jeugdhulp;2021;Enschede;Vrouw;12\n"
        "Jeugdhulp;2021;Enschede;Totaal;22\n"
        "Jeugdhulp;2021;Almelo;Man;3\n"
        "Jeugdhulp;2021;Almelo;Vrouw;4\n"
        "Jeugdhulp;2021;Almelo;Totaal;8\n"
    )
    plan = read_text(text)
    assert plan.observations["category"].tolist()[:3] == [
        "Enschede – Man",
        "Enschede – Vrouw",
        "Enschede – Totaal",
    ]
    assert plan.observations["municipality_code"].tolist() == ["GM0153"] * 3 + ["GM0141"] * 3
    assert plan.observations["is_total"].tolist() == [False, False, True] * 2
    assert plan.notices == [
        "Het totaal in rij 7, kolom 'Waarde' is 8, maar de getallen erbij tellen samen op tot 7."
    ]


# ============================================================================================
# Files that are no table
# ============================================================================================


def test_empty_file():
    assert unreadable(b"", "cijfers.csv") == "Het bestand is leeg."
    assert unreadable(b" \r\n\r\n", "cijfers.csv") == "Het bestand is leeg."
    assert unreadable((FIXTURES / "empty.csv").read_bytes(), "empty.csv") == "Het bestand is leeg."


def test_prose_is_no_table():
    message = unreadable((FIXTURES / "prose.csv").read_bytes(), "prose.csv")
    assert message.startswith("In 'prose.csv' is geen tabel gevonden.")


def test_png_renamed_csv():
    message = unreadable((FIXTURES / "image-renamed.csv").read_bytes(), "image-renamed.csv")
    assert message == (
        "'image-renamed.csv' is geen tabel maar een afbeelding. Handvat leest tabellen uit een "
        ".xlsx- of CSV-bestand."
    )


def test_pdf_renamed_csv():
    message = unreadable((FIXTURES / "pdf-renamed.csv").read_bytes(), "pdf-renamed.csv")
    assert "is geen tabel maar een PDF-bestand" in message


@pytest.mark.parametrize("name", ["old-excel.xls", "oud.xlsx", "oud.csv"])
def test_old_xls_by_its_content(name):
    data = (FIXTURES / "old-excel.xls").read_bytes()
    assert unreadable(data, name) == (
        "Oude Excel-bestanden (.xls) kan Handvat niet lezen. "
        "Sla het bestand op als .xlsx of als CSV."
    )


def test_other_files_that_are_no_table():

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert "geen tabel maar een Word-document" in unreadable(buffer.getvalue(), "cijfers.xlsx")
    assert "beschadigd" in unreadable(b"PK\x03\x04kapot", "cijfers.xlsx")
    assert "webpagina" in unreadable(b"<!DOCTYPE html><html><table>", "export.xls")
    assert "geen tabel" in unreadable(bytes(range(256)) * 4, "data.bin")


def test_a_table_without_rows_is_no_table():
    assert "geen tabel gevonden" in unreadable(b"Titel alleen\r\n", "cijfers.csv")


# ============================================================================================
# Excel
# ============================================================================================


def test_xlsx_merged_header_and_several_sheets():
    plan = read("merged-header-several-sheets.xlsx")
    assert (plan.file_kind, plan.sheet) == ("xlsx", "Cijfers")
    assert plan.sheets == ["Toelichting", "Cijfers", "Preventie"]
    assert (
        plan.notices[0] == "Gelezen: werkblad 'Cijfers'. Niet gelezen: 'Toelichting', 'Preventie'."
    )
    assert plan.title == "Unieke jongeren met lichte behandeling"
    assert plan.header_row == 3
    frame = plan.observations
    assert frame["period"].tolist() == ["2020", "2021"] * 4
    assert frame["row"].tolist() == [5, 5, 6, 6, 7, 7, 8, 8]
    assert (
        frame["municipality_code"].tolist()[:6] == ["GM0141"] * 2 + ["GM0153"] * 2 + ["GM0164"] * 2
    )
    assert values(plan, "2021") == {"Almelo": 10, "Enschede": 35, "Hengelo": 23, "Totaal": 68}


def test_xlsx_chosen_sheet_needs_a_period():
    data = (FIXTURES / "merged-header-several-sheets.xlsx").read_bytes()
    message = unreadable(data, "cijfers.xlsx", sheet="preventie")
    assert "geen periode" in message and "Vul de periode in" in message
    plan = read("merged-header-several-sheets.xlsx", sheet="Preventie", period="2021")
    assert plan.sheet == "Preventie"
    assert values(plan) == {
        "Voorlichting studenten": 11,
        "Deskundigheidsbevordering medewerkers": 6,
    }
    assert plan.indicator_names == ["Preventieactiviteiten"]
    assert "Periode 2021: zoals opgegeven." in plan.notices


def test_xlsx_unknown_sheet():
    data = (FIXTURES / "merged-header-several-sheets.xlsx").read_bytes()
    assert unreadable(data, "cijfers.xlsx", sheet="Blad9") == (
        "Het werkblad 'Blad9' staat niet in het bestand. Werkbladen: 'Toelichting', 'Cijfers', "
        "'Preventie'."
    )


def test_xlsx_percentage_format_numbers_and_dates():
    plan = read("percent-format.xlsx")
    frame = plan.observations
    assert frame["value"].tolist() == [24.0, 185.0, 12.0, 3.5]
    assert frame["is_percentage"].tolist() == [True, False, False, False]
    assert frame["period"].tolist() == ["2021", "2021", "2023-03", "2021"]


def _workbook(rows: list[list], start: str = "A1") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    column = ord(start[0]) - 64
    first = int(start[1:])
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                ws.cell(first + i, column + j, value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _with_sheet(sheet: bytes) -> bytes:
    """A workbook whose first sheet's XML is ``sheet`` (deflated)."""
    source = zipfile.ZipFile(io.BytesIO(_workbook([["Periode", "Waarde"], [2021, 5]])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, sheet if info.filename.endswith("sheet1.xml") else data)
    return buffer.getvalue()


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """``data`` with the unpacked size of member ``name`` declared as ``size`` (a lie)."""
    data = bytearray(data)
    encoded = name.encode()
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)  # local header
    at = data.find(b"PK\x01\x02")
    while at >= 0:  # central directory entries
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + length]) == encoded:
            struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


@pytest.fixture
def nothing_reads_the_cells(monkeypatch):
    """Fails the test when the Excel library or the percentage pass touches the data."""
    import python_calamine

    from app.indicators import importer

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was read")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", refuse)
    monkeypatch.setattr(importer, "_percent_cells", refuse)


def test_xlsx_zip_bomb_is_refused_before_it_is_read(nothing_reads_the_cells):
    sheet = b"<worksheet>" + b"\x00" * (30 * 1024 * 1024) + b"</worksheet>"
    data = _with_sheet(sheet)
    assert len(data) < 100_000
    assert unreadable(data, "cijfers.xlsx") == (
        "'cijfers.xlsx' wordt uitgepakt meer dan 200 keer zo groot. Zo ziet een tabel met "
        "cijfers er niet uit: Handvat leest het bestand niet. Open het in Excel en sla het "
        "opnieuw op als .xlsx of als CSV."
    )


def test_xlsx_that_unpacks_beyond_the_limit_is_refused(monkeypatch, nothing_reads_the_cells):
    from app.indicators import importer

    monkeypatch.setattr(importer, "MAX_XLSX_UNPACKED", 2 * 1024 * 1024)
    rows = "".join(f"<row><c><v>{i * 7919 % 100_003}</v></c></row>" for i in range(120_000))
    data = _with_sheet(f"<worksheet>{rows}</worksheet>".encode())
    assert unreadable(data, "cijfers.xlsx") == (
        "'cijfers.xlsx' is te groot: uitgepakt is het meer dan 2 MB. Zoveel leest Handvat niet "
        "in één keer. Sla alleen het werkblad met de cijfers op, als .xlsx of als CSV, of "
        "verdeel de cijfers over meer bestanden."
    )
    # A member that declares less than it holds is counted as it unpacks.
    data = _declare_size(data, "xl/worksheets/sheet1.xml", 1000)
    assert unreadable(data, "cijfers.xlsx") == (
        "'cijfers.xlsx' is een beschadigd Excel-bestand. Open het in Excel en sla het opnieuw "
        "op als .xlsx of als CSV."
    )


def test_a_real_50000_row_workbook_is_well_within_the_limit():
    import xlsxwriter

    from app.indicators.importer import MAX_XLSX_RATIO, MAX_XLSX_UNPACKED

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Cijfers")
    sheet.write_row(0, 0, ["Indicator", "Periode", "Gemeente", "Categorie", "Aantal", "Bron"])
    for i in range(1, 50_001):
        row = [f"Indicator {i % 50}", str(2010 + i % 14), "Enschede", f"Groep {i % 11}"]
        sheet.write_row(i, 0, [*row, i * 7919 % 100_003, "Kennispunt Twente"])
    workbook.close()
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    unpacked = sum(info.file_size for info in archive.infolist())
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    assert unpacked * 5 < MAX_XLSX_UNPACKED
    assert sheet.file_size / sheet.compress_size * 10 < MAX_XLSX_RATIO


def test_xlsx_numeric_municipality_codes_and_rows_as_in_excel():
    data = _workbook(
        [["Gemeentecode", "Jaar", "Aantal"], [153, 2021, 35], [164, 2021, 23], [9999, 2021, 1]],
        start="C4",
    )
    plan = read_indicator_file(data, "codes.xlsx")
    assert plan.header_row == 4
    assert plan.observations["municipality_code"].tolist() == ["GM0153", "GM0164"]
    assert plan.observations["row"].tolist() == [5, 6]
    assert messages(plan) == ["Rij 7, kolom 'Gemeentecode' ('9999'): onbekende gemeente."]


def test_formulas_without_a_saved_value_are_refused_saying_so():
    plan = read("formulas-without-values.xlsx")
    reason = (
        "formule zonder opgeslagen uitkomst. Open het bestand in Excel en sla het op: dan "
        "bewaart Excel de uitkomsten van de formules."
    )
    assert messages(plan) == [
        f"Rij 2, kolom '2020' ('=10+25'): {reason}",
        f"Rij 3, kolom 'Gemeente' ('=HYPERLINK(\"http://evil.example\",\"Hengelo\")'): {reason}",
        f"Rij 4, kolom '2021' ('=B4*2'): {reason}",
    ]
    assert not any("zonder getal" in n for n in plan.notices)
    assert values(plan, "2021") == {"Enschede": 40}


def test_a_row_of_formulas_without_saved_values_is_not_skipped_as_empty():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Groep", "2020", "2021"])
    ws.append(["A", 1, 2])
    ws.append(["=A2", "=B2*2", "=C2*2"])
    buffer = io.BytesIO()
    wb.save(buffer)
    plan = read_indicator_file(buffer.getvalue(), "formules.xlsx")
    assert [(r.row, r.column, r.value) for r in plan.refused] == [
        (3, "Groep", "=A2"),
        (3, "2020", "=B2*2"),
        (3, "2021", "=C2*2"),
    ]
    # A formula whose saved result is empty text is an empty cell, as Excel shows it.
    data = _with_sheet(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Groep</t></is></c>'
        b'<c r="B1"><v>2021</v></c><c r="C1"><v>2022</v></c></row><row r="2"><c r="A2" '
        b't="inlineStr"><is><t>A</t></is></c><c r="B2" t="str"><f>IF(1,"","")</f><v></v></c>'
        b'<c r="C2"><f>1+1</f><v>2</v></c></row></sheetData></worksheet>'
    )
    plan = read_indicator_file(data, "leeg.xlsx")
    assert plan.refused == []
    assert plan.observations["value"].tolist()[1:] == [2]
    assert np.isnan(plan.observations["value"].tolist()[0])


def test_a_formula_without_a_saved_value_far_outside_the_table():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in (["Groep", "2020"], ["A", 1], ["B", 2]):
        ws.append(row)
    ws["A200000"] = "=B2*2"
    buffer = io.BytesIO()
    wb.save(buffer)
    assert unreadable(buffer.getvalue(), "ver.xlsx") == (
        "In 'ver.xlsx' staan formules zonder opgeslagen uitkomst, ver buiten de tabel (cel "
        "A200000). Open het bestand in Excel en sla het op: dan bewaart Excel de uitkomsten "
        "van de formules."
    )


def test_an_ambiguous_municipality_name_says_how_to_write_it():
    plan = read_text("Gemeente;2021\nBergen;9\nBergen (NH.);4\nGM0893;2\n")
    assert messages(plan) == [
        "Rij 2, kolom 'Gemeente' ('Bergen'): niet duidelijk welke gemeente: 2 gemeenten "
        "heten zo. Schrijf 'Bergen (NH.)' of 'Bergen (L.)', of de CBS-code (GM0373 of GM0893)."
    ]
    assert plan.observations["municipality_code"].tolist() == ["GM0373", "GM0893"]
    plan = read_text("Gemeente;2021\nBergenhoek;9\nEnschede;3\n")
    assert messages(plan) == ["Rij 2, kolom 'Gemeente' ('Bergenhoek'): onbekende gemeente."]


def test_duo_style_municipality_numbers():
    text = "GEMEENTENUMMER;2022\n153;12\n1735;3\n"
    plan = read_text(text)
    assert plan.observations["municipality_code"].tolist() == ["GM0153", "GM1735"]
    assert plan.observations["category"].tolist() == ["Enschede", "Hof van Twente"]


def test_xlsx_empty_header_cell_is_named_by_its_letter():
    data = _workbook(
        [["Indicator", "Periode", None], ["A", 2021, "abc"], ["B", 2021, 5], ["C", 2021, 6]]
    )
    plan = read_indicator_file(data, "x.xlsx", ImportOptions(layout="long"))
    assert messages(plan) == ["Rij 2, kolom 'C' ('abc'): geen getal."]


# ============================================================================================
# Options
# ============================================================================================


def test_options_indicator_names_a_wide_table():
    plan = read("kennispunt-twente-woongemeente-2021.csv", indicator="Studenten per woonplaats")
    assert plan.indicator_names == ["Studenten per woonplaats"]


def test_options_period_for_measure_columns_without_a_title():
    text = "Woongemeente;Aantal\nEnschede;35\nHengelo;23\n"
    message = unreadable(text.encode(), "woongemeente.csv")
    assert message.startswith("In dit bestand staat geen periode")
    plan = read_text(text, name="woongemeente.csv", period="schooljaar 2021/2022")
    assert set(plan.observations["period"]) == {"2021/2022"}
    assert plan.indicator_names == ["Woongemeente"]
    assert "geen periode die Handvat kent" in unreadable(text.encode(), "w.csv", period="ooit")


def test_indicator_name_from_the_file_name():
    plan = read_text("Gemeente;2020;2021\nEnschede;1;2\n", name="afsluitredenen_2020-2021.csv")
    assert plan.indicator_names == ["Afsluitredenen"]


def test_layout_option():
    with pytest.raises(ValueError):
        read_text("a;b\n1;2\n", layout="diagonal")
    message = unreadable(b"Categorie;Omschrijving\nA;iets\n", "x.csv", layout="long")
    assert "geen kolom met perioden" in message


def test_max_rows():
    text = "Indicator;Periode;Waarde\n" + "".join(f"A{i};2021;{i}\n" for i in range(300))
    with pytest.raises(UnreadableFile, match="meer dan 100 rijen"):
        read_indicator_file(text.encode(), "x.csv", max_rows=100)
    data = _workbook(
        [["Indicator", "Periode", "Waarde"]] + [[f"A{i}", 2021, i] for i in range(300)]
    )
    with pytest.raises(UnreadableFile, match="meer dan 100 rijen"):
        read_indicator_file(data, "x.xlsx", max_rows=100)


def test_read_indicator_file_max_rows_parameter_is_keyword():
    text = "Indicator;Periode;Waarde\nA;2021;1\n"
    plan = read_indicator_file(text.encode(), "x.csv", None, None, max_rows=10)
    assert len(plan.observations) == 1


@pytest.mark.parametrize(
    ("encoding", "newline"), [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r\n")]
)
def test_too_few_cells_in_any_encoding(encoding, newline):
    lines = ["Indicator;Periode;Waarde", "Coördinatie;2021;5", "Coördinatie;2022", "Overleg;2022;"]
    data = (newline.join(lines) + newline).encode(encoding)
    plan = read_indicator_file(data, "x.csv")
    assert messages(plan) == ["Rij 3: te weinig cellen (2 van de 3)."]
    assert plan.observations["indicator"].tolist() == ["Coördinatie", "Overleg"]
    assert np.isnan(plan.observations["value"].tolist()[1])  # an empty cell: missing


def test_merged_header_keeps_the_headers_beside_it():
    text = "Gemeente;Jaar;;Toelichting\n;2020;2021;\nEnschede;1;2;klopt\n"
    plan = read_text(text)
    assert plan.observations["period"].tolist() == ["2020", "2021"]
    assert "Kolom 'Toelichting' is niet gelezen: de kop is geen periode." in plan.notices


def test_quoted_line_breaks_and_wider_rows_further_down():
    text = 'Indicator;Periode;Waarde\n"Twee\nregels";2021;5\nB;2021;6\n'
    plan = read_text(text)
    assert plan.indicator_names == ["Twee\nregels".replace("\n", " "), "B"]
    rows = "".join(f"A{i};2021;{i}\n" for i in range(400))
    wide = read_text("Indicator;Periode;Waarde\n" + rows + "Z;2021;1;extra\n")
    assert len(wide.observations) == 401


# ============================================================================================
# Nothing is dropped silently
# ============================================================================================


def _named_rows(plan: ImportPlan) -> set[int]:
    named = set(plan.observations["row"].tolist()) | {r.row for r in plan.refused}
    for notice in plan.notices:
        named |= {int(n) for n in re.findall(r"(?:rij|Regel) (\d+)", notice)}
    return named


def _csv_rows(path: Path, plan: ImportPlan) -> list[int]:
    """Rows below the header with any text, but the "Bron:" line read into ``plan.source``."""
    text = path.read_bytes().decode(plan.encoding)
    rows = []
    for i, line in enumerate(text.splitlines(), start=1):
        content = line.replace(plan.delimiter, "").replace('"', "").strip()
        if i <= plan.header_row or not content:
            continue
        if plan.source and content.startswith("Bron") and plan.source in content:
            continue
        rows.append(i)
    return rows


def _xlsx_rows(path: Path, plan: ImportPlan) -> list[int]:
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True)[plan.sheet]
    return [
        i
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
        if i > plan.header_row and any(v not in (None, "") for v in row)
    ]


TABLES = sorted(
    p.name
    for p in FIXTURES.iterdir()
    if p.suffix in (".csv", ".xlsx")
    and p.name not in {"empty.csv", "prose.csv", "image-renamed.csv", "pdf-renamed.csv"}
)


@pytest.mark.parametrize("name", TABLES)
def test_every_data_row_is_accounted_for(name):
    path = FIXTURES / name
    plan = read_indicator_file(path.read_bytes(), name)
    rows = _xlsx_rows(path, plan) if name.endswith(".xlsx") else _csv_rows(path, plan)
    if name == "merged-header-several-sheets.xlsx":
        rows = [r for r in rows if r != plan.header_row + 1]  # the second header row
    assert rows, name
    assert set(rows) <= _named_rows(plan), name


# ============================================================================================
# Anything at all: a plan or a Dutch message, never a crash
# ============================================================================================

_CELLS = st.sampled_from(
    [
        "",
        " ",
        "2021",
        "2022*",
        "2021JJ00",
        "Q2 2023",
        "2021/2022",
        "Periode",
        "Jaar",
        "Waarde",
        "Aantal",
        "Percentage",
        "Indicator",
        "Gemeente",
        "Categorie",
        "Enschede",
        "GM0153",
        "Hengelo (O.)",
        "Hengeloo",
        "Anders & onbekend",
        "Totaal",
        "Bron: CBS",
        "12",
        "1.234",
        "12,5",
        "12.5",
        "24%",
        "<5",
        "x",
        ".",
        "-",
        "abc",
        '"a;b"',
        "ë",
        "€ 5",
    ]
)
_ROWS = st.lists(st.lists(_CELLS, min_size=0, max_size=5), min_size=0, max_size=12)


@settings(max_examples=300, deadline=None)
@given(_ROWS, st.sampled_from([";", ",", "\t"]), st.sampled_from(["\n", "\r\n"]))
def test_any_small_table_gives_a_plan_or_a_dutch_message(rows, delimiter, newline):
    text = newline.join(delimiter.join(row) for row in rows)
    try:
        plan = read_indicator_file(text.encode("utf-8"), "fuzz.csv")
    except UnreadableFile as exc:
        assert str(exc)
        return
    assert list(plan.observations.columns) == OBSERVATION_COLUMNS
    assert plan.layout in ("long", "wide")
    assert all(r.message.endswith(".") for r in plan.refused)
    for row in set(plan.observations["row"]) | {r.row for r in plan.refused if r.row}:
        assert plan.header_row < row <= len(rows)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_plan_or_a_dutch_message(data):
    try:
        read_indicator_file(data, "fuzz.csv")
    except UnreadableFile as exc:
        assert str(exc)
