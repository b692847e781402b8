"""How long each indicator chart takes to build and to render as inline SVG (and PDF).

Run: python bench/indicator_charts.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing

from app.indicators.charts import Series, bar_chart, line_chart, sparkline, svg_markup

MONTHS = [
    "Januari", "Februari", "Maart", "April", "Mei", "Juni",
    "Juli", "Augustus", "September", "Oktober", "November", "December",
]  # fmt: skip
CLOSED = [
    "Afgehaakt",
    "Opgelost, student kan zelf verder",
    "Doorverwezen – gespecialiseerde GGZ",
    "Doorverwezen – gespecialiseerde verslavingszorg",
    "Doorverwezen – basis GGZ",
    "Doorverwezen – overig",
    "Anders",
]

CHARTS: dict[str, Callable[[], Drawing]] = {
    "bar: Afgesloten 2020/2021 (7 categories)": lambda: bar_chart(
        CLOSED, [Series("2020", [10, 21, 13, 7, 6, 5, 7]), Series("2021", [24, 23, 16, 5, 6, 5, 4])]
    ),
    "bar: 40 categories x 2 series": lambda: bar_chart(
        [f"Gemeente {i} met een lange naam" for i in range(40)],
        [
            Series("2020", [i * 3.5 for i in range(40)]),
            Series("2021", [i * 2.0 for i in range(40)]),
        ],
        unit="%",
    ),
    "line: Behandeling gestart per maand 2020/2021": lambda: line_chart(
        MONTHS,
        [
            Series("2020", [18, 24, 17, 5, 4, 5, 6, 3, 6, 5, 7, 5]),
            Series("2021", [17, 7, 8, 10, 9, 15, 3, 0, 8, 2, None, None]),
        ],
    ),
    "line: 30 half years x 3 series, target": lambda: line_chart(
        [f"{h}e halfjaar {2010 + i // 2}" for i, h in zip(range(30), [1, 2] * 15, strict=True)],
        [Series(f"Reeks {k}", [1000.0 * i + 250 * k for i in range(30)]) for k in range(3)],
        target=12500,
    ),
    "sparkline": lambda: sparkline([12, 14, None, 11, 9, 10, 8], baseline=12, target=7),
}


def _ms(function: Callable[[], object], repeat: int = 50) -> float:
    function()  # warm caches (fonts, number formats)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    print(f"{'chart':48} {'build':>8} {'+ SVG':>8} {'PDF':>8}  (median ms)")
    for name, build in CHARTS.items():
        drawing = build()
        build_ms = _ms(build)
        svg_ms = _ms(lambda build=build: svg_markup(build(), title="Grafiek"))
        pdf_ms = _ms(lambda drawing=drawing: renderPDF.drawToString(drawing), repeat=20)
        print(f"{name:48} {build_ms:8.2f} {svg_ms:8.2f} {pdf_ms:8.2f}")


if __name__ == "__main__":
    main()
