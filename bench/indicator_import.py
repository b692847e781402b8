"""Indicator import benchmark: reading a region's figures against bare pandas.

Handvat's figure is ``app.indicators.importer.read_indicator_file`` on the file's bytes: sniffing
the content, the encoding and the separator, finding the header, the layout and the columns,
parsing every period, municipality and value, and building the plan (observations, refusals,
notices; duplicates and totals checked). The baseline reads the same bytes with bare pandas:

* CSV: ``pandas.read_csv(…, sep=";", decimal=",", thousands=".", encoding="utf-8")``, which
  parses the numbers but checks nothing;
* .xlsx: ``pandas.read_excel(…, engine="calamine")``.

The files are generated in a temporary directory (fixed seed) and removed afterwards:

* a long CSV as Dutch Excel saves it (";", decimal comma, thousands point, UTF-8): 50 indicators
  × 10 years × the 14 Twente municipalities × 14 categories and a "Totaal" (the sum of the
  others for counts), cut at 100,000 rows; counts with thousands points for 35 indicators,
  rates with a decimal comma for 15, a few empty cells;
* a long .xlsx of 10,000 rows (numbers as numbers), written with xlsxwriter.

Run from the project root, with the virtualenv active::

    python bench/indicator_import.py            # about 10 s
    python bench/indicator_import.py --runs 9 --csv-rows 200000
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _common import Row, load_average, machine_summary, print_table, scratch_dir

MAX_RATIO = 3.0

from app.demo.content import TWENTE_MUNICIPALITIES as TWENTE  # noqa: E402

CATEGORIES = [
    "Man",
    "Vrouw",
    "0-11 jaar",
    "12-17 jaar",
    "18-22 jaar",
    "MBO1",
    "MBO2",
    "MBO3",
    "MBO4",
    "Afgehaakt",
    "Doorverwezen – basis GGZ",
    "Doorverwezen – gespecialiseerde GGZ",
    "Loopbaanoriëntaties & Participatie",
    "Onbekend",
]
INDICATORS = [f"Indicator {i:02d}: jongeren met jeugdhulp, variant {i}" for i in range(1, 51)]


def _dutch(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def long_csv(rows: int, seed: int = 20261123) -> bytes:
    """The long CSV, Dutch Excel style, cut at ``rows`` data rows."""
    rng = random.Random(seed)
    lines = ["Indicator;Periode;Gemeente;Categorie;Waarde"]
    round_ = 0
    while len(lines) <= rows:
        # More rows than one round holds: the next round has other indicators (the same ones
        # again would be duplicates).
        names = [f"{name} ({round_ + 1})" if round_ else name for name in INDICATORS]
        for number, indicator in enumerate(names):
            counts = number < 35
            for year in range(2014, 2024):
                for municipality in TWENTE:
                    total = 0
                    for category in CATEGORIES:
                        if counts:
                            value = rng.randrange(0, 5000)
                            total += value
                            text = _dutch(value, 0)
                        else:
                            text = _dutch(rng.uniform(0, 100), 1)
                        if rng.random() < 0.003:
                            text = ""  # missing
                        lines.append(f"{indicator};{year};{municipality};{category};{text}")
                    if counts:
                        lines.append(f"{indicator};{year};{municipality};Totaal;{_dutch(total, 0)}")
        round_ += 1
    return ("\n".join(lines[: rows + 1]) + "\n").encode("utf-8")


def long_xlsx(path: Path, rows: int, seed: int = 20261124) -> bytes:
    import xlsxwriter

    rng = random.Random(seed)
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Cijfers")
    sheet.write_row(0, 0, ["Indicator", "Periode", "Gemeente", "Categorie", "Waarde"])
    r = 0
    while r < rows:
        indicator = INDICATORS[r // 1960 % len(INDICATORS)]
        year = 2014 + (r // 196) % 10
        municipality = TWENTE[(r // 14) % 14]
        category = CATEGORIES[r % 14]
        value = rng.randrange(0, 5000) if r % 3 else round(rng.uniform(0, 100), 1)
        sheet.write_row(r + 1, 0, [indicator, year, municipality, category, value])
        r += 1
    workbook.close()
    return path.read_bytes()


def best_of(runs: int, makers: dict[str, Callable[[], object]]) -> dict[str, float]:
    """One warm-up call of each, then ``runs`` rounds in which they take turns; the best
    wall-clock time of each."""
    for make in makers.values():
        make()
    best = dict.fromkeys(makers, float("inf"))
    for _ in range(runs):
        for label, make in makers.items():
            start = time.perf_counter()
            make()
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5, best of)")
    parser.add_argument("--csv-rows", type=int, default=100_000, help="(default 100000)")
    parser.add_argument("--xlsx-rows", type=int, default=10_000, help="(default 10000)")
    args = parser.parse_args()

    import pandas as pd

    from app.indicators.importer import read_indicator_file

    print("Handvat indicator import benchmark")
    print("machine:", machine_summary(("pandas", "numpy", "python-calamine")))
    print(f"{load_average()} at the start")

    rows: list[Row] = []
    with scratch_dir() as scratch:
        csv_data = long_csv(args.csv_rows)
        (scratch / "cijfers.csv").write_bytes(csv_data)
        xlsx_data = long_xlsx(scratch / "cijfers.xlsx", args.xlsx_rows)

        for kind, data, n, baseline in (
            (
                "csv",
                csv_data,
                args.csv_rows,
                lambda d=csv_data: pd.read_csv(
                    io.BytesIO(d), sep=";", decimal=",", thousands=".", encoding="utf-8"
                ),
            ),
            (
                "xlsx",
                xlsx_data,
                args.xlsx_rows,
                lambda d=xlsx_data: pd.read_excel(io.BytesIO(d), engine="calamine"),
            ),
        ):
            name = f"cijfers.{kind}"
            plan = read_indicator_file(data, name)
            frame = baseline()
            if len(plan.observations) != n or plan.refused or len(frame) != n:
                raise RuntimeError(
                    f"{kind}: {len(plan.observations)} observations, {len(plan.refused)} "
                    f"refused, pandas {len(frame)} rows; expected {n} and none refused"
                )
            print(
                f"\n{kind}: {len(data) / 1e6:.1f} MB, {n:,} rows, {len(plan.indicator_names)} "
                f"indicators, {plan.observations['is_total'].sum():,} totals, "
                f"{int(plan.observations['value'].isna().sum()):,} missing; notices: "
                f"{len(plan.notices)}"
            )
            best = best_of(
                args.runs,
                {"pandas": baseline, "import": lambda d=data, m=name: read_indicator_file(d, m)},
            )
            ratio = best["import"] / best["pandas"]
            print(
                f"{kind} {n} rows: pandas {best['pandas']:.3f} s, import {best['import']:.3f} s, "
                f"ratio {ratio:.1f} (target <= {MAX_RATIO:g})"
            )
            rows.append(
                Row(f"{kind} {n:,} rows: read_indicator_file", best["import"], best["pandas"], "s",
                    "max_ratio", MAX_RATIO)
            )  # fmt: skip

    print(f"\n{load_average()} at the end")
    passed = print_table(f"Results (seconds, best of {args.runs}; ratio = Handvat / pandas)", rows)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
