"""Writes kennispunt-twente-factsheet-2021.xlsx: the factsheet's other tables, one per sheet,
as a monitoring bureau would send them. Run once; the workbook is committed beside it.

    python app/demo/indicators/make_workbook.py
"""

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

SOURCE = "Bron: Kennispunt Twente, factsheet Resultaten inzet hulpverleners op ROC 2021"

#: Sheets whose every figure is a share, written as Excel percentages.
PERCENT_SHEETS = {"Onderwerpen"}

SHEETS = {
    "Behandeling gestart": (
        "Gestarte behandelingen per maand",
        ["Behandeling gestart", 2020, 2021],
        [
            ["Januari", 18, 17],
            ["Februari", 24, 7],
            ["Maart", 17, 8],
            ["April", 5, 10],
            ["Mei", 4, 9],
            ["Juni", 5, 15],
            ["Juli", 6, 3],
            ["Augustus", 3, 0],
            ["September", 6, 8],
            ["Oktober", 5, 2],
            ["November", 7, 0],
            ["December", 5, 0],
        ],
    ),
    "Onderwerpen": (
        # Each year's top 5; a topic outside a year's top 5 has no figure there (not zero).
        # The factsheet: "Top 5 meestvoorkomende onderwerpen (% van de casussen)".
        "Top 5 onderwerpen van de behandelingen",
        ["Onderwerp", 2020, 2021],
        [
            ["Drugverslaving", 0.23, 0.23],
            ["Ontwikkelingsproblematiek", 0.23, 0.18],
            ["Persoonlijkheid / karakter", 0.23, 0.20],
            ["Familie", 0.18, 0.10],
            ["Zelfbeeld", 0.14, None],
            ["Psychotrauma", None, 0.11],
        ],
    ),
    "Leeftijd": (
        "Geholpen studenten naar leeftijd 2021",
        ["Leeftijd studenten", "Aantal", "Percentage"],
        [
            ["17", 12, 0.11],
            ["18", 16, 0.15],
            ["19", 21, 0.20],
            ["20", 20, 0.19],
            ["21", 7, 0.07],
            ["22", 12, 0.11],
            ["23 en ouder", 17, 0.16],
        ],
    ),
    "Opleidingsniveau": (
        "Geholpen studenten naar mbo-niveau 2021",
        ["Categorie opleidingsniveau", "Aantal"],
        [["MBO1", 4], ["MBO2", 11], ["MBO3", 22], ["MBO4", 67], ["Onbekend", 1], ["Totaal", 105]],
    ),
    "Consultaties": (
        "Consultaties van docenten en begeleiders 2021",
        ["Consultatieverzoeken per college", "Aantal"],
        [
            ["Loopbaanoriëntaties & Participatie (LO&P)", 34],
            ["Gezondheidszorg (GZ)", 4],
            ["Metaal, Electro & Installatietechniek", 5],
            ["Vormgeving, Mode & Media (VMM)", 3],
            ["Commercie & Ondernemen", 2],
            ["Onbekend", 1],
            ["Overig", 5],
            ["Totaal", 54],
        ],
    ),
    "Kerncijfers 2021": (
        "Kerncijfers 2021 (januari tot half oktober)",
        ["Indicator", "Periode", "Waarde"],
        [
            ["Jongeren geholpen door de hulpverleners op school", "2021", 105],
            # "17 preventieactiviteiten die tot nu toe dit jaar hebben plaatsgevonden": provisional.
            ["Preventieactiviteiten", "2021", "17*"],
        ],
    ),
}


def main() -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (title, header, rows) in SHEETS.items():
        sheet = workbook.create_sheet(name)
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([SOURCE])
        sheet.append([])
        sheet.append(header)
        for cell in sheet[4]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        if header[-1] == "Percentage":
            for (cell,) in sheet.iter_rows(min_row=5, min_col=3, max_col=3):
                cell.number_format = "0%"
        if name in PERCENT_SHEETS:
            for row in sheet.iter_rows(min_row=5, min_col=2):
                for cell in row:
                    cell.number_format = "0%"
        sheet.column_dimensions["A"].width = 44
    workbook.save(Path(__file__).with_name("kennispunt-twente-factsheet-2021.xlsx"))


if __name__ == "__main__":
    main()
