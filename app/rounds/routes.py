"""The next round of a conversation, the comparison of rounds, the next meeting's agenda."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from ..accounts.access import current_access
from ..accounts.roles import Permission
from ..actions.models import ActionStatus
from ..conversations.models import OrganisationType
from ..conversations.operations import InvalidChoice, ParticipantData, stored_details
from ..conversations.queries import get_conversation_or_404
from ..core.formatting import date_short, local_today
from ..core.forms import Outcome, revision_of
from ..core.paging import page_count, page_number
from ..exports.cache import rendered_export
from ..exports.limits import answer_export_limits
from ..extensions import db
from ..indicators.charts import svg_markup
from ..regions.operations import slugify
from ..regions.routes import get_region_or_404
from . import operations, queries
from .charts import phase_chart, question_chart
from .forms import NEWEST, SAME, NewRoundForm
from .pdf import render_agenda_pdf, render_comparison_pdf, renderer_digest

bp = Blueprint("rounds", __name__)

bp.add_app_template_global(queries.round_links, "round_links")


def _download(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# --- the next round -------------------------------------------------------------------------------


def _version_labels(options: operations.VersionOptions) -> list[tuple[str, str]]:
    """Both choices, also when the versions are the same (the page then shows no choice)."""
    newest = options.newest.questionnaire if options.differ else options.same
    return [
        (NEWEST, f"De nieuwste versie ({newest.version})"),
        (SAME, f"Dezelfde versie als de vorige ronde ({options.same.version})"),
    ]


def _phases(options: operations.VersionOptions) -> list:
    """The phases of both versions, the newest's first (ids are stable across versions)."""
    phases = list(options.newest.questionnaire.phases) if options.differ else []
    known = {p.id for p in phases}
    return phases + [p for p in options.same.phases if p.id not in known]


def _round_data(form: NewRoundForm, options, revision: int) -> operations.RoundData:
    return operations.RoundData(
        title=form.title.data,
        held_on=form.held_on.data,
        current_phase_id=form.current_phase_id.data,
        kept_participants=form.kept_indexes(),
        added_participants=[
            ParticipantData(
                row.name.data,
                row.organisation.data,
                OrganisationType(row.organisation_type.data),
                row.role.data or "",
            )
            for row in form.added_rows()
        ],
        based_on_details_revision=revision,
        use_newest_version=form.questionnaire_version.data != SAME,
    )


def _created_message(result: operations.RoundResult) -> tuple[str, str]:
    if result.outcome is Outcome.ALREADY_SAVED:
        return "Deze ronde was al gestart: u stuurde het formulier twee keer. Er is één.", "success"
    moved = len(result.moved_action_ids)
    parts = ["De nieuwe ronde is gestart."]
    if result.outcome is Outcome.SAVED_AS_NEW:
        parts = [
            "U had dit formulier al eerder verstuurd, met andere gegevens. Daarom is er nu een "
            f"tweede nieuwe ronde gestart: ‘{result.conversation.title}’. Verwijder de ronde "
            "die u niet wilt houden."
        ]
    if moved:
        parts.append(
            f"{moved} open actiepunt{'en' if moved != 1 else ''} "
            f"{'zijn' if moved != 1 else 'is'} meegenomen uit de vorige ronde."
        )
    else:
        parts.append("Er waren geen open actiepunten om mee te nemen.")
    if result.match and result.match.dropped:
        numbers = ", ".join(number for number, _ in result.match.dropped)
        parts.append(f"Deze vragen staan niet meer in de vragenlijst: {numbers}.")
    return " ".join(parts), ("warning" if result.outcome is Outcome.SAVED_AS_NEW else "success")


@bp.route("/gesprekken/<id:conversation_id>/nieuwe-ronde", methods=["GET", "POST"])
def new_round(conversation_id: int):
    previous = get_conversation_or_404(conversation_id, Permission.START_ROUND)
    options = operations.version_options(previous)
    stored = stored_details(previous.id)
    form = NewRoundForm()
    form.set_choices(stored.participants, _phases(options), _version_labels(options))
    conflict = False
    if request.method == "POST":
        _follow_date_with_title(form, previous)
    if request.method == "GET":
        _prefill(form, previous, stored)
    elif "add_participant" in request.form:
        if form.can_add_participant_row():
            form.participants.append_entry()
    elif revision_of(form.participants_revision) != stored.details_revision:
        conflict = _show_current_participants(form, stored)
    elif form.validate():
        result, conflict = _start(previous, form, options)
        if result is not None:
            db.session.commit()
            flash(*_created_message(result))
            return redirect(url_for("conversations.show", conversation_id=result.conversation.id))
    return _new_round_page(form, previous, options, conflict)


def _prefill(form: NewRoundForm, previous, stored) -> None:
    today = local_today()
    form.title.data = form.suggested_title.data = operations.default_title(previous, today)
    form.held_on.data = today
    form.current_phase_id.data = previous.current_phase_id
    form.questionnaire_version.data = NEWEST
    form.kept_participants.data = [str(i) for i in range(len(stored.participants))]
    form.participants_revision.data = str(stored.details_revision)


def _follow_date_with_title(form: NewRoundForm, previous) -> None:
    """A title left as suggested becomes the suggestion for the date sent with it: the form
    suggests one for today's date, and the user may well pick next year's."""
    suggested = (form.suggested_title.data or "").strip()
    if suggested and (form.title.data or "").strip() == suggested and form.held_on.data:
        form.title.data = form.suggested_title.data = operations.default_title(
            previous, form.held_on.data
        )


def _show_current_participants(form: NewRoundForm, stored) -> bool:
    """The previous round's participants changed since the form was shown: show them as they
    are now, all ticked, for the user to look at again. True: a conflict."""
    form.participants_revision.data = str(stored.details_revision)
    form.kept_participants.choices = NewRoundForm.participant_choices(stored.participants)
    form.kept_participants.data = [str(i) for i in range(len(stored.participants))]
    form.kept_participants.errors = []
    return True


def _start(previous, form: NewRoundForm, options):
    """(the result, or None when the form goes back; whether that is a conflict)."""
    try:
        result = operations.start_round(
            previous,
            _round_data(form, options, revision_of(form.participants_revision)),
            form.creation_token.token,
        )
    except operations.ParticipantsChanged as error:
        db.session.rollback()
        return None, _show_current_participants(form, error.current)
    except InvalidChoice:
        db.session.rollback()
        form.current_phase_id.errors = [
            "Deze fase staat niet in de gekozen versie van de vragenlijst. Kies een andere."
        ]
    except operations.TooManyParticipants:
        db.session.rollback()
        form.participants.errors = [
            f"Er kunnen maximaal {form.max_participants} deelnemers in één gesprek. Zet vinkjes "
            "uit of maak regels leeg."
        ]
    else:
        return result, False
    return None, False


def _new_round_page(form: NewRoundForm, previous, options, conflict: bool):
    chosen_before = operations.chosen_question_ids(previous.id)
    newest_match = None
    if options.differ:
        newest_match = operations.match_questions(
            chosen_before, previous.questionnaire, options.newest.questionnaire
        )
    return render_template(
        "rounds/new.html",
        form=form,
        previous=previous,
        options=options,
        same_match=operations.match_questions(chosen_before, previous.questionnaire, options.same),
        newest_match=newest_match,
        open_actions=operations.open_action_count(previous.id),
        conflict=conflict,
    ), (409 if conflict else 422 if form.errors else 200)


# --- comparing rounds -----------------------------------------------------------------------------


@bp.get("/gesprekken/<id:conversation_id>/vergelijking")
def comparison(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.VIEW)
    doc = queries.comparison_document(conversation)
    charts = []
    if doc.phases and len(doc.rounds) > 1:
        for make in (phase_chart, question_chart):
            drawing, title, description = make(doc)
            charts.append((title, svg_markup(drawing, title=title, description=description)))
    return render_template(
        "rounds/comparison.html", conversation=conversation, doc=doc, charts=charts
    )


@bp.get("/gesprekken/<id:conversation_id>/vergelijking.pdf")
def comparison_pdf(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.EXPORT)
    doc = queries.comparison_document(conversation)
    data = rendered_export(f"rounds-{renderer_digest()}-comparison.pdf", doc, render_comparison_pdf)
    return _download(
        data,
        f"vergelijking-{slugify(conversation.title)[:60]}-{date_short(conversation.held_on)}.pdf",
    )


# --- the next meeting's agenda --------------------------------------------------------------------


def _today() -> date:
    return local_today()


@bp.get("/regio/<slug>/agenda")
def agenda(slug: str):
    region = get_region_or_404(slug, Permission.VIEW)
    today = _today()
    total, _overdue = queries.agenda_counts(region, today)
    pages = page_count(total, queries.AGENDA_PAGE_SIZE)
    page = min(page_number(request.args.get("page")), pages)
    doc = queries.agenda_document(
        region,
        today,
        limit=queries.AGENDA_PAGE_SIZE,
        offset=(page - 1) * queries.AGENDA_PAGE_SIZE,
    )
    return render_template(
        "rounds/agenda.html",
        region=region,
        doc=doc,
        updated_id=_updated_on_this_page(doc),
        page=page,
        pages=pages,
        first=(page - 1) * queries.AGENDA_PAGE_SIZE + 1,
        can_update=_can(Permission.UPDATE_ACTIONS, region.id),
        status_choices=_status_choices(),
    )


def _updated_on_this_page(doc) -> int | None:
    """The action whose progress was just saved from this page (``?bijgewerkt=ID``), when it
    is still on it: its confirmation then stands beside it, where the page opens, instead of
    at the top, out of sight. An action closed meanwhile left the agenda: the top it is."""
    asked = request.args.get("bijgewerkt", "")
    shown = (a.action_id for owner in doc.owners for phase in owner.phases for a in phase.actions)
    return next((action_id for action_id in shown if str(action_id) == asked), None)


def _can(permission: Permission, region_id: int) -> bool:
    return current_access().allows(permission, region_id)


def _status_choices() -> list[tuple[str, str]]:
    return [("", "Blijft zoals hij is"), *ActionStatus.choices()]


@bp.get("/regio/<slug>/agenda.pdf")
def agenda_pdf(slug: str):
    region = get_region_or_404(slug, Permission.EXPORT)
    doc = queries.agenda_document(region, _today(), limit=queries.AGENDA_PDF_LIMIT)
    data = rendered_export(f"rounds-{renderer_digest()}-agenda.pdf", doc, render_agenda_pdf)
    return _download(data, f"agenda-{region.slug}-{date_short(doc.on)}.pdf")


# Exports are rendered in a slot and within a time budget (``exports/limits.py``).
answer_export_limits(
    bp,
    busy_message="Er wordt nu al een ander bestand gemaakt. Probeer het over een minuut "
    "opnieuw. Er is niets verloren gegaan.",
    slow_title="Dit bestand is te groot",
    slow_message="Het maken van dit bestand duurde te lang. Daarom zijn we gestopt. Er is niets "
    "verloren gegaan. U kunt dezelfde gegevens wel als webpagina bekijken en printen.",
    slow_retry=False,
)
