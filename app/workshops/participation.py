"""A participant's proof of joining, the notices on their phone, and the limits on joining and
posting.

A participant has no account. After joining, their phone holds the cookie ``handvat_deelname``:
the workshop's id and a random token, signed with the app's secret key (itsdangerous), so
nobody can make one up or move it to another workshop. The database keeps only the token's
hash (``WorkshopParticipant.token_hash``); no address, no user agent. The cookie's path is
``/w/<code>``: a phone can take part in several workshops, and a workshop never receives
another workshop's cookie (and refuses one that is copied over: the id must match).

The cookie also carries the participant's id, so the poll (``/w/<code>/stand``) can say "still
here" without looking the token up; everything that changes something looks the token up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Response, current_app, request, session, url_for
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer

from ..accounts.limits import limiter
from ..core.models import utcnow
from .models import Workshop, WorkshopParticipant
from .operations import normalise_code, participant_by_token

COOKIE_PREFIX = "handvat_deelname_"
COOKIE_SALT = "workshop-participant"
#: A signed cookie of ours is about 130 characters; anything far longer is not one.
MAX_COOKIE_LENGTH = 512
#: The cookie outlives the workshop by a day (seconds).
COOKIE_DAY_AFTER = 24 * 60 * 60
#: The one-shot message the phone page shows after a change (a flash tied to a question).
NOTICE_KEY = "workshop_notice"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=COOKIE_SALT)


def cookie_name(code: str) -> str:
    """One cookie per workshop, named by its code, under ``/w``: so joining again on ``/w``
    with the same code finds it."""
    return COOKIE_PREFIX + code


def phone_path(workshop: Workshop) -> str:
    return url_for("workshop_participants.phone", code=workshop.join_code)


def remember_participant(
    response: Response, workshop: Workshop, participant: WorkshopParticipant, token: str
) -> Response:
    """Give the phone its signed cookie, valid until a day after the workshop expires: until
    then the phone is told the workshop has ended, instead of being asked for a code."""
    value = _serializer().dumps({"w": workshop.id, "p": participant.id, "t": token})
    seconds_left = int((workshop.expires_dt - utcnow()).total_seconds()) + COOKIE_DAY_AFTER
    response.set_cookie(
        cookie_name(workshop.join_code),
        value,
        max_age=max(60, seconds_left),
        path="/w",
        secure=bool(current_app.config.get("FORCE_HTTPS")),
        httponly=True,
        samesite="Lax",
    )
    return response


def _payload(workshop: Workshop) -> dict | None:
    """The cookie's content if it is ours, intact, and made for this workshop."""
    workshop_id = workshop.id
    raw = request.cookies.get(cookie_name(workshop.join_code))
    if not raw or len(raw) > MAX_COOKIE_LENGTH:
        return None
    try:
        payload = _serializer().loads(raw)
    except BadSignature:
        return None
    if (
        not isinstance(payload, dict)
        or type(payload.get("w")) is not int
        or payload["w"] != workshop_id
        or not isinstance(payload.get("t"), str)
    ):
        return None
    return payload


def cookie_participant(workshop: Workshop) -> WorkshopParticipant | None:
    """The participant this phone's cookie names in this workshop, removed ones included."""
    payload = _payload(workshop)
    return participant_by_token(workshop, payload["t"]) if payload else None


def current_participant(workshop: Workshop) -> WorkshopParticipant | None:
    """The participant this phone is in this workshop, or None (not joined here, or removed
    by the facilitator)."""
    participant = cookie_participant(workshop)
    return participant if participant is not None and not participant.is_removed else None


def participant_id_from_cookie(workshop: Workshop) -> int | None:
    """The participant's id as the signed cookie says, without a query (for the poll)."""
    payload = _payload(workshop)
    participant_id = payload.get("p") if payload else None
    return participant_id if type(participant_id) is int else None


# --- notices -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """What the phone says after a change, shown at the question it is about."""

    question_id: str
    text: str
    #: "success" or "warning", as the app's ``alert--`` classes.
    category: str = "success"

    @property
    def is_problem(self) -> bool:
        return self.category != "success"


def notify(question_id: str, text: str, category: str = "success") -> None:
    """Keep a notice for the next page (post, redirect, get), like Flask's ``flash``."""
    session[NOTICE_KEY] = {"q": question_id, "m": text, "c": category}


def take_notice() -> Notice | None:
    stored = session.pop(NOTICE_KEY, None)
    if not isinstance(stored, dict):
        return None
    return Notice(str(stored.get("q", "")), str(stored.get("m", "")), str(stored.get("c", "")))


# --- rate limits ---------------------------------------------------------------------------------


def _configured(key: str):
    """The limit as configured now: read per request, so a test or an instance can change it."""
    return lambda: current_app.config[key]


def code_key() -> str:
    """The workshop a request is about: the code in the address, or the code typed."""
    typed = (request.view_args or {}).get("code") or request.form.get("code", "")
    return "workshop-code:" + normalise_code(str(typed))


def participant_key() -> str:
    """One phone: a digest of its signed cookie (so the secret token is never a key), else the
    client address."""
    code = normalise_code(str((request.view_args or {}).get("code", "")))
    raw = request.cookies.get(cookie_name(code)) if code else None
    if raw:
        return "workshop-participant:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    return "workshop-client:" + get_remote_address()


#: New participants one client address may add to one workshop. A room behind one school
#: network shares one address: 30 phones scanning the code in the same minute pass the first
#: limit, and the second leaves room for people joining again (another browser, a phone that
#: lost its cookie). Someone who drops the cookie after every join to fill the room gets at
#: most 80 seats per workshop, 40 a minute, instead of all of them in seconds; the
#: facilitator can remove them, and turn joining off. Only joins that took a seat count
#: (``deduct_when``): a wrong code, a full room or a phone that was in already costs nothing.
#: A room of more than 80 on one network address needs a higher value
#: (``WORKSHOP_JOIN_LIMIT_PER_CLIENT_AND_CODE``).
JOIN_LIMIT_PER_CLIENT_AND_CODE = "40 per minute;80 per 12 hours"
#: Set in the request's environment when a join took a seat (not on ``g``: the app context,
#: and with it ``g``, can outlive one request).
SEAT_TAKEN = "handvat.workshop_seat_taken"


def client_and_code_key() -> str:
    return "workshop-join:" + get_remote_address() + ":" + code_key()


def _seat_taken(_response) -> bool:
    return bool(request.environ.get(SEAT_TAKEN))


def note_seat_taken() -> None:
    request.environ[SEAT_TAKEN] = True


join_per_client_and_code = limiter.shared_limit(
    lambda: current_app.config.get(
        "WORKSHOP_JOIN_LIMIT_PER_CLIENT_AND_CODE", JOIN_LIMIT_PER_CLIENT_AND_CODE
    ),
    scope="workshop-join-client-code",
    key_func=client_and_code_key,
    methods=["POST"],
    deduct_when=_seat_taken,
)
#: Looking a code up without having joined (the join form with a code, the phone page, its
#: live part, the poll), per client address. Enough for a room of a few hundred behind one
#: address opening the link of the QR code; a guesser gets 1,200 codes an hour of the 244
#: million there are. A phone that joined (with a signed cookie for the code) is not counted.
LOOKUP_LIMIT_PER_CLIENT = "120 per minute;1200 per hour"


def _typed_code() -> str:
    return normalise_code(
        str((request.view_args or {}).get("code") or request.args.get("code", ""))
    )


def _not_a_lookup() -> bool:
    """No code to look up (the empty join form), or a phone that joined this workshop: its
    cookie is signed by us (checked without a query)."""
    code = _typed_code()
    if not code:
        return True
    raw = request.cookies.get(cookie_name(code))
    if not raw or len(raw) > MAX_COOKIE_LENGTH:
        return False
    try:
        payload = _serializer().loads(raw)
    except BadSignature:
        return False
    return isinstance(payload, dict) and type(payload.get("w")) is int


lookup_per_client = limiter.shared_limit(
    lambda: current_app.config.get("WORKSHOP_LOOKUP_LIMIT_PER_CLIENT", LOOKUP_LIMIT_PER_CLIENT),
    scope="workshop-lookup-client",
    methods=["GET", "HEAD"],
    exempt_when=_not_a_lookup,
)
join_per_client = limiter.shared_limit(
    _configured("WORKSHOP_JOIN_LIMIT_PER_CLIENT"), scope="workshop-join-client", methods=["POST"]
)
join_per_code = limiter.shared_limit(
    _configured("WORKSHOP_JOIN_LIMIT_PER_CODE"),
    scope="workshop-join-code",
    key_func=code_key,
    methods=["POST"],
)
post_per_participant = limiter.shared_limit(
    _configured("WORKSHOP_POST_LIMIT_PER_PARTICIPANT"),
    scope="workshop-post-participant",
    key_func=participant_key,
    methods=["POST"],
)
post_per_code = limiter.shared_limit(
    _configured("WORKSHOP_POST_LIMIT_PER_CODE"),
    scope="workshop-post-code",
    key_func=code_key,
    methods=["POST"],
)
