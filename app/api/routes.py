"""The API for the region's own dashboards and scripts: JSON under ``/api/v1``.

Authentication is a personal access token in ``Authorization: Bearer`` and nothing else
(``auth.py``); the views are ``@public`` for the pages' session check and authenticate the
token themselves, before each request of the blueprint. Authorisation is the pages': the same
``Access`` and the same checks per object. Errors are ``application/problem+json``
(``problems.py``), also for an unknown path or method under ``/api/v1`` (``not_found``). The
OpenAPI description (``openapi.py``) is served beside it, with a Dutch page generated from it.

The NL API Design Rules as they apply here: lower-case paths with plural nouns and no trailing
slash, camelCase properties, pages with ``page``/``pageSize`` and HAL ``_links``, the version in
the path and in the ``API-Version`` header, no cookies.
"""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, current_app, g, render_template, request
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException, MethodNotAllowed, SecurityError
from werkzeug.routing import BaseConverter

from ..accounts.access import current_access, public
from ..accounts.limits import limiter
from ..accounts.roles import Permission
from ..actions import operations as action_operations
from ..actions import progress
from ..actions.models import ActionStatus, EmbeddingPlace
from ..actions.operations import ActionConflict, ActionGone, EmbeddingMissing, UnknownOwner
from ..conversations.operations import ConversationGone, InvalidChoice
from ..core.forms import Outcome
from ..extensions import csrf, db
from ..indicators.periods import parse_period
from ..indicators.queries import action_figures
from . import queries
from . import representations as show
from .auth import (
    authenticate,
    bearer_secret,
    forget_the_session,
    require_write_scope,
    token_owner,
)
from .cache import page_cache, page_key, serve
from .openapi import API_VERSION, openapi_document, openapi_json
from .params import (
    PAGING_PARAMETERS,
    BodyFields,
    QueryArgs,
    etag,
    if_match_revision,
    json_body,
)
from .problems import (
    ApiProblem,
    InvalidParam,
    problem_from_http_exception,
    problem_response,
    register_problem_handlers,
)
from .ratelimit import check_rate_limit

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class RowIdConverter(BaseConverter):
    """``<rowid:...>``: a row id, 1 to 2,147,483,647 (what ``<id:...>`` accepts), decided by
    the pattern alone.

    ``<id:...>`` refuses a number past the database's integer in ``to_python``, and Werkzeug
    then stops matching altogether: no other rule is tried, and a method the path's other rules
    lack becomes a 405. Here the pattern itself does not match such a number, so the request
    falls through to ``not_found`` and gets a 404 problem document like any unknown path.
    """

    regex = (
        r"(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}"
        r"|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}"
        r"|21474836[0-3][0-9]|214748364[0-7])"
    )
    weight = 50
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


bp.record_once(lambda state: state.app.url_map.converters.setdefault("rowid", RowIdConverter))
#: No cookie authenticates a request here, so there is no cross-site request to forge.
csrf.exempt(bp)
register_problem_handlers(bp)

#: Flask-Limiter counts nothing here: the API counts per token itself (``ratelimit.py``). A
#: request filter, not ``limiter.exempt(bp)``: Flask-Limiter still resolves the limits of an
#: exempt blueprint on every request, and returns at once for a filtered one.
limiter.request_filter(lambda: request.blueprint == bp.name)


def _count_for_the_address() -> dict[str, str]:
    """Count this request in the one count of its client address, for every request without
    a known token: none, one that cannot be a token, or an unknown or revoked one. A made-up
    token per request thus gets no count of its own."""
    return check_rate_limit(
        "api-client:" + (get_remote_address() or ""),
        "Er kwamen te veel verzoeken zonder geldige sleutel van uw adres. Wacht een minuut en "
        "probeer het dan opnieuw; de kop Retry-After zegt hoe lang. Stuurt u wel een sleutel "
        "mee? Controleer dan of die klopt en niet is ingetrokken.",
    )


def without_token(view):
    """Mark a view of the blueprint that answers without a token (the description, the
    documentation page, unknown paths)."""
    view.api_without_token = True
    return view


#: What the blueprint keeps on ``g`` for one request (``g`` outlives a request when the app
#: context was pushed already: a test, a script).
_PER_REQUEST = (
    "api_token",
    "api_roles_key",
    "api_version",
    "api_root",
    "api_rate_headers",
)


@bp.before_request
def authenticate_request() -> None:
    for name in _PER_REQUEST:
        g.pop(name, None)
    if request.method == "OPTIONS":
        forget_the_session()
        g.api_rate_headers = _count_for_the_address()
        return _options()
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not docs:  # a page of the site like any other, with its header and sign-out form
        forget_the_session()
    if view is docs or getattr(view, "api_without_token", False):
        g.api_rate_headers = _count_for_the_address()
        return
    # The token first (one lookup by its hash; none for one that cannot be a token), so only
    # a known token is counted on its own. The list of action points is kept per version of
    # the asker's regions (``cache.py``).
    try:
        authenticate(bearer_secret(), with_version=view is actions and page_cache() is not None)
    except ApiProblem:  # a 401, or a 429 once the address has had its share
        g.api_rate_headers = _count_for_the_address()
        raise
    g.api_rate_headers = check_rate_limit(f"api-token:{g.api_token.id}")


@bp.after_request
def add_version(response: Response) -> Response:
    # ``add``, not ``set``: no response of the blueprint has these yet (a refused request's
    # rate-limit headers come with its problem, and then ``api_rate_headers`` is empty), and
    # each ``set`` compares every header already there.
    headers = response.headers
    headers.add("API-Version", API_VERSION)
    for name, value in g.get("api_rate_headers", {}).items():
        headers.add(name, value)
    return response


#: Moments are ``datetime`` objects in UTC, naive or not (``representations.ActionShape``):
#: written as ``2026-03-05T14:00:00Z``, as ``representations.iso_moment`` writes them.
_JSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def json_bytes(data) -> bytes:
    """Compact UTF-8 JSON (orjson: a page of 100 action points in a tenth of the time of the
    standard library's encoder)."""
    return orjson.dumps(data, option=_JSON_OPTIONS)


def json_response(data, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = current_app.response_class(
        json_bytes(data), status=status, mimetype="application/json"
    )
    response.headers.update(headers or {})
    return response


def _paged(name: str, items: list[dict], page, paging, args: QueryArgs) -> Response:
    query = {k: v for k, v in args.normalised.items() if k not in PAGING_PARAMETERS}
    document, headers = show.page_document(name, items, page, paging, query)
    return json_response(document, headers=headers)


# --- the description and its page -----------------------------------------------------------


@bp.get("/openapi.json")
@public
@without_token
def openapi():
    response = current_app.response_class(openapi_json(), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("", strict_slashes=False)  # /api/v1/ as well: the page, not a 404
@public
@without_token
def docs():
    from .docs import documentation

    return render_template("api/docs.html", doc=documentation(openapi_document()))


# --- regions --------------------------------------------------------------------------------


@bp.get("/regions")
@public
def regions():
    args = QueryArgs(PAGING_PARAMETERS)
    paging = args.paging()
    args.done()
    roles = current_access().regions
    chosen = roles[paging.offset : paging.offset + paging.page_size]
    page = queries.Page(len(roles), chosen)
    return _paged("regions", [show.region(r.region_id) for r in chosen], page, paging, args)


@bp.get("/regions/<slug>")
@public
def region(slug: str):
    QueryArgs(()).done()
    found = queries.region_or_404(slug)
    return json_response(show.region_detail(found.id, queries.municipalities_of(found)))


# --- conversations --------------------------------------------------------------------------


@bp.get("/conversations")
@public
def conversations():
    args = QueryArgs(("region", *PAGING_PARAMETERS))
    paging = args.paging()
    slug = args.slug("region")
    args.done()
    page = queries.conversations_page(queries.region_ids_for(slug), paging)
    items = [show.conversation(row) for row in page.rows]
    return _paged("conversations", items, page, paging, args)


@bp.get("/conversations/<rowid:conversation_id>")
@public
def conversation(conversation_id: int):
    QueryArgs(()).done()
    row = queries.conversation_or_404(conversation_id)
    return json_response(
        show.conversation_detail(
            row,
            queries.participants_of(conversation_id),
            queries.chosen_questions_of(conversation_id),
        )
    )


@bp.get("/conversations/<rowid:conversation_id>/answers")
@public
def answers(conversation_id: int):
    QueryArgs(()).done()
    row = queries.conversation_or_404(conversation_id)
    items = show.answers(
        row, queries.chosen_questions_of(conversation_id), queries.answers_of(conversation_id)
    )
    return json_response(
        {
            "_links": {
                "self": show.link(f"/conversations/{conversation_id}/answers"),
                "conversation": show.link(f"/conversations/{conversation_id}"),
            },
            "_embedded": {"answers": items},
            "totalCount": len(items),
        },
        headers={"X-Total-Count": str(len(items))},
    )


# --- action points --------------------------------------------------------------------------

ACTION_FILTERS = (
    "region",
    "conversation",
    "status",
    "owner",
    "dueBefore",
    "dueAfter",
    "updatedSince",
)
STATUS_VALUES = [status.value for status in ActionStatus]
EMBEDDING_VALUES = [place.value for place in EmbeddingPlace]


def _action_filters(args: QueryArgs) -> queries.ActionFilters:
    """The filters of ``GET /actions`` from its query string (problems collected in ``args``)."""
    slug = args.slug("region")
    conversation_id = args.database_id("conversation")
    statuses = args.choices("status", STATUS_VALUES)
    user_id = g.api_token.user_id
    owner_id = None
    if args.text("owner") == "me":
        owner_id = user_id
        args.normalised["owner"] = "me"
    elif args.text("owner") is not None:
        owner_id = args.database_id("owner")
    due_before, due_after = args.date("dueBefore"), args.date("dueAfter")
    updated_since = args.moment("updatedSince")
    args.done()
    return queries.ActionFilters(
        region_ids=tuple(queries.region_ids_for(slug)),
        conversation_id=conversation_id,
        statuses=tuple(ActionStatus(s) for s in statuses),
        owner_user_id=owner_id,
        due_before=due_before,
        due_after=due_after,
        updated_since=updated_since,
    )


@bp.get("/actions")
@public
def actions():
    args = QueryArgs((*ACTION_FILTERS, *PAGING_PARAMETERS), repeatable=("status",))
    paging = args.paging()
    filters = _action_filters(args)
    cache = page_cache()
    if cache is None:
        return _actions_page(filters, paging, args)
    key = page_key(filters.region_ids, args.normalised, paging)
    return serve(cache, key, lambda: _actions_page(filters, paging, args))


def _actions_page(filters: queries.ActionFilters, paging, args: QueryArgs) -> Response:
    page = queries.actions_page(filters, paging)
    shape = show.ActionShape()
    return _paged("actions", [shape(row) for row in page.rows], page, paging, args)


def _action_document(action_id: int) -> Response:
    row = queries.action_row_or_404(action_id)
    figures = action_figures([action_id]).get(action_id, [])
    document = show.action_detail(row, figures, queries.latest_update_row(action_id))
    return json_response(document, headers={"ETag": etag(row.revision)})


@bp.get("/actions/<rowid:action_id>")
@public
def action(action_id: int):
    QueryArgs(()).done()
    return _action_document(action_id)


def _writable_action(action_id: int):
    """The action point for a write: 404 outside the asker's regions, then 403 for a read-only
    token or a role that may not update action points."""
    found = queries.action_or_404(action_id)
    require_write_scope()
    if not current_access().allows(Permission.UPDATE_ACTIONS, found.region_id):
        raise ApiProblem(
            403,
            "Uw rol in deze regio mag actiepunten niet bijwerken. Dat mogen de coördinator, de "
            "gespreksleider en de projectleider.",
        )
    return found


def _embedding(fields: BodyFields) -> tuple[bool, EmbeddingPlace | None, str | None]:
    """(given, place, reference) from ``embeddedIn``/``embeddedReference``."""
    place = fields.choice("embeddedIn", EMBEDDING_VALUES, nullable=True)
    reference = fields.text(
        "embeddedReference", action_operations.EMBEDDED_REFERENCE_MAX_CHARACTERS
    )
    given = fields.has("embeddedIn") or fields.has("embeddedReference")
    return given, EmbeddingPlace(place) if place else None, reference


_WRITE_ERRORS = {
    EmbeddingMissing: (
        "embeddedIn",
        "Zeg waar het is verankerd (embeddedIn) als de status verankerd is: "
        + ", ".join(EMBEDDING_VALUES)
        + ".",
    ),
    UnknownOwner: (
        "ownerAccountId",
        "De trekker van dit actiepunt is geen lid meer van de regio. Pas dat eerst aan in Handvat.",
    ),
    InvalidChoice: (
        "question",
        "De vraag of fase van dit actiepunt hoort niet bij de vragenlijst van het gesprek.",
    ),
}


@bp.patch("/actions/<rowid:action_id>")
@public
def change_action(action_id: int):
    found = _writable_action(action_id)
    fields = BodyFields(json_body(), ("status", "embeddedIn", "embeddedReference"))
    status = fields.choice("status", STATUS_VALUES)
    embedding_given, place, reference = _embedding(fields)
    if not fields.problems and status is None and not embedding_given:
        fields.refuse("status", "Geef minstens status, embeddedIn of embeddedReference.")
    fields.done()
    based_on = if_match_revision(found.revision)
    conversation = found.conversation
    try:
        if embedding_given:
            data = action_operations.ActionData(
                description=found.description,
                question_id=found.question_id,
                phase_id=found.phase_id,
                owner_name=found.owner_name,
                owner_organisation=found.owner_organisation,
                due_date=found.due_date,
                status=ActionStatus(status) if status else found.status,
                priority=found.priority,
                owner_user_id=found.owner_user_id,
                embedded_in=place if fields.has("embeddedIn") else found.embedded_in,
                embedded_reference=(
                    reference if reference is not None else found.embedded_reference
                ),
            )
            action_operations.update_action(conversation, action_id, data, based_on)
        else:
            action_operations.set_status(conversation, action_id, ActionStatus(status), based_on)
    except (ActionGone, ConversationGone):
        raise ApiProblem(404) from None
    except ActionConflict as conflict:
        raise ApiProblem(412, headers={"ETag": etag(conflict.current.revision)}) from None
    except tuple(_WRITE_ERRORS) as error:
        name, reason = _WRITE_ERRORS[type(error)]
        raise ApiProblem(422, invalid_params=[InvalidParam(name, reason)]) from None
    db.session.commit()
    return _action_document(action_id)


@bp.get("/actions/<rowid:action_id>/updates")
@public
def updates(action_id: int):
    args = QueryArgs(PAGING_PARAMETERS)
    paging = args.paging()
    args.done()
    queries.action_row_or_404(action_id)
    page = queries.updates_page(action_id, paging)
    return _paged("updates", [show.update(row) for row in page.rows], page, paging, args)


@bp.get("/actions/<rowid:action_id>/updates/<rowid:update_id>")
@public
def update(action_id: int, update_id: int):
    QueryArgs(()).done()
    queries.action_row_or_404(action_id)
    row = queries.update_row(action_id, update_id)
    if row is None:
        raise ApiProblem(404)
    return json_response(show.update(row))


UPDATE_FIELDS = ("text", "writtenOn", "status", "embeddedIn", "embeddedReference", "figure")
FIGURE_FIELDS = ("linkId", "period", "value")


def _progress_data(fields: BodyFields) -> progress.ProgressData:
    text = fields.text("text", progress.UPDATE_MAX_CHARACTERS, multiline=True)
    written_on = fields.date("writtenOn")
    status = fields.choice("status", STATUS_VALUES, nullable=True)
    _given, place, reference = _embedding(fields)
    figure = None
    figure_data = fields.object("figure")
    if figure_data is not None:
        parts = BodyFields(figure_data, FIGURE_FIELDS, prefix="figure.")
        link_id = parts.database_id("linkId")
        period_text = parts.text("period", 40)
        value = parts.number("value")
        period = parse_period(period_text) if period_text else None
        if period is None and not any(p.name == "figure.period" for p in parts.problems):
            parts.refuse("period", "Geef de periode, bijvoorbeeld 2025, 2025-Q2 of 2025/2026.")
        fields.problems += parts.problems
        if not parts.problems:
            figure = progress.FigureData(link_id, period.code, value)
    fields.done()
    return progress.ProgressData(
        text=text or "",
        written_on=written_on,
        new_status=ActionStatus(status) if status else None,
        embedded_in=place,
        embedded_reference=reference or "",
        figure=figure,
    )


_UPDATE_REFUSALS = {
    progress.EmptyUpdate: (
        "text",
        "Schrijf wat er is gebeurd (text), of geef een nieuwe status of een nieuwe waarde.",
    ),
    progress.UnknownLink: (
        "figure.linkId",
        "Dit actiepunt is niet aan die indicator gekoppeld. De koppelingen (linkId) staan in "
        "GET /api/v1/actions/{id} onder indicators.",
    ),
    EmbeddingMissing: _WRITE_ERRORS[EmbeddingMissing],
}


@bp.post("/actions/<rowid:action_id>/updates")
@public
def add_update(action_id: int):
    found = _writable_action(action_id)
    data = _progress_data(BodyFields(json_body(), UPDATE_FIELDS))
    based_on = if_match_revision(found.revision)
    try:
        result = progress.add_update(found.conversation, action_id, data, based_on, token_owner())
    except (ActionGone, ConversationGone):
        raise ApiProblem(404) from None
    except ActionConflict as conflict:
        raise ApiProblem(412, headers={"ETag": etag(conflict.current.revision)}) from None
    except tuple(_UPDATE_REFUSALS) as error:
        name, reason = _UPDATE_REFUSALS[type(error)]
        raise ApiProblem(422, invalid_params=[InvalidParam(name, reason)]) from None
    except ValueError:
        raise ApiProblem(
            422,
            invalid_params=[
                InvalidParam(
                    "writtenOn",
                    f"Een update mag hoogstens {progress.LATEST_FUTURE_DAYS} dagen vooruit "
                    "gedateerd zijn.",
                )
            ],
        ) from None
    update_id, revision = result.update.id, result.action.revision
    db.session.commit()
    row = queries.update_row(action_id, update_id)
    created = result.outcome is not Outcome.ALREADY_SAVED
    document = {**show.update(row), "actionRevision": revision}
    return json_response(
        document,
        201 if created else 200,
        headers={"Location": document["_links"]["self"]["href"], "ETag": etag(revision)},
    )


# --- indicators -----------------------------------------------------------------------------


@bp.get("/indicators")
@public
def indicators():
    args = QueryArgs(("region", *PAGING_PARAMETERS))
    paging = args.paging()
    slug = args.slug("region")
    args.done()
    page = queries.indicators_page(queries.region_ids_for(slug), paging)
    items = [show.indicator(row[0]) for row in page.rows]
    return _paged("indicators", items, page, paging, args)


@bp.get("/indicators/<rowid:indicator_id>")
@public
def indicator(indicator_id: int):
    QueryArgs(()).done()
    found = queries.indicator_or_404(indicator_id)
    count = queries.observations_page(indicator_id, queries.Paging(1, 1)).total
    return json_response(show.indicator_detail(found, count))


@bp.get("/indicators/<rowid:indicator_id>/observations")
@public
def observations(indicator_id: int):
    args = QueryArgs(PAGING_PARAMETERS)
    paging = args.paging()
    args.done()
    queries.indicator_or_404(indicator_id)
    page = queries.observations_page(indicator_id, paging)
    items = [show.observation(row[0]) for row in page.rows]
    return _paged("observations", items, page, paging, args)


# --- anything else under /api/v1 ------------------------------------------------------------

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

NOT_FOUND_DETAIL = (
    "Dit adres bestaat niet in de API. Adressen zijn in kleine letters, zonder / aan het eind. "
    "Alle adressen staan op /api/v1."
)


@bp.route("/<path:rest>", methods=list(_METHODS))
@public
@without_token
def not_found(rest: str):
    """An address or method the API does not have: a problem document, not the site's page."""
    allowed = allowed_methods(request.path)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise ApiProblem(404, NOT_FOUND_DETAIL)


def _options() -> Response:
    """``OPTIONS``: the address's methods in ``Allow``, without a token (the description is
    public too). No ``Access-Control-*`` headers: the API is for scripts, Power BI and Excel,
    not for another site's script in a browser, so a browser's CORS preflight ends here."""
    allowed = allowed_methods(request.path)
    if not allowed:
        raise ApiProblem(404, NOT_FOUND_DETAIL)
    return current_app.response_class(status=204, headers={"Allow": ", ".join(allowed)})


def allowed_methods(path: str) -> list[str]:
    """The methods the API answers ``path`` with, for ``Allow``: with HEAD beside GET, and
    OPTIONS; none for an address it does not have."""
    methods = _methods_of(path)
    if not methods:
        return []
    return sorted({*methods, "OPTIONS", *(("HEAD",) if "GET" in methods else ())})


def _methods_of(path: str) -> list[str]:
    """The methods another route of the app answers ``path`` with."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in _METHODS:
        try:
            endpoint, _ = adapter.match(path, method=method)
        except HTTPException:
            continue
        except Exception:  # a redirect for a missing slash: not this path
            continue
        if endpoint != "api.not_found":
            allowed.append(method)
    return allowed


# --- errors before the API's own handlers ---------------------------------------------------


def _in_the_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


@bp.app_errorhandler(400)
@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def problem_before_routing(error: HTTPException):
    """Errors found before a request reaches the blueprint, so before its handlers: a host
    outside ``TRUSTED_HOSTS`` (``SecurityError``), a method no route of the app has (``TRACE``,
    ``PROPFIND``), a path under ``/api`` that is not the API's. Under ``/api`` they are problem
    documents too; elsewhere the site's own handler answers, as without this one."""
    if not _in_the_api():
        site_handler = current_app.error_handler_spec[None][None].get(HTTPException)
        return site_handler(error) if site_handler else error
    forget_the_session()
    if isinstance(error, SecurityError):
        response = problem_response(
            400,
            "De servernaam in uw verzoek (de kop Host) hoort niet bij deze installatie. Gebruik "
            "het adres van Handvat dat op de documentatiepagina van de API staat.",
        )
    elif error.code == 405 and (allowed := allowed_methods(request.path)):
        response = problem_from_http_exception(MethodNotAllowed(valid_methods=allowed))
    elif error.code in (404, 405):
        response = problem_response(404, NOT_FOUND_DETAIL)
    else:
        response = problem_from_http_exception(error)
    response.headers["API-Version"] = API_VERSION
    return response
