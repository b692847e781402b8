"""The facilitator's side of a workshop: opening it, the control page, the projector.

Every route needs ``RUN_CONVERSATION`` in the conversation's region (the projector too: it shows
what the room wrote). Commands are POST forms that call one operation, commit once and go back
to the control page with a 303, at the question they were about. What an operation refuses
(``WorkshopError``, a Dutch message) comes back as a flash message; an id that is not part of the
workshop is a 400.

The projector and the control page stay live by polling ``/stand`` (the workshop's revision, with
an ETag) and fetching their live part again when it changed (``static/js/workshop-room.js``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.access import current_access
from ..accounts.roles import Permission
from ..conversations.operations import ANSWER_MAX_CHARACTERS, EditConflict, InvalidChoice
from ..conversations.queries import get_conversation_or_404, stored_answer
from ..conversations.revisions import raise_revisions
from ..core.forms import revision_of
from ..core.models import utcnow
from ..extensions import db
from . import (
    models,  # noqa: F401  (the tables belong to the app's metadata)
    operations,
    queries,
)
from .forms import (
    CommandForm,
    ContributionForm,
    DraftActionForm,
    MergeForm,
    OpenWorkshopForm,
    ParticipantForm,
    QuestionCommandForm,
    SettingsForm,
    SwitchForm,
    TableAnswerForm,
    TimerForm,
    submitted_id,
)
from .models import Contribution, ContributionKind, Workshop, WorkshopParticipant
from .qr import join_qr_svg

bp = Blueprint("workshops", __name__)

#: How many contributions the projector shows; the rest are on the phones.
PROJECTOR_CONTRIBUTIONS = 8
#: The heading above the room's contributions under a table's answer. Saving again replaces
#: what follows it, so the list is never added twice.
ROOM_CONTRIBUTIONS_HEADING = "Bijdragen uit de zaal (workshop {code}):"
#: The draft action point's fields get a prefix: the answer form on the same page has a ``text``.
DRAFT_PREFIX = "voorstel"


# --- shared pieces ---------------------------------------------------------------------------


def _workshop(workshop_id: int) -> Workshop:
    return queries.get_workshop_or_404(workshop_id, Permission.RUN_CONVERSATION)


def join_url(workshop: Workshop) -> str:
    """The address a phone opens: what the QR code holds and the projector shows."""
    return url_for("workshop_participants.phone", code=workshop.join_code, _external=True)


def _join_qr(workshop: Workshop):
    return join_qr_svg(
        join_url(workshop),
        f"QR-code om mee te doen. Scan hem met de camera van uw telefoon, of ga naar het adres "
        f"en vul de code {workshop.join_code} in.",
    )


def seconds_left(workshop: Workshop) -> int | None:
    """Seconds until the timer ends (0 when it has run out), None when no timer runs."""
    ends = workshop.timer_ends_dt
    if ends is None:
        return None
    if ends.tzinfo is None:  # SQLite gives naive UTC back
        ends = ends.replace(tzinfo=UTC)
    return max(0, math.ceil((ends - utcnow()).total_seconds()))


def _question_ids(workshop: Workshop) -> list[str]:
    return [q.question_id for q in workshop.questions]


def _number(workshop: Workshop, question_id: str | None) -> str:
    return workshop.conversation.questionnaire.question_numbers.get(question_id or "", "")


def _back(workshop: Workshop, question_id: str | None = None, anchor: str | None = None):
    """303 to the control page, at the question the command was about."""
    if question_id is None:
        return redirect(url_for(".control", workshop_id=workshop.id, _anchor=anchor), 303)
    return redirect(
        url_for(
            ".control",
            workshop_id=workshop.id,
            vraag=question_id,
            _anchor=anchor or f"vraag-{question_id}",
        ),
        303,
    )


def _run(
    workshop: Workshop,
    command: Callable[[], object],
    success: str | Callable[[object], str] | None,
    question_id: str | None = None,
    anchor: str | None = None,
):
    """Run one operation, commit, say what happened and go back to the control page."""
    try:
        result = command()
    except operations.WorkshopError as error:
        db.session.rollback()
        flash(str(error), "warning")
    except (InvalidChoice, ValueError):
        db.session.rollback()
        abort(400)
    else:
        db.session.commit()
        message = success(result) if callable(success) else success
        if message:
            flash(message, "success")
    return _back(workshop, question_id, anchor)


def _checked(form) -> None:
    """A command form that does not validate can only have come from outside the page."""
    if not form.validate():
        abort(400)


def conversation_workshops(conversation_id: int) -> list[queries.WorkshopListing]:
    """The conversation page's list of workshops (the conversations feature does not import
    this one; it calls this template global)."""
    return queries.workshops_of_conversation(conversation_id)


bp.add_app_template_global(conversation_workshops, "conversation_workshops")


# --- opening a workshop ----------------------------------------------------------------------


@bp.route("/gesprekken/<id:conversation_id>/workshop/nieuw", methods=["GET", "POST"])
def new(conversation_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.RUN_CONVERSATION)
    cap = current_app.config["WORKSHOP_PARTICIPANT_CAP"]
    form = OpenWorkshopForm()
    form.set_cap(cap)
    if request.method == "POST" and form.validate():
        token = form.creation_token.token
        earlier = _workshop_with_token(token)
        try:
            workshop = operations.open_workshop(
                conversation, current_access().user, form.settings(), token, cap_limit=cap
            )
        except IntegrityError:
            # The same form, sent twice at the same moment: the other request opened it.
            db.session.rollback()
            workshop = _workshop_with_token(token)
            if workshop is None or workshop.conversation_id != conversation.id:
                flash(
                    "Het openen van de workshop lukte net niet. Er is niets veranderd. "
                    "Klik nog een keer op ‘Workshop openen’.",
                    "warning",
                )
                return redirect(url_for(".new", conversation_id=conversation.id), 303)
            earlier = workshop
        except operations.WorkshopError as error:
            db.session.rollback()
            flash(str(error), "warning")
            return redirect(url_for(".new", conversation_id=conversation.id), 303)
        if earlier is not None and earlier.id == workshop.id:
            flash("Deze workshop was al geopend: u stuurde het formulier twee keer.", "success")
        else:
            # The conversation page lists its workshops and is cached per revision.
            raise_revisions(db.session, {conversation.id})
            flash(
                f"De workshop is geopend. Laat de zaal meedoen met de code {workshop.join_code}.",
                "success",
            )
        workshop_id = workshop.id
        db.session.commit()
        return redirect(url_for(".control", workshop_id=workshop_id), 303)
    return render_template(
        "workshops/open.html",
        form=form,
        conversation=conversation,
        has_questions=bool(conversation.selected_questions),
    ), (422 if form.errors else 200)


def _workshop_with_token(token: str | None) -> Workshop | None:
    if not token:
        return None
    return db.session.scalar(select(Workshop).where(Workshop.creation_token == token))


# --- the control page ------------------------------------------------------------------------


@dataclass
class PhaseGroup:
    id: str
    name: str
    states: list[queries.QuestionState]

    @property
    def all_open(self) -> bool:
        return all(s.is_open for s in self.states)

    @property
    def any_open(self) -> bool:
        return any(s.is_open for s in self.states)


def _phase_groups(workshop: Workshop, states: list[queries.QuestionState]) -> list[PhaseGroup]:
    phase_of = workshop.conversation.questionnaire.phase_of_question
    groups: dict[str, PhaseGroup] = {}
    for state in states:
        phase = phase_of[state.question.id]
        groups.setdefault(phase.id, PhaseGroup(phase.id, phase.name, [])).states.append(state)
    return list(groups.values())


#: The control page lists at most this many contributions of a question (the most dotted, or
#: the newest); a link shows them all. Its live part is fetched again with every vote, so what
#: one fetch returns must not grow with the room: 550 contributions were 26 MB.
CONTROL_LIST_SIZE = 100


@dataclass(frozen=True)
class ListChoice:
    """How the control page lists a question's contributions: from the address, so the page
    works without JavaScript and the script fetches the same list again."""

    #: Every visible contribution, not only the first ``CONTROL_LIST_SIZE``.
    show_all: bool = False
    #: Newest first (to spot what just came in), else the most dotted first.
    newest_first: bool = False
    #: The hidden contributions in full, not only their number.
    show_hidden: bool = False

    @classmethod
    def from_args(cls, args) -> ListChoice:
        return cls(
            show_all=args.get("alle") == "1",
            newest_first=args.get("volgorde") == "nieuw",
            show_hidden=args.get("verborgen") == "1",
        )

    def args(self, **changes: bool) -> dict[str, str]:
        """The query arguments of this choice, with ``changes`` applied."""
        show_all = changes.get("show_all", self.show_all)
        newest_first = changes.get("newest_first", self.newest_first)
        show_hidden = changes.get("show_hidden", self.show_hidden)
        return {
            **({"alle": "1"} if show_all else {}),
            **({"volgorde": "nieuw"} if newest_first else {}),
            **({"verborgen": "1"} if show_hidden else {}),
        }


@dataclass
class LiveQuestion:
    """A question as the control page follows it: the room's spread and contributions."""

    state: queries.QuestionState
    spread: operations.Spread
    #: The visible contributions listed (each with the duplicates merged into it): all of
    #: them, or the first ``CONTROL_LIST_SIZE`` in the chosen order.
    contributions: list[queries.ContributionView]
    #: How many visible contributions the question has.
    total: int
    #: The hidden ones (listed only when asked for) and how many there are.
    hidden: list[queries.ContributionView]
    hidden_count: int
    choice: ListChoice

    @property
    def is_selection(self) -> bool:
        return len(self.contributions) < self.total


def _selected_question_id(workshop: Workshop, requested: str | None) -> str | None:
    """The question the control page looks at: asked for, else the one on the projector."""
    ids = _question_ids(workshop)
    if requested in ids:
        return requested
    if workshop.current_question_id in ids:
        return workshop.current_question_id
    return ids[0] if ids else None


def _live_question(
    workshop: Workshop,
    states: list[queries.QuestionState],
    question_id: str | None,
    choice: ListChoice,
) -> LiveQuestion | None:
    state = next((s for s in states if s.question.id == question_id), None)
    if state is None:
        return None
    ranked = queries.contributions(workshop, [question_id], include_hidden=True)
    views = ranked.get(question_id, [])
    visible = [c for c in views if not c.hidden]
    hidden = [c for c in views if c.hidden]
    if choice.newest_first:
        visible.sort(key=lambda c: -c.id)
    shown = visible if choice.show_all else visible[:CONTROL_LIST_SIZE]
    return LiveQuestion(
        state,
        operations.room_spread(workshop, question_id),
        shown,
        len(visible),
        sorted(hidden, key=lambda c: c.id) if choice.show_hidden else [],
        len(hidden),
        choice,
    )


def _live_context(workshop: Workshop, question_id: str | None) -> dict:
    """What the control page's live part shows (the page and the fragment)."""
    states = queries.question_states(workshop)
    selected = _selected_question_id(workshop, question_id)
    choice = ListChoice.from_args(request.args)

    def list_url(fragment: bool = False, **changes: bool) -> str:
        """The control page (or its live part) at the selected question, listed as chosen
        with ``changes``."""
        if fragment:
            return url_for(
                ".control_live", workshop_id=workshop.id, vraag=selected, **choice.args(**changes)
            )
        return url_for(
            ".control",
            workshop_id=workshop.id,
            vraag=selected,
            **choice.args(**changes),
            _anchor=f"bijdragen-{selected}",
        )

    return {
        "workshop": workshop,
        "conversation": workshop.conversation,
        "states": states,
        "live": _live_question(workshop, states, selected, choice),
        "selected_id": selected,
        "connected": queries.connected_count(workshop),
        "answered": queries.answered_counts(workshop),
        "seconds_left": seconds_left(workshop),
        "scale": workshop.conversation.questionnaire.assessment_scale,
        "is_open": workshop.is_open(),
        "list_url": list_url,
        "control_list_size": CONTROL_LIST_SIZE,
        "phases": _phase_groups(workshop, states),
    }


def _answer_form(workshop: Workshop, question_id: str | None) -> TableAnswerForm:
    """The answer form with the stored answer in it."""
    form = TableAnswerForm(formdata=None)
    form.set_choices(workshop.conversation.questionnaire)
    form.question_id.data = question_id
    stored = stored_answer(workshop.conversation_id, question_id) if question_id else None
    if stored is not None:
        form.text.data = stored.text
        form.assessment_id.data = stored.assessment_id
        form.revision.data = str(stored.revision)
    return form


def _control_page(
    workshop: Workshop,
    question_id: str | None = None,
    *,
    answer_form: TableAnswerForm | None = None,
    conflict=None,
    settings_form: SettingsForm | None = None,
    draft_form: DraftActionForm | None = None,
    status: int = 200,
):
    context = _live_context(workshop, question_id or request.args.get("vraag"))
    selected = context["selected_id"]
    if answer_form is None:
        answer_form = _answer_form(workshop, selected)
    if settings_form is None:
        settings_form = SettingsForm(formdata=None)
        settings_form.set_cap(current_app.config["WORKSHOP_PARTICIPANT_CAP"])
        settings_form.fill_from(workshop)
    if draft_form is None:
        draft_form = DraftActionForm(formdata=None, prefix=DRAFT_PREFIX)
    return render_template(
        "workshops/control.html",
        **context,
        join_url=join_url(workshop),
        join_qr=_join_qr(workshop),
        answer_form=answer_form,
        conflict=conflict,
        stored=stored_answer(workshop.conversation_id, selected) if selected else None,
        settings_form=settings_form,
        draft_form=draft_form,
        timer_form=TimerForm(formdata=None),
    ), status


@bp.get("/workshops/<id:workshop_id>")
def control(workshop_id: int):
    return _control_page(_workshop(workshop_id))


@bp.get("/workshops/<id:workshop_id>/inhoud")
def control_live(workshop_id: int):
    """The control page's live part (counts, spread, contributions) as a fragment, with a
    copy of the list of questions for the script to put in place."""
    workshop = _workshop(workshop_id)
    return render_template(
        "workshops/_control_live.html",
        **_live_context(workshop, request.args.get("vraag")),
        as_fragment=True,
    )


@bp.get("/workshops/<id:workshop_id>/stand")
def state(workshop_id: int):
    """The workshop's revision, for the projector and the control page to poll: 304 while
    it is the revision they have (``If-None-Match``)."""
    workshop = _workshop(workshop_id)
    response = jsonify(revision=workshop.revision)
    response.set_etag(str(workshop.revision))
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


# --- the projector ---------------------------------------------------------------------------


def _projector_context(workshop: Workshop) -> dict:
    room = queries.room_view(workshop)
    contributions = room.contributions
    if not workshop.results_visible:
        # Dots are results too: until they are shown, the oldest contribution comes first.
        contributions = sorted(contributions, key=lambda c: c.id)
    return {
        "workshop": workshop,
        "room": room,
        "contributions": contributions[:PROJECTOR_CONTRIBUTIONS],
        "more_contributions": max(0, len(contributions) - PROJECTOR_CONTRIBUTIONS),
        "seconds_left": seconds_left(workshop),
        "is_open": workshop.is_open(),
        "admits": workshop.admits(),
        "join_url": join_url(workshop),
        "join_qr": _join_qr(workshop),
    }


@bp.get("/workshops/<id:workshop_id>/projectie")
def projector(workshop_id: int):
    return render_template("workshops/projector.html", **_projector_context(_workshop(workshop_id)))


@bp.get("/workshops/<id:workshop_id>/projectie/inhoud")
def projector_live(workshop_id: int):
    return render_template(
        "workshops/_projector_live.html", **_projector_context(_workshop(workshop_id))
    )


# --- leading the room: questions -------------------------------------------------------------


def _command_question_ids(workshop: Workshop, form: QuestionCommandForm) -> tuple[list[str], str]:
    """The questions a command is for: one, or all of a phase that are in the workshop;
    and how to name them in a message."""
    _checked(form)
    ids = _question_ids(workshop)
    if form.phase_id.data:
        phase = workshop.conversation.questionnaire.phases_by_id.get(form.phase_id.data)
        in_phase = {q.id for q in phase.questions} if phase else set()
        chosen = [qid for qid in ids if qid in in_phase]
        if not chosen:
            abort(400)
        return chosen, f"Alle vragen van de fase {phase.name}"
    if form.question_id.data not in ids:
        abort(400)
    return [form.question_id.data], f"Vraag {_number(workshop, form.question_id.data)}"


@bp.post("/workshops/<id:workshop_id>/vragen-openen")
def open_questions(workshop_id: int):
    workshop = _workshop(workshop_id)
    ids, named = _command_question_ids(workshop, QuestionCommandForm())
    verb = "zijn" if len(ids) > 1 else "is"
    return _run(
        workshop,
        lambda: operations.open_questions(workshop, ids),
        f"{named} {verb} open. Vraag {_number(workshop, ids[0])} staat op het scherm; "
        "de zaal kan nu antwoorden.",
        ids[0],
    )


@bp.post("/workshops/<id:workshop_id>/vragen-sluiten")
def close_questions(workshop_id: int):
    workshop = _workshop(workshop_id)
    ids, named = _command_question_ids(workshop, QuestionCommandForm())
    verb = "zijn" if len(ids) > 1 else "is"
    return _run(
        workshop,
        lambda: operations.close_questions(workshop, ids),
        f"{named} {verb} dicht. De zaal kan er niets meer bij zetten.",
        ids[0],
    )


@bp.post("/workshops/<id:workshop_id>/op-het-scherm")
def show_question(workshop_id: int):
    workshop = _workshop(workshop_id)
    ids, named = _command_question_ids(workshop, QuestionCommandForm())
    return _run(
        workshop,
        lambda: operations.show_question(workshop, ids[0]),
        f"{named} staat nu op het scherm.",
        ids[0],
    )


@bp.post("/workshops/<id:workshop_id>/resultaten-zichtbaar")
def results_visible(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = SwitchForm()
    _checked(form)
    on = form.on
    return _run(
        workshop,
        lambda: operations.set_results_visible(workshop, on),
        "De resultaten staan op het scherm."
        if on
        else "De resultaten staan niet meer op het scherm.",
        workshop.current_question_id,
    )


@bp.post("/workshops/<id:workshop_id>/timer")
def start_timer(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = TimerForm()
    if not form.validate():
        messages = [m for errors in form.errors.values() for m in errors if isinstance(m, str)]
        flash(" ".join(messages) or "Vul het aantal minuten in.", "warning")
        return _back(workshop, workshop.current_question_id)
    minutes = form.minutes.data
    return _run(
        workshop,
        lambda: operations.start_timer(workshop, minutes),
        f"De timer loopt: {minutes} {'minuut' if minutes == 1 else 'minuten'}.",
        workshop.current_question_id,
    )


@bp.post("/workshops/<id:workshop_id>/timer-stoppen")
def stop_timer(workshop_id: int):
    workshop = _workshop(workshop_id)
    _checked(CommandForm())
    return _run(
        workshop,
        lambda: operations.stop_timer(workshop),
        "De timer is gestopt.",
        workshop.current_question_id,
    )


# --- leading the room: contributions ---------------------------------------------------------


def _contribution(workshop: Workshop, value: str | None) -> Contribution:
    contribution = db.session.get(Contribution, submitted_id(value))
    if contribution is None or contribution.workshop_id != workshop.id:
        abort(400)
    return contribution


@bp.post("/workshops/<id:workshop_id>/verbergen")
def hide(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = ContributionForm()
    _checked(form)
    contribution = _contribution(workshop, form.contribution_id.data)
    if form.state.data not in ("ja", "nee"):
        abort(400)
    hidden = form.state.data == "ja"
    return _run(
        workshop,
        lambda: operations.set_hidden(workshop, contribution.id, hidden),
        lambda duplicates: _hidden_message(hidden, duplicates),
        contribution.question_id,
        f"bijdrage-{contribution.id}",
    )


def _hidden_message(hidden: bool, duplicates: int) -> str:
    with_them = (
        ""
        if not duplicates
        else " met de bijdrage die erin is samengevoegd"
        if duplicates == 1
        else f" met de {duplicates} bijdragen die erin zijn samengevoegd"
    )
    if not hidden:
        return f"De bijdrage is weer te zien{with_them}."
    return (
        f"De bijdrage is verborgen{with_them}: niemand ziet haar nog, ook niet op het scherm. "
        "Stippen erop gaan terug naar wie ze gaf."
    )


#: A search on the contribution's page: longer is not a search someone types.
SEARCH_MAX_CHARACTERS = 100


def _find_view(
    views: list[queries.ContributionView], contribution_id: int
) -> tuple[queries.ContributionView | None, queries.ContributionView | None]:
    """The contribution's view and, when it was merged into another, that one's view."""
    for view in views:
        if view.id == contribution_id:
            return view, None
        for merged in view.merged:
            if merged.id == contribution_id:
                return merged, view
    return None, None


@bp.get("/workshops/<id:workshop_id>/bijdragen/<id:contribution_id>")
def contribution(workshop_id: int, contribution_id: int):
    """One contribution with what the facilitator can do with it that needs a choice:
    merging it into another one (the list of the question's other contributions, which the
    control page does not repeat beside every contribution)."""
    workshop = _workshop(workshop_id)
    found = db.session.get(Contribution, contribution_id)
    if found is None or found.workshop_id != workshop.id:
        abort(404)
    question_id = found.question_id
    views = queries.contributions(workshop, [question_id], include_hidden=True).get(question_id, [])
    view, merged_into = _find_view(views, found.id)
    if view is None:
        abort(404)
    search = " ".join(request.args.get("zoek", "").split())[:SEARCH_MAX_CHARACTERS]
    targets = [c for c in views if not c.hidden and c.id != found.id]
    matching = [c for c in targets if search.casefold() in c.text.casefold()] if search else targets
    state = next(
        (s for s in queries.question_states(workshop) if s.question.id == question_id), None
    )
    author = (
        db.session.get(WorkshopParticipant, found.participant_id) if found.participant_id else None
    )
    return render_template(
        "workshops/contribution.html",
        author=author,
        author_counts=queries.participant_counts(author) if author else None,
        workshop=workshop,
        conversation=workshop.conversation,
        contribution=view,
        merged_into=merged_into,
        state=state,
        targets=targets,
        matching=matching,
        search=search,
        back=url_for(
            ".control",
            workshop_id=workshop.id,
            vraag=question_id,
            _anchor=f"bijdrage-{(merged_into or view).id}",
        ),
    )


def _participant_command(workshop: Workshop) -> tuple[WorkshopParticipant, str]:
    """The participant a command is for, and where to go back to: the page of the contribution
    the facilitator came from, else the control page."""
    form = ParticipantForm()
    _checked(form)
    participant = db.session.get(WorkshopParticipant, submitted_id(form.participant_id.data))
    if participant is None or participant.workshop_id != workshop.id:
        abort(400)
    raw = (form.contribution_id.data or "").strip()
    came_from = db.session.get(Contribution, submitted_id(raw)) if raw else None
    if came_from is not None and came_from.workshop_id == workshop.id:
        back = url_for(
            ".contribution",
            workshop_id=workshop.id,
            contribution_id=came_from.id,
            _anchor="deelnemer",
        )
    else:
        back = url_for(".control", workshop_id=workshop.id)
    return participant, back


def _plural(count: int, one: str, more: str) -> str:
    return f"{count} {one if count == 1 else more}"


@bp.post("/workshops/<id:workshop_id>/deelnemer-verwijderen")
def remove_participant(workshop_id: int):
    """Take a participant out in one step (their contributions hidden, their dots and choices
    no longer counted, their phone out); only with the box ticked. Undone by ``readmit``."""
    workshop = _workshop(workshop_id)
    participant, back = _participant_command(workshop)
    number = participant.number
    if request.form.get("confirm") != "ja":
        flash(
            f"Vink eerst aan dat u deelnemer {number} wilt verwijderen. Er is niets veranderd.",
            "warning",
        )
        return redirect(back, 303)
    removal = operations.remove_participant(workshop, participant.id)
    db.session.commit()
    if not removal.done:
        flash(f"Deelnemer {number} was al verwijderd. Er is niets veranderd.", "success")
        return redirect(back, 303)
    message = (
        f"Deelnemer {number} is verwijderd en kan met deze telefoon niet meer meedoen. "
        f"{_plural(removal.contributions, 'bijdrage is', 'bijdragen zijn')} verborgen; de "
        f"stippen en keuzes van deelnemer {number} tellen niet meer mee."
    )
    if removal.dots_returned:
        message += (
            f" {_plural(removal.dots_returned, 'stip', 'stippen')} van anderen op die "
            "bijdragen gingen terug naar wie ze gaf."
        )
    flash(message + " Met ‘Weer toelaten’ maakt u dit ongedaan.", "success")
    return redirect(back, 303)


@bp.post("/workshops/<id:workshop_id>/deelnemer-toelaten")
def readmit_participant(workshop_id: int):
    workshop = _workshop(workshop_id)
    participant, back = _participant_command(workshop)
    number = participant.number
    done = operations.readmit_participant(workshop, participant.id)
    db.session.commit()
    flash(
        f"Deelnemer {number} doet weer mee. Wat deelnemer {number} stuurde, telt weer mee."
        if done
        else f"Deelnemer {number} deed al mee. Er is niets veranderd.",
        "success",
    )
    return redirect(back, 303)


@bp.post("/workshops/<id:workshop_id>/samenvoegen")
def merge(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = MergeForm()
    _checked(form)
    duplicate = _contribution(workshop, form.contribution_id.data)
    if not (form.into_id.data or "").strip():
        flash("Kies eerst de bijdrage waarmee u deze wilt samenvoegen.", "warning")
        return redirect(
            url_for(".contribution", workshop_id=workshop.id, contribution_id=duplicate.id), 303
        )
    target = _contribution(workshop, form.into_id.data)
    return _run(
        workshop,
        lambda: operations.merge(workshop, duplicate.id, target.id),
        "De bijdragen zijn samengevoegd. Hun stippen tellen samen.",
        duplicate.question_id,
        f"bijdrage-{target.id}",
    )


@bp.post("/workshops/<id:workshop_id>/losmaken")
def unmerge(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = ContributionForm()
    _checked(form)
    contribution = _contribution(workshop, form.contribution_id.data)
    return _run(
        workshop,
        lambda: operations.unmerge(workshop, contribution.id),
        "De bijdrage staat weer los, met haar eigen stippen.",
        contribution.question_id,
        f"bijdrage-{contribution.id}",
    )


@bp.post("/workshops/<id:workshop_id>/actiepunt")
def to_action(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = ContributionForm()
    _checked(form)
    contribution = _contribution(workshop, form.contribution_id.data)
    already = contribution.action_id is not None

    def said(action) -> str:
        if already:
            return f"Van deze bijdrage was al een actiepunt gemaakt (actiepunt {action.position})."
        return (
            f"Actiepunt gemaakt: actiepunt {action.position} van het gesprek. Vul de trekker "
            "en de datum in op de pagina van het actiepunt."
        )

    return _run(
        workshop,
        lambda: operations.contribution_to_action(workshop, contribution.id),
        said,
        contribution.question_id,
        f"bijdrage-{contribution.id}",
    )


@bp.post("/workshops/<id:workshop_id>/actievoorstel")
def draft_action(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = DraftActionForm(prefix=DRAFT_PREFIX)
    question_id = form.question_id.data
    if question_id not in _question_ids(workshop):
        abort(400)
    if not form.validate():
        return _control_page(workshop, question_id, draft_form=form, status=422)
    text, token = form.text.data, form.creation_token.token

    def said(sent: operations.Contributed) -> str:
        if sent.outcome == operations.OTHER_TEXT:
            return (
                "Het voorstel staat bij de bijdragen, als een tweede voorstel: u had dit "
                "formulier al eens verstuurd met een andere tekst, en die staat er ook nog. "
                "De zaal kan op allebei stippen zetten."
            )
        if sent.outcome == operations.SENT_TWICE:
            return (
                "Het voorstel staat bij de bijdragen. U stuurde het twee keer; het staat er "
                "één keer. De zaal kan er stippen op zetten."
            )
        return "Het voorstel staat bij de bijdragen. De zaal kan er stippen op zetten."

    return _run(
        workshop,
        lambda: operations.send_contribution(
            workshop, None, question_id, ContributionKind.DRAFT_ACTION, text, token
        ),
        said,
        question_id,
    )


# --- from room to record: the table's answer -------------------------------------------------


def with_room_contributions(workshop: Workshop, question_id: str, text: str) -> str:
    """``text`` with the room's contributions under it, the most dotted first.

    What followed the heading of an earlier save is replaced, so the list is there once.
    Hidden contributions never go into the record.
    """
    ranked = queries.contributions(workshop, [question_id]).get(question_id, [])
    if not ranked:
        return text
    heading = ROOM_CONTRIBUTIONS_HEADING.format(code=workshop.join_code)
    kept = text.split(heading, 1)[0].rstrip()
    block = operations.contributions_as_text(ranked, {c.id: c.dots for c in ranked})
    return f"{kept}\n\n{heading}\n{block}" if kept else f"{heading}\n{block}"


@bp.post("/workshops/<id:workshop_id>/antwoord")
def write_answer(workshop_id: int):
    workshop = _workshop(workshop_id)
    conversation = workshop.conversation
    form = TableAnswerForm()
    form.set_choices(conversation.questionnaire)
    question_id = form.question_id.data
    if question_id not in _question_ids(workshop):
        abort(400)
    if not form.validate():
        return _control_page(workshop, question_id, answer_form=form, status=422)
    text = form.text.data or ""
    if form.with_contributions.data:
        text = with_room_contributions(workshop, question_id, text)
        if len(text) > ANSWER_MAX_CHARACTERS:
            form.text.errors = [
                *form.text.errors,
                "Met de bijdragen van de zaal eronder wordt het antwoord te lang. Maak het "
                "korter, of zet de bijdragen er niet onder. Er is niets opgeslagen.",
            ]
            return _control_page(workshop, question_id, answer_form=form, status=422)
    try:
        operations.write_answer(
            workshop,
            question_id,
            text,
            form.assessment_id.data or None,
            revision_of(form.revision),
        )
    except EditConflict:
        db.session.rollback()
        conflict = stored_answer(conversation.id, question_id)
        form.revision.data = str(conflict.revision) if conflict else "0"
        return _control_page(workshop, question_id, answer_form=form, conflict=conflict, status=409)
    except operations.WorkshopError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return _back(workshop, question_id, f"antwoord-{question_id}")
    except InvalidChoice:
        db.session.rollback()
        abort(400)
    spread = operations.room_spread(workshop, question_id)
    db.session.commit()
    people = "1 deelnemer" if spread.participants == 1 else f"{spread.participants} deelnemers"
    flash(
        f"Het antwoord bij vraag {_number(workshop, question_id)} is opgeslagen, met hoe de "
        f"zaal het zag ({people}).",
        "success",
    )
    return _back(workshop, question_id, f"antwoord-{question_id}")


# --- the workshop itself ---------------------------------------------------------------------


@bp.post("/workshops/<id:workshop_id>/instellingen")
def settings(workshop_id: int):
    workshop = _workshop(workshop_id)
    cap = current_app.config["WORKSHOP_PARTICIPANT_CAP"]
    form = SettingsForm()
    form.set_cap(cap)
    if not form.validate():
        return _control_page(workshop, settings_form=form, status=422)
    chosen = form.settings()
    return _run(
        workshop,
        lambda: operations.change_settings(workshop, chosen, cap_limit=cap),
        "De instellingen zijn opgeslagen.",
        anchor="instellingen",
    )


@bp.post("/workshops/<id:workshop_id>/meedoen")
def joining(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = SwitchForm()
    _checked(form)
    on = form.on
    return _run(
        workshop,
        lambda: operations.set_joining(workshop, on),
        "Meedoen kan weer: de code werkt."
        if on
        else "Er kan niemand meer bij. Wie al meedoet, kan verder.",
        anchor="meedoen",
    )


@bp.post("/workshops/<id:workshop_id>/sluiten")
def close(workshop_id: int):
    workshop = _workshop(workshop_id)
    _checked(CommandForm())

    def close_it() -> None:
        operations.close_workshop(workshop)
        # The conversation page lists its workshops and is cached per revision.
        raise_revisions(db.session, {workshop.conversation_id})

    return _run(
        workshop,
        close_it,
        "De workshop is gesloten. Met de code kan niemand meer meedoen. Wat de zaal "
        "inbracht, blijft bewaard.",
    )
