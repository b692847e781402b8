"""PDF benchmark: the action list with 1,000 action points against a bare reportlab table.

Handvat's figure comes from ``app.exports.pdf.render_action_list_pdf``; the baseline is the
least reportlab needs for the same rows: ``SimpleDocTemplate`` with one ``Table`` (plain
strings, Paragraphs where text must wrap, ``repeatRows=1``), measured in the same run.

Two Handvat figures:

* render only: ``render_action_list_pdf(document)`` for a prepared ``ActionListDocument``;
* end to end: ``GET /gesprekken/1/actielijst.pdf`` through the Flask test client, so including
  the queries, building the document and the response (no network, no gunicorn), with the
  export cache off so that every request renders (``export_bench.py`` measures the cache).
  The request carries a signed-in session of the benchmark account (``signed_in_cookie``).

Run from the project root, with the virtualenv active::

    python bench/pdf_bench.py             # about a minute
    python bench/pdf_bench.py --runs 9
"""

from __future__ import annotations

import argparse
import io
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

from _common import (
    Row,
    load_average,
    machine_summary,
    prepare_database,
    print_table,
    scratch_dir,
    signed_in_client,
    signed_in_cookie,
)

ACTION_COUNT = 1_000
MAX_RATIO = 1.5

# --------------------------------------------------------------------------------------------
# 1,000 realistic action points
# --------------------------------------------------------------------------------------------

_SUBJECTS = [
    "Werkgroep met de zorgverzekeraar starten over ggz voor studenten van 18 jaar en ouder",
    "Proces- en financieringsvoorstel opstellen voor de inzet van hulpverleners op het ROC",
    "Analyse zorg binnen het mbo afronden met cijfers van mbo en gemeenten",
    "Bestaande samenwerkingsmodellen in het land samenvatten voor het bestuurlijk overleg",
    "Vast overleg starten tussen Loopbaancentrum, jeugdconsulenten en hulpverleners",
    "Afspraken maken over de overgang van 18- naar 18+ (Jeugdwet, Wmo, zorgverzekering)",
    "In kaart brengen welke scholing, coaching en intervisie er al is voor begeleiders",
    "Indicatoren vooraf en achteraf vastleggen, zoals het aantal begeleide jongeren",
    "Contactpersoon per gemeente aanwijzen voor signalen van het mbo",
    "Privacyafspraken over gegevensdeling tussen school en wijkteam op papier zetten",
]
_DETAILS = [
    "",
    "Terugkoppeling in het volgende bestuurlijk overleg.",
    "Eerst bespreken met de teamleiders van de opleidingen en de jeugdconsulenten.",
    "Zie ook de resultaten van de pilot met Tactus en Mediant (2020-2021); neem de lessen "
    "daaruit mee en leg vast wat we anders doen.",
    "Let op: de financiering loopt tot en met 31-12; daarna is een nieuw besluit nodig van "
    "alle veertien gemeenten, het ROC en de zorgverzekeraar.",
]
_OWNERS = [
    ("P. Bosch", "Menzis"),
    ("K. Mulder", "OZJT (Samen14)"),
    ("A. de Vries", "Kennispunt Twente"),
    ("S. Kamphuis", "Gemeente Almelo"),
    ("M. Nijhuis", "ROC van Twente"),
    ("R. Wessels", "Gemeente Borne"),
    ("E. Scholten", "Mediant"),
    ("L. Kuipers", "Tactus Verslavingszorg"),
    ("J. van den Berg-Oude Wolbers", "Gemeente Hof van Twente, team Jeugd en Onderwijs"),
    ("", ""),
]


def action_data(count: int = ACTION_COUNT) -> list:
    """``count`` varied action points (fixed seed): short and long descriptions, some over
    several lines, most tied to a question, some to a phase only, some to neither."""
    from app.actions.models import ActionPriority, ActionStatus, EmbeddingPlace
    from app.actions.operations import ActionData
    from app.questionnaires.registry import current_questionnaire

    questionnaire = current_questionnaire().questionnaire
    question_ids = [q.id for p in questionnaire.phases for q in p.questions]
    phase_ids = [p.id for p in questionnaire.phases]
    rng = random.Random(20261123)
    actions = []
    for n in range(1, count + 1):
        description = f"{rng.choice(_SUBJECTS)} (punt {n})."
        detail = rng.choice(_DETAILS)
        if detail:
            description += ("\n" if rng.random() < 0.4 else " ") + detail
        owner_name, owner_organisation = rng.choice(_OWNERS)
        where = rng.random()
        status = rng.choice(list(ActionStatus))
        # An embedded action says where (the operations refuse one that does not).
        embedded_in = rng.choice(list(EmbeddingPlace)) if status is ActionStatus.EMBEDDED else None
        actions.append(ActionData(
            description=description,
            question_id=rng.choice(question_ids) if where < 0.75 else None,
            phase_id=rng.choice(phase_ids) if 0.75 <= where < 0.9 else None,
            owner_name=owner_name,
            owner_organisation=owner_organisation,
            due_date=date(2026, 12, 1) + timedelta(days=rng.randrange(400))
            if rng.random() < 0.85 else None,
            status=status,
            priority=rng.choice(list(ActionPriority)),
            embedded_in=embedded_in,
            embedded_reference="Begroting 2027, p. 12" if embedded_in else "",
        ))  # fmt: skip
    return actions


# --------------------------------------------------------------------------------------------
# The baseline: one bare reportlab table of the same rows
# --------------------------------------------------------------------------------------------


def baseline_pdf(rows) -> bytes:
    """SimpleDocTemplate + one Table: the same 1,000 rows, nothing else.

    Paragraphs only where text must wrap (the action, the phase and question); everything else
    is a plain string, which reportlab draws in the table's font without laying it out.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    style = getSampleStyleSheet()["BodyText"].clone("cell", fontSize=9, leading=11.5)

    def para(text: str) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    data: list[list] = [["Nr.", "Actie", "Fase / vraag", "Trekker", "Uiterlijk", "Status"]]
    for r in rows:
        data.append([
            str(r.number),
            para(f"{r.description}\nPrioriteit: {r.priority}"),
            para("\n".join(t for t in (r.phase, r.question) if t) or "-"),
            "\n".join(t for t in (r.owner_name, r.owner_organisation) if t) or "-",
            r.due_date.strftime("%d-%m-%Y") if r.due_date else "-",
            r.status,
        ])  # fmt: skip
    widths = [w * cm for w in (0.9, 6.1, 3.8, 3.0, 1.7, 1.5)]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
    ]))  # fmt: skip
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm,
        bottomMargin=2 * cm,
    ).build([table])  # fmt: skip
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    label: str
    wall: list[float]
    cpu: list[float]
    pages: int
    size: int

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    def describe(self) -> str:
        return (
            f"  {self.label:<40} median {self.median:6.3f} s over {len(self.wall)} runs "
            f"(min {min(self.wall):.3f}, max {max(self.wall):.3f}; "
            f"CPU median {statistics.median(self.cpu):.3f} s); "
            f"{self.pages} pages, {self.size / 1024:,.0f} KiB"
        )


def timed(runs: int, makers: dict[str, Callable[[], bytes]]) -> dict[str, Timing]:
    """Each maker once to warm up, then ``runs`` rounds of all makers in turn, so that other
    work on the machine falls on every figure alike. Wall-clock and CPU seconds per call."""
    pdfs = {label: make() for label, make in makers.items()}
    for label, pdf in pdfs.items():
        if not pdf.startswith(b"%PDF"):
            raise RuntimeError(f"{label}: not a PDF")
    wall: dict[str, list[float]] = {label: [] for label in makers}
    cpu: dict[str, list[float]] = {label: [] for label in makers}
    for _ in range(runs):
        for label, make in makers.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            make()
            cpu[label].append(time.process_time() - start_cpu)
            wall[label].append(time.perf_counter() - start)
    return {
        label: Timing(label, wall[label], cpu[label], page_count(pdfs[label]), len(pdfs[label]))
        for label in makers
    }


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (default 5)")
    parser.add_argument("--actions", type=int, default=ACTION_COUNT, help="(default 1000)")
    parser.add_argument("--no-end-to-end", action="store_true", help="skip the HTTP figure")
    args = parser.parse_args()

    print("Handvat PDF benchmark")
    print("machine:", machine_summary(("reportlab", "flask", "sqlalchemy")))
    print(f"{load_average()} at the start")

    with scratch_dir() as scratch:
        app = prepare_database(scratch / "handvat.sqlite")
        # Render on every request (the export cache would serve the rounds after the first;
        # ``export_bench.py`` measures that), and keep the app out of ``instance/``.
        app.config["EXPORT_CACHE_ENABLED"] = False
        app.config["EXPORT_CACHE_FOLDER"] = str(scratch / "export-cache")
        from app.actions.operations import add_action
        from app.actions.queries import actions_of
        from app.conversations.queries import get_conversation_or_404
        from app.exports.pdf import render_action_list_pdf
        from app.exports.queries import action_list_document
        from app.extensions import db

        cookie = signed_in_cookie(app)
        # Signed in: every read of a conversation checks the user's role in its region.
        with app.test_request_context(headers={"Cookie": cookie}):
            conversation = get_conversation_or_404(1)
            # The demo has eight actions; bring the list to exactly ``args.actions``.
            missing = args.actions - len(actions_of(conversation))
            for data in action_data(missing):
                add_action(conversation, data)
            db.session.commit()
            conversation = get_conversation_or_404(1)
            document = action_list_document(conversation, actions_of(conversation))
            db.session.remove()
        print(
            f"document: {len(document.actions):,} actions, {len(document.participants)} "
            f"participants, {sum(len(s.questions) for s in document.sections)} questions"
        )

        client = signed_in_client(app, cookie)

        def end_to_end() -> bytes:
            response = client.get("/gesprekken/1/actielijst.pdf")
            if response.status_code != 200 or response.mimetype != "application/pdf":
                raise RuntimeError(f"actielijst.pdf answered {response.status_code}")
            return response.data

        n = f"{len(document.actions):,}"
        makers = {
            "baseline (one bare Table)": lambda: baseline_pdf(document.actions),
            "Handvat render only": lambda: render_action_list_pdf(document),
        }
        if not args.no_end_to_end:
            makers["Handvat end to end (GET actielijst.pdf)"] = end_to_end
        print(f"\nAction list PDF, {n} actions ({args.runs} rounds after a warm-up)")
        timings = timed(args.runs, makers)
        for timing in timings.values():
            print(timing.describe())
        base, *handvat = timings.values()
        names = {"Handvat render only": "render only"}
        rows = [
            Row(f"PDF {n} actions: {names.get(t.label, 'end to end')}", t.median, base.median,
                "s", "max_ratio", MAX_RATIO)
            for t in handvat
        ]  # fmt: skip

    print(f"\n{load_average()} at the end")
    passed = print_table("Results (seconds per export, median; ratio = Handvat / baseline)", rows)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
