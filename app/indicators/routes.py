"""A region's indicators: the overview, one indicator's page, importing figures, and which
questions they bear on. Every view checks the region first (``get_region_or_404``)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from ..accounts.access import current_access
from ..accounts.roles import Permission
from ..core.forms import revision_of
from ..core.page_cache import cached_page
from ..core.uploads import accepts_upload
from ..extensions import db
from ..questionnaires.registry import current_questionnaire
from ..regions.routes import get_region_or_404
from . import operations, queries
from .charts import svg_markup
from .content import indicator_content
from .forms import ConfirmForm, IndicatorForm, MunicipalitiesForm, QuestionLinkForm, UploadForm
from .importer import ImportOptions, UnreadableFile, read_indicator_file
from .models import Direction
from .presentation import format_value, indicator_charts, preview_of, with_sparklines

bp = Blueprint("indicators", __name__, url_prefix="/regio/<slug>")


def _can_manage(region) -> bool:
    return current_access().allows(Permission.MANAGE_INDICATORS, region.id)


@bp.get("/indicatoren")
def index(slug: str):
    region = get_region_or_404(slug, Permission.VIEW)
    # Kept per user and session like the conversation page (names, buttons, CSRF token), and
    # per revision of the region's figures: every write on them raises it.
    return cached_page(
        (
            "indicators",
            region.id,
            region.name,
            region.indicator_revision,
            current_access().fingerprint,
            session.get("csrf_token"),
        ),
        lambda: render_template(
            "indicators/index.html",
            region=region,
            rows=queries.region_overview(region.id),
            can_manage=_can_manage(region),
        ),
    )


# --- import ---------------------------------------------------------------------------------------


def _options_from(form: UploadForm) -> ImportOptions:
    return ImportOptions(
        indicator=(form.indicator.data or "").strip() or None,
        sheet=(form.sheet.data or "").strip() or None,
        layout=form.layout.data or None,
        period=form.period.data or None,
    )


def _upload_page(region, form: UploadForm, status: int = 200):
    return render_template(
        "indicators/upload.html",
        region=region,
        form=form,
        known_names=[i.name for i in queries.region_indicators(region.id)]
        + [i.name for i in indicator_content().indicators],
    ), status


@bp.route("/indicatoren/importeren", methods=["GET", "POST"])
@accepts_upload("INDICATOR_UPLOAD_MAX_MB")
def upload(slug: str):
    region = get_region_or_404(slug, Permission.MANAGE_INDICATORS)
    form = UploadForm()
    if request.method == "GET" or not form.validate():
        return _upload_page(region, form, 422 if form.errors else 200)
    storage = form.file.data
    content = storage.read()
    options = _options_from(form)
    try:
        read_indicator_file(content, storage.filename or "", options)
    except UnreadableFile as problem:
        form.file.errors.append(str(problem))
        return _upload_page(region, form, 422)
    upload = operations.keep_upload(
        region, current_access().person.id, storage.filename or "", content, options
    )
    db.session.commit()
    return redirect(url_for(".preview", slug=region.slug, token=upload.token))


def _upload_or_gone(region, token: str):
    upload = operations.find_upload(region.id, current_access().person.id, token)
    if upload is None:
        flash(
            "Deze import bestaat niet meer: hij is al ingelezen, geannuleerd of ouder dan een "
            "dag. Kijk in het overzicht of de cijfers er staan, of lees het bestand opnieuw in.",
            "warning",
        )
    return upload


def _plan_or_none(upload):
    """The upload's plan when it can be stored; None when the upload is gone or unreadable."""
    if upload is None:
        return None
    try:
        plan = _plan_of(upload)
    except UnreadableFile:
        return None
    return plan if plan.can_import else None


def _plan_of(upload):
    return read_indicator_file(
        upload.content, upload.file_name, operations.options_from_dict(upload.options)
    )


@bp.get("/indicatoren/importeren/<token>")
def preview(slug: str, token: str):
    region = get_region_or_404(slug, Permission.MANAGE_INDICATORS)
    upload = _upload_or_gone(region, token)
    if upload is None:
        return redirect(url_for(".index", slug=region.slug))
    try:
        plan = _plan_of(upload)
    except UnreadableFile as problem:  # the same bytes read before; only a changed importer
        flash(str(problem), "warning")
        return redirect(url_for(".upload", slug=region.slug))
    return _preview_page(region, upload, plan, ConfirmForm())


def _preview_page(region, upload, plan, form: ConfirmForm):
    status = 200 if plan.can_import and not form.errors else 422
    return render_template(
        "indicators/preview.html",
        region=region,
        upload=upload,
        plan=plan,
        preview=preview_of(region.id, plan),
        form=form,
    ), status


@bp.post("/indicatoren/importeren/<token>")
def confirm(slug: str, token: str):
    region = get_region_or_404(slug, Permission.MANAGE_INDICATORS)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    if not form.others.data:
        # Asked when the file leaves out stored values of its periods; checked again here, not
        # only on the preview, as values may have been stored since.
        upload = operations.find_upload(region.id, current_access().person.id, token)
        plan = _plan_or_none(upload)
        if plan is not None and operations.values_outside(region.id, plan):
            form.others.errors.append(
                "Kies wat er moet gebeuren met de cijfers die niet in dit bestand staan."
            )
            return _preview_page(region, upload, plan, form)
    upload = operations.take_upload(region.id, current_access().person.id, token)
    if upload is None:
        db.session.rollback()
        _upload_or_gone(region, token)
        return redirect(url_for(".index", slug=region.slug))
    others = operations.OthersInPeriod(form.others.data or operations.OthersInPeriod.KEEP.value)
    try:
        plan = _plan_of(upload)
        result = operations.store_plan(region, plan, others)
    except (UnreadableFile, operations.NothingToImport):
        db.session.rollback()
        flash(
            "Er is niets ingelezen: het bestand heeft rijen die Handvat niet kan lezen. Pas het "
            "bestand aan en lees het opnieuw in.",
            "warning",
        )
        return redirect(url_for(".preview", slug=region.slug, token=token))
    db.session.commit()
    names = ", ".join(f"‘{s.indicator.name}’" for s in result.indicators)
    message = f"{_count(result.values, 'waarde', 'waarden')} ingelezen voor {names}."
    kept = sum(s.kept for s in result.indicators)
    removed = sum(s.removed for s in result.indicators)
    if kept:
        message += f" {_count(kept, 'andere waarde', 'andere waarden')} van die perioden "
        message += "is blijven staan." if kept == 1 else "zijn blijven staan."
    if removed:
        message += f" {_count(removed, 'andere waarde', 'andere waarden')} van die perioden "
        message += "is weggehaald." if removed == 1 else "zijn weggehaald."
    flash(message, "success")
    if len(result.indicators) == 1:
        key = result.indicators[0].indicator.key
        return redirect(url_for(".show", slug=region.slug, key=key))
    return redirect(url_for(".index", slug=region.slug))


def _count(number: int, one: str, many: str) -> str:
    from ..core.formatting import number as dutch

    return f"{dutch(number)} {one if number == 1 else many}"


@bp.post("/indicatoren/importeren/<token>/annuleren")
def cancel(slug: str, token: str):
    region = get_region_or_404(slug, Permission.MANAGE_INDICATORS)
    if not ConfirmForm().validate():
        abort(400)
    operations.take_upload(region.id, current_access().person.id, token)
    db.session.commit()
    flash("De import is geannuleerd. Er is niets ingelezen.", "success")
    return redirect(url_for(".index", slug=region.slug))


# --- one indicator --------------------------------------------------------------------------------


@bp.get("/indicatoren/<key>")
def show(slug: str, key: str):
    region = get_region_or_404(slug, Permission.VIEW)
    indicator = queries.get_indicator_or_404(region.id, key)
    table = queries.indicator_table(indicator.id)
    questionnaire = current_questionnaire().questionnaire
    link_form = QuestionLinkForm()
    link_form.set_choices(questionnaire)
    content = indicator_content()
    standard = content.by_key.get(indicator.key)
    return render_template(
        "indicators/show.html",
        region=region,
        indicator=indicator,
        table=table,
        charts=[
            (title, svg_markup(drawing, title=title, description=description))
            for title, description, drawing in indicator_charts(indicator, table)
        ],
        questionnaire=questionnaire,
        content_questions=standard.questions if standard else [],
        own_questions=queries.question_links(indicator),
        link_form=link_form,
        confirm_form=ConfirmForm(),
        can_manage=_can_manage(region),
    )


def _description(form: IndicatorForm) -> operations.IndicatorDescription:
    return operations.IndicatorDescription(
        name=form.name.data.strip(),
        definition=(form.definition.data or "").strip(),
        unit=(form.unit.data or "").strip(),
        direction=Direction(form.direction.data),
        source=(form.source.data or "").strip(),
        frequency=(form.frequency.data or "").strip(),
        target_value=form.target_value.data,
        target_period=form.target_period.data,
    )


@bp.route("/indicatoren/<key>/bewerken", methods=["GET", "POST"])
def edit(slug: str, key: str):
    region = get_region_or_404(slug, Permission.MANAGE_INDICATORS)
    indicator = queries.get_indicator_or_404(region.id, key)
    conflict = None
    if request.method == "GET":
        form = IndicatorForm(obj=indicator)
        form.direction.data = indicator.direction.value
    else:
        form = IndicatorForm()
        if form.validate():
            try:
                changed = operations.describe_indicator(
                    indicator, _description(form), revision_of(form.revision)
                )
            except operations.IndicatorConflict as error:
                db.session.rollback()
                conflict = error.current
                form.revision.data = str(conflict.revision)
            except operations.NameTaken:
                db.session.rollback()
                form.name.errors.append(
                    "Een andere indicator van de regio heeft al deze naam. Kies een andere naam."
                )
            else:
                db.session.commit()
                flash(
                    "De indicator is opgeslagen." if changed else "Er was niets veranderd.",
                    "success",
                )
                return redirect(url_for(".show", slug=region.slug, key=indicator.key))
    status = 409 if conflict else (422 if form.errors else 200)
    return render_template(
        "indicators/edit.html", region=region, indicator=indicator, form=form, conflict=conflict
    ), status


@bp.post("/indicatoren/<key>/vragen")
def link_question(slug: str, key: str):
    region = get_region_or_404(slug, Permission.MANAGE_INDICATORS)
    indicator = queries.get_indicator_or_404(region.id, key)
    form = QuestionLinkForm()
    questionnaire = current_questionnaire().questionnaire
    form.set_choices(questionnaire)
    if not form.validate() or not form.question_id.data:
        flash("Kies de vraag waar de indicator bij hoort.", "warning")
        return redirect(url_for(".show", slug=region.slug, key=key, _anchor="vragen"))
    linked = operations.link_question(indicator, form.question_id.data)
    db.session.commit()
    number = questionnaire.question_numbers[form.question_id.data]
    flash(
        f"De cijfers staan nu naast vraag {number}."
        if linked
        else f"De indicator hoorde al bij vraag {number}.",
        "success",
    )
    return redirect(url_for(".show", slug=region.slug, key=key, _anchor="vragen"))


@bp.post("/indicatoren/<key>/vragen/<question_id>/los")
def unlink_question(slug: str, key: str, question_id: str):
    region = get_region_or_404(slug, Permission.MANAGE_INDICATORS)
    indicator = queries.get_indicator_or_404(region.id, key)
    if not ConfirmForm().validate():
        abort(400)
    # Only a question it is linked to: a NUL byte in the URL never reaches PostgreSQL.
    if question_id in queries.question_links(indicator):
        operations.unlink_question(indicator, question_id)
        db.session.commit()
    flash("De koppeling met de vraag is weg.", "success")
    return redirect(url_for(".show", slug=region.slug, key=key, _anchor="vragen"))


@bp.route("/indicatoren/<key>/verwijderen", methods=["GET", "POST"])
def delete(slug: str, key: str):
    region = get_region_or_404(slug, Permission.MANAGE_INDICATORS)
    indicator = queries.get_indicator_or_404(region.id, key)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        name = indicator.name
        operations.delete_indicator(indicator)
        db.session.commit()
        flash(f"De indicator ‘{name}’ en al zijn cijfers zijn verwijderd.", "success")
        return redirect(url_for(".index", slug=region.slug))
    return render_template(
        "indicators/delete.html",
        region=region,
        indicator=indicator,
        form=form,
        table=queries.indicator_table(indicator.id),
        linked_actions=queries.actions_linked_to(indicator.id),
    )


# --- the region's municipalities ------------------------------------------------------------------


@bp.route("/gemeenten", methods=["GET", "POST"])
def municipalities(slug: str):
    """Which municipalities make up the region, with their CBS codes, and where the mbo
    institution has a location: what the plate's rule of thumb compares with."""
    region = get_region_or_404(slug, Permission.MANAGE_INDICATORS)
    form = MunicipalitiesForm()
    form.set_choices(region.municipalities)
    if request.method == "GET":
        form.seats.data = [m.id for m in region.municipalities if m.hosts_institution]
    elif form.validate():
        try:
            added = operations.set_municipalities(
                region, form.added_names, set(form.seats.data or [])
            )
        except operations.UnknownMunicipalities as error:
            db.session.rollback()
            form.added.errors.append(
                "Deze gemeente(n) kent Handvat niet: "
                + ", ".join(f"‘{name[:60]}’" for name in error.names)
                + ". Controleer de schrijfwijze, of gebruik de CBS-code (zoals GM0153). "
                "Er is niets opgeslagen."
            )
        else:
            db.session.commit()
            message = "De gemeenten van de regio zijn opgeslagen."
            if added:
                message += f" Toegevoegd: {', '.join(added)}."
            flash(message, "success")
            return redirect(url_for(".municipalities", slug=region.slug))
    return render_template("indicators/municipalities.html", region=region, form=form), (
        422 if form.errors else 200
    )


def question_figures(conversation, question_id: str):
    """(figures, rule-of-thumb comparisons) of the conversation's region for a question."""
    return queries.figures_for_question(
        conversation.region_id, conversation.questionnaire.key, question_id
    )


def figures_by_action(actions) -> dict[int, list]:
    """Each action point's linked indicators (``ActionFigure``), by action id."""
    return queries.action_figures([a.id for a in actions])


def action_figure_rows(actions) -> list:
    """(figure, small chart as SVG) of every linked indicator, in the order of the list."""
    figures = figures_by_action(actions)
    return with_sparklines([f for a in actions for f in figures.get(a.id, [])])


# The conversation and action pages show the figures through these: the indicators feature
# builds on conversations and action points, never the other way round.
bp.add_app_template_global(question_figures)
bp.add_app_template_global(figures_by_action)
bp.add_app_template_global(action_figure_rows)
bp.add_app_template_global(format_value, "figure")
bp.add_app_template_global(queries.period_label, "period_label")
