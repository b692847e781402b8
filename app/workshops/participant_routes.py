"""The participants' side of a workshop: joining with the code, the phone page, and what a
phone sends (its place on the scale, contributions, dots) and polls.

Everything here is public: a participant has no account, only the signed cookie of
``participation.py``. Without JavaScript every form is a plain POST answered by a 303 back to
the phone page at the question (``/w/<code>#vraag-<id>``), with a notice there; a refusal shows
the page again, with the typed text still in its field. ``workshop-phone.js`` sends the same
forms with fetch and polls ``/w/<code>/stand`` (cheap: one query, 304 while nothing changed).
"""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select

from ..accounts.access import public
from ..conversations.operations import InvalidChoice
from ..core.errors import render_error
from ..core.formatting import TIMEZONE
from ..core.models import utcnow
from ..core.text import clean_text
from ..extensions import db
from . import operations
from .models import CONTRIBUTION_MAX_CHARACTERS, Contribution, ContributionKind, Dot, Workshop
from .operations import WorkshopError, WorkshopFull, find_workshop_by_code, normalise_code
from .participant_forms import AssessmentForm, ContributionForm, DotForm, JoinForm
from .participation import (
    Notice,
    cookie_name,
    cookie_participant,
    current_participant,
    join_per_client,
    join_per_client_and_code,
    join_per_code,
    lookup_per_client,
    note_seat_taken,
    notify,
    participant_id_from_cookie,
    phone_path,
    post_per_code,
    post_per_participant,
    remember_participant,
    take_notice,
)
from .queries import PHONE_LIST_SIZE, phone_view

bp = Blueprint("workshop_participants", __name__, url_prefix="/w")

#: The same for a wrong, a closed and an expired code and for joining switched off, with one
#: status: someone who has not joined learns nothing from a guess. (A code that admits people
#: shows its join form: that is what the code is for.)
NOT_POSSIBLE = (
    "Met deze code kunt u nu niet meedoen: de workshop bestaat niet, is afgelopen of staat "
    "dicht. Controleer de code op het scherm, of vraag de gespreksleider."
)
NOT_POSSIBLE_STATUS = 404
#: What ``/w/<code>/stand`` answers anyone but a participant of that workshop, whatever the code.
NO_STATE = "Alleen wie meedoet met deze workshop, kan de stand zien."
NOT_JOINED = (
    "U doet niet (meer) mee met deze workshop, daarom is dit niet opgeslagen. Vul de code in "
    "om mee te doen."
)
REMOVED = (
    "De gespreksleider heeft u uit deze workshop gehaald. Daarom kunt u niet meer meedoen. "
    "Is dit een vergissing? Vraag het dan aan de gespreksleider."
)
FORM_EXPIRED = (
    "Het formulier was verlopen, daarom is het niet opgeslagen. Probeer het nog een keer."
)
DOT_MESSAGES = {
    ("erbij", True): "Uw stip is gezet.",
    ("erbij", False): "Uw stip stond er al. Hij telt één keer.",
    ("eraf", True): "Uw stip is weggehaald.",
    ("eraf", False): "Deze stip was al weggehaald.",
}
CONTRIBUTED = {
    operations.NEW: "Dank u. Uw bijdrage is verstuurd: u vindt hem onderaan de lijst.",
    operations.SENT_TWICE: (
        "Dank u. Uw bijdrage is verstuurd. U stuurde hem twee keer; hij staat er één keer."
    ),
    operations.OTHER_TEXT: (
        "Dank u. Uw nieuwe tekst is verstuurd als een tweede bijdrage. Uw eerdere tekst met "
        "hetzelfde formulier staat er ook nog. U vindt ze allebei onderaan de lijst."
    ),
}
CODE = "<string(maxlength=40):code>"


# --- joining -------------------------------------------------------------------------------------


def _refusal(workshop: Workshop | None) -> tuple[str, int] | None:
    """Why nobody can join this workshop now (message, status), or None: the same answer for
    a code that does not exist, is closed or expired, or has joining switched off."""
    if workshop is None or not workshop.admits():
        return NOT_POSSIBLE, NOT_POSSIBLE_STATUS
    return None


def _render_join(form: JoinForm, workshop: Workshop | None = None, *, refusal=None, kept=None):
    """The join form; ``workshop`` only when it admits people (its title, the name field)."""
    return render_template(
        "workshops/join.html",
        form=form,
        workshop=workshop,
        ask_name=workshop is not None and not workshop.anonymous,
        refusal=refusal,
        kept_text=kept,
    )


def _join_here(workshop: Workshop | None, typed: str, message: str | None = None, kept=None):
    """The join form for a code from the address or the query string."""
    form = JoinForm(formdata=None, code=workshop.join_code if workshop else typed)
    refusal = _refusal(workshop)
    if refusal is not None:
        return _render_join(form, refusal=refusal[0], kept=kept), refusal[1]
    return _render_join(form, workshop, refusal=message, kept=kept), 409 if message else 200


@bp.get("")
@public
@lookup_per_client
def join_form():
    typed = request.args.get("code", "")[:40]
    if not typed.strip():
        return _render_join(JoinForm(formdata=None))
    workshop = find_workshop_by_code(typed)
    known = cookie_participant(workshop) if workshop is not None else None
    if known is not None:
        # A phone that joined (the workshop may have ended since): its own page says how it is.
        return redirect(phone_path(workshop), 303)
    return _join_here(workshop, typed)


@bp.post("")
@public
@join_per_client
@join_per_code
@join_per_client_and_code
def join():
    form = JoinForm()
    if not form.validate():
        return _render_join(form), 422
    workshop = find_workshop_by_code(form.code.data)
    known = cookie_participant(workshop) if workshop is not None else None
    if known is not None and known.is_removed:
        return _render_join(form, refusal=REMOVED), 403
    if known is not None:
        # The code typed again on a phone that already joined: the same participant.
        flash("U doet al mee met deze workshop. Hieronder staat wat er nu open is.", "success")
        return redirect(phone_path(workshop), 303)
    refusal = _refusal(workshop)
    if refusal is not None:
        return _render_join(form, refusal=refusal[0]), refusal[1]
    if not workshop.anonymous and "first_name" not in request.form:
        # Typed on /w, where we could not know: ask for the optional name first.
        form.code.data = workshop.join_code
        return _render_join(form, workshop)
    first_name = "" if workshop.anonymous else (form.first_name.data or "")
    try:
        participant, token = operations.join(workshop, first_name)
    except WorkshopError as error:
        db.session.rollback()
        if isinstance(error, WorkshopFull):
            return _render_join(form, refusal=str(error)), 409
        return _render_join(form, refusal=NOT_POSSIBLE), NOT_POSSIBLE_STATUS
    db.session.commit()
    note_seat_taken()
    flash("U doet mee. Hieronder staat wat er nu open is.", "success")
    response = redirect(phone_path(workshop), 303)
    return remember_participant(response, workshop, participant, token)


# --- the phone page ------------------------------------------------------------------------------


def _workshop_or_404(code: str) -> Workshop:
    workshop = find_workshop_by_code(code)
    if workshop is None:
        abort(404)
    return workshop


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _timer_until(workshop: Workshop) -> str | None:
    if workshop.timer_ends_dt is None:
        return None
    ends = workshop.timer_ends_dt
    return ends.astimezone(TIMEZONE).strftime("%H:%M") if ends > utcnow() else None


def _live_context(workshop, participant, notice: Notice | None, kept: dict | None) -> dict:
    # The revision is read before the content: a change in between makes the phone ask again.
    revision = workshop.room_revision
    contribution_revision = workshop.contribution_revision
    show_all = request.args.get("alle") == "1"
    view = phone_view(workshop, participant, show_all=show_all)
    code = workshop.join_code
    every = {"alle": "1"} if show_all else {}
    return {
        "workshop": workshop,
        "participant": participant,
        "view": view,
        "revision": revision,
        "contribution_revision": contribution_revision,
        "workshop_open": workshop.is_open(),
        "notice": notice,
        "kept": kept,
        "kinds": ContributionKind.for_participants(),
        "new_token": _new_token,
        "timer_until": _timer_until(workshop),
        "text_limit": CONTRIBUTION_MAX_CHARACTERS,
        "show_all": show_all,
        "list_size": PHONE_LIST_SIZE,
        "urls": {
            "phone": url_for(".phone", code=code, **every),
            "all": url_for(".phone", code=code, alle="1"),
            "selection": url_for(".phone", code=code),
            "scale": url_for(".assess", code=code),
            "contribute": url_for(".contribute", code=code),
            "dot": url_for(".dot", code=code),
            "state": url_for(".state", code=code),
            "live": url_for(".live", code=code, **every),
        },
    }


def _render_phone(workshop, participant, notice=None, kept=None, status=200):
    operations.note_presence(participant.id)
    context = _live_context(workshop, participant, notice, kept)
    db.session.commit()
    return render_template("workshops/phone.html", **context), status


@bp.get(f"/{CODE}")
@public
@lookup_per_client
def phone(code: str):
    """The phone page of a participant of this workshop; else the join form with the code."""
    canonical = normalise_code(code)
    if canonical and canonical != code:
        return redirect(url_for(".phone", code=canonical))
    workshop = find_workshop_by_code(code)
    participant = cookie_participant(workshop) if workshop else None
    if participant is not None and participant.is_removed:
        return _render_join(JoinForm(formdata=None, code=workshop.join_code), refusal=REMOVED), 403
    if participant is None:
        return _join_here(workshop, code)
    return _render_phone(workshop, participant, take_notice())


@bp.get(f"/{CODE}/inhoud")
@public
@lookup_per_client
def live(code: str):
    """The phone page's live part, for the script to swap in: 404 for anyone but a
    participant (as a wrong code), 403 for a participant the facilitator removed (the script
    then loads the page, which says so)."""
    workshop = _workshop_or_404(code)
    participant = cookie_participant(workshop)
    if participant is None:
        abort(404)
    if participant.is_removed:
        abort(403)
    return render_template(
        "workshops/_phone_live.html", **_live_context(workshop, participant, None, None)
    )


def _no_state():
    """The answer to anyone but a participant: the same for every code, real or not."""
    return jsonify(error=NO_STATE), 404, {"Cache-Control": "no-cache"}


@bp.get(f"/{CODE}/stand")
@public
@lookup_per_client
def state(code: str):
    """What the phones poll: the room's revision, with an ETag (304 while unchanged). Only a
    phone with this workshop's signed cookie gets it (no query for the token: the poll stays
    cheap); to anyone else every code, real, closed or made up, answers the same 404."""
    if not request.cookies.get(cookie_name(normalise_code(code))):
        return _no_state()
    row = db.session.execute(
        select(
            Workshop.id,
            Workshop.join_code,
            Workshop.room_revision,
            Workshop.contribution_revision,
            Workshop.closed_dt,
            Workshop.expires_dt,
        ).where(Workshop.join_code == normalise_code(code))
    ).first()
    participant_id = participant_id_from_cookie(row) if row is not None else None
    if participant_id is None:
        return _no_state()
    if operations.note_presence(participant_id):
        db.session.commit()
    tag = f"r{row.room_revision}-c{row.contribution_revision}"
    headers = {"ETag": f'"{tag}"', "Cache-Control": "no-cache"}
    if request.if_none_match.contains_weak(tag):
        return Response(status=304, headers=headers)
    is_open = row.closed_dt is None and row.expires_dt > utcnow()
    return (
        jsonify(revision=row.room_revision, contributions=row.contribution_revision, open=is_open),
        200,
        headers,
    )


# --- what a phone sends -----------------------------------------------------------------------


def _not_joined(workshop: Workshop | None, typed: str):
    """A post from a phone that is not (or no longer) in this workshop: nothing stored, the
    typed text given back beside the join form (409: the phone's state, not its rights), or
    beside the refusal that a code that cannot be joined gets (whether it exists or not)."""
    kept = clean_text(request.form.get("text", "")).strip() or None
    known = cookie_participant(workshop) if workshop is not None else None
    if known is not None and known.is_removed:
        form = JoinForm(formdata=None, code=workshop.join_code)
        return _render_join(form, refusal=REMOVED, kept=kept), 403
    return _join_here(workshop, workshop.join_code if workshop else typed, NOT_JOINED, kept)


#: Sent by the phone's script with a form: it wants the answer it can show at once, not a
#: redirect to the page (one request instead of two). For a contribution that is the new live
#: part; for a scale choice or a dot a small JSON object (``_live_answer``), from which the
#: script updates the page itself: in a voting burst that is half the work of each tap.
LIVE_HEADER = "X-Handvat-Live"


def _from_script() -> bool:
    return request.headers.get(LIVE_HEADER) == "1"


def _live_answer(question_id: str, notice: str, **state):
    """What the script needs after an accepted scale choice or dot: the notice to show and
    announce at the question, and the new state. No session write (no notice kept for a next
    page): the answer itself says it."""
    return jsonify(question=question_id, notice=notice, category="success", **state)


def _back_to(workshop: Workshop, participant, question_id: str):
    if _from_script():
        context = _live_context(workshop, participant, take_notice(), None)
        return render_template("workshops/_phone_live.html", **context)
    anchor = f"vraag-{question_id}" if question_id else None
    return redirect(url_for(".phone", code=workshop.join_code, _anchor=anchor), 303)


def _first_error(form) -> str:
    return next(message for messages in form.errors.values() for message in messages)


def _refused(workshop, participant, question_id: str, error: WorkshopError, kept=None):
    db.session.rollback()
    return _render_phone(
        workshop, participant, Notice(question_id, str(error), "warning"), kept, 409
    )


@bp.post(f"/{CODE}/schaal")
@public
@post_per_participant
@post_per_code
def assess(code: str):
    workshop = find_workshop_by_code(code)
    participant = current_participant(workshop) if workshop is not None else None
    if participant is None:
        return _not_joined(workshop, code)
    form = AssessmentForm()
    question_id = form.question_id.data or ""
    if not form.validate():
        notice = Notice(question_id, _first_error(form), "warning")
        return _render_phone(workshop, participant, notice, status=422)
    try:
        operations.choose_assessment(workshop, participant, question_id, form.assessment_id.data)
    except WorkshopError as error:
        return _refused(workshop, participant, question_id, error)
    except InvalidChoice:
        db.session.rollback()
        abort(400)
    step = workshop.conversation.questionnaire.assessment_by_id[form.assessment_id.data]
    db.session.commit()
    notice = f"Uw keuze is opgeslagen: {step.label}."
    if _from_script():
        return _live_answer(question_id, notice, chosen=step.id, label=step.label)
    notify(question_id, notice)
    return _back_to(workshop, participant, question_id)


def _kept(form: ContributionForm) -> dict:
    """The contribution form as it was sent, to show it again after a refusal."""
    return {
        "question_id": form.question_id.data or "",
        "text": form.text.data or "",
        "kind": form.kind.data or ContributionKind.IDEA.value,
        "token": form.creation_token.token or _new_token(),
        "errors": [message for messages in form.errors.values() for message in messages],
    }


@bp.post(f"/{CODE}/bijdragen")
@public
@post_per_participant
@post_per_code
def contribute(code: str):
    workshop = find_workshop_by_code(code)
    participant = current_participant(workshop) if workshop is not None else None
    if participant is None:
        return _not_joined(workshop, code)
    form = ContributionForm()
    question_id = form.question_id.data or ""
    if not form.validate():
        kept = _kept(form)
        notice = Notice(question_id, kept["errors"][0], "warning")
        return _render_phone(workshop, participant, notice, kept, 422)
    try:
        sent = operations.send_contribution(
            workshop,
            participant,
            question_id,
            form.chosen_kind,
            form.stored_text,
            form.creation_token.token,
        )
    except WorkshopError as error:
        return _refused(workshop, participant, question_id, error, _kept(form))
    except InvalidChoice:
        db.session.rollback()
        abort(400)
    db.session.commit()
    notify(question_id, CONTRIBUTED[sent.outcome])
    return _back_to(workshop, participant, question_id)


@bp.post(f"/{CODE}/stippen")
@public
@post_per_participant
@post_per_code
def dot(code: str):
    workshop = find_workshop_by_code(code)
    participant = current_participant(workshop) if workshop is not None else None
    if participant is None:
        return _not_joined(workshop, code)
    parsed = DotForm().parsed
    if parsed is None:
        abort(400)
    contribution_id, had, change = parsed
    contribution = db.session.get(Contribution, contribution_id)
    question_id = (
        contribution.question_id
        if contribution is not None and contribution.workshop_id == workshop.id
        else ""
    )
    try:
        if change == "erbij":
            changed = operations.add_dot(workshop, participant, contribution_id, had)
        else:
            changed = operations.remove_dot(workshop, participant, contribution_id, had)
    except WorkshopError as error:
        return _refused(workshop, participant, question_id, error)
    except InvalidChoice:
        db.session.rollback()
        abort(400)
    db.session.commit()
    notice = DOT_MESSAGES[change, changed]
    if _from_script():
        return _live_answer(question_id, notice, **_dots_state(workshop, participant, question_id))
    notify(question_id, notice)
    return _back_to(workshop, participant, question_id)


def _dots_state(workshop: Workshop, participant, question_id: str) -> dict:
    """The participant's dots on this question as stored now (so a double tap shows one): how
    many are left, the most per contribution, and how many count for each contribution the
    phone lists (by id; a dot on a duplicate counts for the one it was merged into)."""
    mine: dict[int, int] = {}
    for contribution_id, merged_into_id, count in db.session.execute(
        select(Dot.contribution_id, Contribution.merged_into_id, func.count())
        .join(Contribution, Contribution.id == Dot.contribution_id)
        .where(Dot.participant_id == participant.id, Dot.question_id == question_id)
        .group_by(Dot.contribution_id, Contribution.merged_into_id)
    ):
        shown = merged_into_id or contribution_id
        mine[shown] = mine.get(shown, 0) + count
    return {
        "dotsLeft": max(0, workshop.dots_per_participant - sum(mine.values())),
        "perItem": workshop.dots_per_item,
        "dots": {str(contribution_id): count for contribution_id, count in mine.items()},
    }


# --- too many requests from one phone or address ---------------------------------------------

TOO_MANY_POSTS = (
    "U heeft veel tegelijk gestuurd. Wacht een minuut en probeer het dan opnieuw. Er is niets "
    "opgeslagen."
)
TOO_MANY_JOINS = (
    "Er doen vanaf dit netwerk net heel veel mensen mee. Wacht even en probeer het dan "
    "opnieuw. Lukt het dan nog niet? Vraag de gespreksleider."
)
TOO_MANY_LOOKUPS = (
    "Vanaf dit netwerk zijn heel veel codes kort na elkaar geprobeerd. Wacht een paar minuten "
    "en probeer het dan opnieuw."
)
_POSTS = {
    "workshop_participants.assess",
    "workshop_participants.contribute",
    "workshop_participants.dot",
}


@bp.errorhandler(RateLimitExceeded)
def too_many(_error: RateLimitExceeded):
    """A limit of ``participation.py`` was reached: not the app's page (which offers to sign
    in and drops the text), but the phone's own page with a Dutch message and, for a
    contribution, the typed text still in its field."""
    db.session.rollback()
    wait = {"Retry-After": "60"}
    endpoint = request.endpoint
    code = str((request.view_args or {}).get("code") or "")
    if endpoint == "workshop_participants.join":
        return _render_join(JoinForm(), refusal=TOO_MANY_JOINS), 429, wait
    if endpoint == "workshop_participants.state":
        return jsonify(error=TOO_MANY_LOOKUPS), 429, wait
    if endpoint not in _POSTS:
        form = JoinForm(formdata=None, code=code or request.args.get("code", "")[:40])
        return _render_join(form, refusal=TOO_MANY_LOOKUPS), 429, wait
    workshop = find_workshop_by_code(code)
    participant = current_participant(workshop) if workshop is not None else None
    kept = None
    if endpoint == "workshop_participants.contribute":
        kept = _kept(ContributionForm()) | {"errors": []}
    if participant is None:
        text = kept["text"] if kept else None
        form = JoinForm(formdata=None, code=normalise_code(code))
        return _render_join(form, refusal=TOO_MANY_POSTS, kept=text), 429, wait
    question_id = request.form.get("question_id", "")
    if endpoint == "workshop_participants.dot":
        parsed = DotForm().parsed
        contribution = db.session.get(Contribution, parsed[0]) if parsed else None
        if contribution is not None and contribution.workshop_id == workshop.id:
            question_id = contribution.question_id
    message = TOO_MANY_POSTS + (" Uw tekst staat nog in het vak." if kept and kept["text"] else "")
    body, status = _render_phone(
        workshop, participant, Notice(question_id, message, "warning"), kept, 429
    )
    return body, status, wait


# --- a form that came back without a valid CSRF token -----------------------------------------


@bp.errorhandler(CSRFError)
def form_expired(_error: CSRFError):
    """Friendlier than the app's page: the same form again, with what was typed in it."""
    db.session.rollback()
    if request.endpoint == "workshop_participants.join":
        return _render_join(JoinForm(), refusal=FORM_EXPIRED), 400
    code = (request.view_args or {}).get("code")
    workshop = find_workshop_by_code(code) if code else None
    participant = current_participant(workshop) if workshop else None
    if participant is None:
        return render_error(400, "Het formulier is verlopen", FORM_EXPIRED)
    kept = None
    if request.endpoint == "workshop_participants.contribute":
        kept = _kept(ContributionForm()) | {"errors": []}
    question_id = request.form.get("question_id", "")
    if request.endpoint == "workshop_participants.dot":
        contribution_id = DotForm().parsed
        contribution = db.session.get(Contribution, contribution_id[0]) if contribution_id else None
        if contribution is not None and contribution.workshop_id == workshop.id:
            question_id = contribution.question_id
    text = FORM_EXPIRED + (" Uw tekst staat nog in het vak." if kept and kept["text"] else "")
    return _render_phone(workshop, participant, Notice(question_id, text, "warning"), kept, 400)
