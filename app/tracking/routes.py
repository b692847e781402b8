"""The region-wide action list: all actions of the regions a user works in, filtered in the URL.

Pages: the list (``/acties``, and "Mijn acties"), the board view per phase, exports of the
filtered list (PDF, Excel, CSV) and calendar feeds of its due dates. Every read goes through
``queries.py``, which keeps to the regions where the user's role allows what is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.datastructures import MultiDict

from ..accounts.access import current_access, public
from ..accounts.limits import limiter
from ..accounts.models import Membership
from ..accounts.roles import Permission
from ..actions.models import ActionPoint
from ..actions.routes import ACTIONS_PER_PAGE
from ..core.database import reads_only
from ..core.errors import render_error
from ..core.formatting import date_short, local_today, number
from ..core.models import utcnow
from ..core.page_cache import cached_page
from ..exports.cache import rendered_export
from ..exports.limits import answer_export_limits
from ..exports.overview_pdf import render_overview_pdf
from ..exports.overview_tables import render_overview_csv, render_overview_xlsx
from ..extensions import db
from ..questionnaires.registry import current_questionnaire
from ..questionnaires.schema import Questionnaire
from ..regions.models import Region
from . import (
    models,  # noqa: F401  (the CalendarFeed table)
    operations,
    queries,
)
from .calendar import feed_events, render_feed
from .documents import embedded_text, overview_document
from .filters import (
    DUE_SOON,
    NO_PHASE,
    OPEN_ALL,
    OVERDUE,
    PERIODS,
    SORTS,
    ActionFilter,
    describe,
    parse_filter,
)
from .forms import FeedForm, RevokeFeedForm
from .queries import EXPORT_MAX_ROWS, STATUS_ORDER, Viewer

bp = Blueprint("tracking", __name__, url_prefix="/acties")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- what every page of the list starts from ------------------------------------------------


@dataclass
class ListContext:
    """The user's filter, read from the query string, and what the pages need beside it."""

    filter: ActionFilter
    notices: list[str]
    viewer: Viewer
    questionnaire: Questionnaire
    regions: dict[str, str]  #: slug -> name of the regions the user works in
    conversation_title: str | None = None
    indicators: list[queries.LinkedIndicator] = field(default_factory=list)

    @property
    def show_region(self) -> bool:
        """A region column is only worth its space when the list spans several."""
        return len(self.filter.regions) != 1 and len(self.regions) > 1

    @property
    def description(self) -> str:
        names = {i.key: i.name for i in self.indicators}
        return describe(
            self.filter,
            self.regions,
            self.questionnaire,
            self.conversation_title,
            names.get(self.filter.indicator),
        )

    @property
    def region_names(self) -> list[str]:
        slugs = self.filter.regions or list(self.regions)
        return sorted((self.regions[s] for s in slugs if s in self.regions), key=str.casefold)


def _list_context(permission: Permission = Permission.VIEW, *, mine: bool = False) -> ListContext:
    access = current_access()
    questionnaire = current_questionnaire().questionnaire
    regions = {r.slug: r.name for r in access.regions_allowing(permission)}
    parsed = parse_filter(request.args, regions, questionnaire)
    f = replace(parsed.filter, mine=True) if mine else parsed.filter
    viewer = Viewer(access.person.id, local_today(), permission)
    context = ListContext(f, parsed.notices, viewer, questionnaire, regions)
    if f.conversation_id:
        context.conversation_title = queries.conversation_title(f.conversation_id, viewer)
        if context.conversation_title is None:
            context.notices.append(
                f"Gesprek {f.conversation_id} bestaat niet, of u werkt niet in de regio van dat "
                "gesprek. Dit filter is niet gebruikt."
            )
            context.filter = replace(f, conversation_id=None)
    return context


def action_url(action: ActionPoint, **kwargs) -> str:
    """The action on its conversation's action list (the page it is on, scrolled to it)."""
    page = (action.position - 1) // ACTIONS_PER_PAGE + 1
    pages = {"page": page} if page > 1 else {}
    return url_for(
        "actions.index",
        conversation_id=action.conversation_id,
        _anchor=f"actie-{action.id}",
        **pages,
        **kwargs,
    )


def _page_globals() -> dict:
    return {
        "statuses": STATUS_ORDER,
        "open_all": OPEN_ALL,
        "periods": PERIODS,
        "overdue_period": OVERDUE,
        "soon_period": DUE_SOON,
        "sorts": SORTS,
        "no_phase": NO_PHASE,
        "action_url": action_url,
        "embedded_text": embedded_text,
    }


# --- the list and the board -----------------------------------------------------------------


@bp.get("")
@reads_only
def index():
    """All actions of the regions the user works in (``?regio=`` for one region)."""
    return _list_page("tracking.index", mine=False)


@bp.get("/mijn")
@reads_only
def mine():
    """The actions whose trekker is the signed-in user's account."""
    return _list_page("tracking.mine", mine=True)


def _list_page(endpoint: str, *, mine: bool):
    def render() -> str:
        context = _list_context(mine=mine)
        context.indicators = queries.indicator_choices(context.viewer)
        return render_template(
            "tracking/index.html",
            ctx=context,
            f=context.filter,
            result=queries.list_page(context.filter, context.viewer),
            endpoint=endpoint,
            **_page_globals(),
        )

    return _cached(render)


@bp.get("/bord")
@reads_only
def board():
    """The filtered actions counted per phase and status: done against embedded."""

    def render() -> str:
        context = _list_context()
        context.indicators = queries.indicator_choices(context.viewer)
        return render_template(
            "tracking/board.html",
            ctx=context,
            f=context.filter,
            board=queries.board(context.filter, context.viewer, context.questionnaire),
            endpoint="tracking.board",
            **_page_globals(),
        )

    return _cached(render)


def _cached(render) -> str:
    """The page as rendered before for the same URL, user, session (the CSRF token of the
    sign-out form), day ("te laat") and version of the data of the user's regions
    (the revisions of the user's regions, read with the session); rendered anew when any of
    them changed."""
    if not current_app.config["PAGE_CACHE_ENABLED"]:
        return render()
    access = current_access()
    today = local_today()
    key = (
        "tracking",
        request.endpoint,
        request.query_string,
        today,
        access.fingerprint,
        session.get("csrf_token"),
        access.revisions_key(),
    )
    return cached_page(key, render)


# --- exports --------------------------------------------------------------------------------

RENDERERS = {
    "pdf": ("application/pdf", render_overview_pdf),
    "xlsx": (XLSX_MIMETYPE, render_overview_xlsx),
    # Werkzeug adds "; charset=utf-8" to a text/* mimetype itself.
    "csv": ("text/csv", render_overview_csv),
}


@bp.get("/export.pdf")
def export_pdf():
    return _export("pdf")


@bp.get("/export.xlsx")
def export_xlsx():
    return _export("xlsx")


@bp.get("/export.csv")
def export_csv():
    return _export("csv")


def _export(extension: str):
    """The filtered list as a file: only rows of regions where the user may export (403 when
    that is none, or when the filter names a region where they may not)."""
    access = current_access()
    refused = [r for r in access.regions if not access.allows(Permission.EXPORT, r.region_id)]
    if not access.regions_allowing(Permission.EXPORT):
        abort(403)
    if {r.slug for r in refused} & set(request.args.getlist("regio")):
        abort(403)
    context = _list_context(Permission.EXPORT)
    context.indicators = queries.indicator_choices(context.viewer)
    total = queries.export_count(context.filter, context.viewer)
    if total > EXPORT_MAX_ROWS:
        return _too_long(total)
    document = overview_document(
        queries.export_rows(context.filter, context.viewer),
        description=context.description,
        regions=context.region_names,
        today=context.viewer.today,
        questionnaire=context.questionnaire,
    )
    mimetype, render = RENDERERS[extension]
    if extension == "csv":
        data = render(document)
    else:
        data = rendered_export(f"action-overview.{extension}", document, render)
    return _download(data, _filename(context, extension), mimetype)


def _too_long(total: int):
    return render_error(
        422,
        "Deze lijst is te lang om te downloaden",
        f"De lijst heeft {number(total)} actiepunten. Een download kan er hoogstens "
        f"{number(EXPORT_MAX_ROWS)} bevatten. Kies een regio, een status of een periode om de "
        "lijst kleiner te maken, en download dan opnieuw.",
    )


def _filename(context: ListContext, extension: str) -> str:
    where = context.filter.regions[0] if len(context.filter.regions) == 1 else "regios"
    return f"actiepunten-{where}-{date_short(context.viewer.today)}.{extension}"


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


answer_export_limits(
    bp,
    busy_message="Er wordt nu al een andere lijst gemaakt. Probeer het over een minuut opnieuw. "
    "Er is niets verloren gegaan.",
    slow_title="Dit bestand is te groot",
    slow_message="Het maken van dit bestand duurde te lang. Daarom zijn we gestopt. Er is niets "
    "verloren gegaan. Kies filters om de lijst kleiner te maken, of download de lijst als "
    "CSV-bestand.",
    slow_retry=False,
)


# --- calendar feeds -------------------------------------------------------------------------


def _feed_url(key: str) -> str:
    return url_for("tracking.feed", token=key, _external=True)


def _normalised_filters(query: str, context_regions: dict[str, str]) -> str:
    """A submitted filter query string as the list page would write it (junk left out)."""
    args = MultiDict(parse_qsl(query, keep_blank_values=False, max_num_fields=500))
    questionnaire = current_questionnaire().questionnaire
    return parse_filter(args, context_regions, questionnaire).filter.query_string()


def _feeds_page(form: FeedForm, *, new_feed=None, status: int = 200):
    user = current_access().user
    return render_template(
        "tracking/feeds.html",
        form=form,
        feeds=operations.feeds_of(user.id),
        revoke_form=RevokeFeedForm(formdata=None),
        new_feed=new_feed,
        feed_url=_feed_url(new_feed.key) if new_feed else None,
        describe_query=_describe_query,
        max_feeds=operations.MAX_FEEDS_PER_USER,
    ), status


def _describe_query(query: str) -> str:
    regions = {r.slug: r.name for r in current_access().regions}
    args = MultiDict(parse_qsl(query, max_num_fields=500))
    parsed = parse_filter(args, regions, current_questionnaire().questionnaire)
    return describe(parsed.filter, regions, current_questionnaire().questionnaire) or (
        "alle actiepunten"
    )


@bp.route("/agenda-abonnementen", methods=["GET", "POST"])
def feeds():
    """Calendar feeds: make one from the list's current filters, see and revoke one's own."""
    if request.method == "GET":
        context = _list_context()
        form = FeedForm(formdata=None)
        form.filters.data = context.filter.query_string()
        described = context.description
        form.name.data = (f"Acties: {described}" if described else "Acties Handvat")[
            : operations.FEED_NAME_MAX
        ]
        return _feeds_page(form)
    form = FeedForm()
    if not form.validate():
        return _feeds_page(form, status=422)
    regions = {r.slug: r.name for r in current_access().regions}
    try:
        new_feed = operations.create_feed(
            current_access().user,
            form.name.data,
            _normalised_filters(form.filter_query, regions),
            submission_token=form.creation_token.token,
            secret=current_app.config["SECRET_KEY"],
            now=utcnow(),
        )
    except operations.TooManyFeeds:
        db.session.rollback()
        form.name.errors.append(
            f"U heeft al {operations.MAX_FEEDS_PER_USER} agenda-abonnementen. Trek er eerst een "
            "in dat u niet meer gebruikt."
        )
        return _feeds_page(form, status=422)
    db.session.commit()
    return _feeds_page(FeedForm(formdata=None), new_feed=new_feed)


@bp.post("/agenda-abonnementen/intrekken")
def revoke_feed():
    form = RevokeFeedForm()
    feed_id = form.feed_id if form.validate() else None
    user = current_access().user
    revoked = operations.revoke_feed(user, feed_id, now=utcnow()) if feed_id else None
    db.session.commit()
    if revoked is not None:
        flash(
            f"Het abonnement '{revoked.name}' is ingetrokken. De link werkt niet meer; uw "
            "agenda toont de deadlines na de volgende verversing niet meer.",
            "success",
        )
    else:
        flash("Dit abonnement bestaat niet (meer). Er is niets veranderd.", "warning")
    return redirect(url_for(".feeds"))


def _feed_key() -> str:
    return "calendar-feed:" + (request.view_args or {}).get("token", "")[:100]


#: A calendar app reads a feed every half hour or so; far more is a misbehaving client.
feed_per_key = limiter.shared_limit("120 per hour", scope="calendar-feed", key_func=_feed_key)


@bp.get("/agenda/<token>.ics")
@public
@feed_per_key
def feed(token: str):
    """The feed's events: the open actions with a due date that its owner may see now."""
    if not operations.KEY_PATTERN.fullmatch(token):
        abort(404)
    calendar_feed = operations.feed_for_key(token)
    if calendar_feed is None:
        abort(404)
    viewer = Viewer(calendar_feed.user_id, local_today())
    f = _feed_filter(calendar_feed)
    events = feed_events(
        queries.feed_rows(f, viewer), lambda action: action_url(action, _external=True)
    )
    body = render_feed(calendar_feed.name, events)
    if operations.note_read(calendar_feed, utcnow()):
        db.session.commit()
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'inline; filename="handvat-acties.ics"',
            "Cache-Control": "no-store",
            "X-Robots-Tag": "noindex",
        },
    )


def _feed_filter(calendar_feed) -> ActionFilter:
    """The feed's stored filter. A region named in it stays in the filter even when its owner
    no longer works there: the feed then shows nothing of it, rather than every region."""
    args = MultiDict(parse_qsl(calendar_feed.filter_query, max_num_fields=500))
    owned = dict(
        db.session.execute(
            db.select(Region.slug, Region.name)
            .join(Membership, Membership.region_id == Region.id)
            .where(Membership.user_id == calendar_feed.user_id)
        ).all()
    )
    regions = {slug: slug for slug in args.getlist("regio")} | owned
    return parse_filter(args, regions, current_questionnaire().questionnaire).filter


@bp.app_template_global()
def calendar_feeds_of(user) -> list:
    """The user's calendar feeds, for the account page."""
    return operations.feeds_of(user.id) if user is not None else []
