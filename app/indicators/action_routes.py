"""Linking an action point to the indicators it is meant to move: baseline, target and the
story behind the figure."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..accounts.roles import Permission
from ..actions.queries import get_action_or_404
from ..conversations.queries import get_conversation_or_404
from ..core.forms import Outcome, revision_of
from ..extensions import db
from . import operations, queries
from .forms import ActionLinkForm, ConfirmForm
from .models import Observation
from .presentation import with_sparklines

bp = Blueprint(
    "action_indicators",
    __name__,
    url_prefix="/gesprekken/<id:conversation_id>/acties/<id:action_id>/indicatoren",
)


def _categories(indicators) -> dict[int, list[str]]:
    rows = db.session.execute(
        select(Observation.indicator_id, Observation.category)
        .where(
            Observation.indicator_id.in_([i.id for i in indicators]),
            Observation.category != "",
            Observation.is_total.is_(False),
        )
        .group_by(Observation.indicator_id, Observation.category)
        .order_by(Observation.indicator_id, db.func.min(Observation.position))
    )
    categories: dict[int, list[str]] = {}
    for indicator_id, category in rows:
        categories.setdefault(indicator_id, []).append(category)
    return categories


def _link_data(form: ActionLinkForm, indicator_id: int) -> operations.ActionLinkData:
    return operations.ActionLinkData(
        indicator_id=indicator_id,
        category=form.category.data or "",
        baseline_value=form.baseline_value.data,
        baseline_period=form.baseline_period.data,
        target_value=form.target_value.data,
        target_period=form.target_period.data,
        story=(form.story.data or "").strip(),
    )


def _chosen_indicator(form: ActionLinkForm, indicators, categories):
    """The indicator the form names, if it is the region's; checks the category belongs to it."""
    by_id = {str(i.id): i for i in indicators}
    indicator = by_id.get(form.indicator.data or "")
    if indicator is None:
        form.indicator.errors.append("Kies een indicator van de regio.")
        return None
    category = form.category.data or ""
    if category and category not in categories.get(indicator.id, []):
        form.category.errors.append(
            f"‘{category[:60]}’ is geen categorie van {indicator.name}. Kies een cijfer van "
            "deze indicator, of het totaal."
        )
        return None
    return indicator


def _to_links(conversation, action):
    return redirect(url_for(".index", conversation_id=conversation.id, action_id=action.id))


@bp.route("", methods=["GET", "POST"])
def index(conversation_id: int, action_id: int):
    """The action's linked indicators, and linking another one (POST)."""
    permission = Permission.UPDATE_ACTIONS if request.method == "POST" else Permission.VIEW
    conversation = get_conversation_or_404(conversation_id, permission)
    action = get_action_or_404(conversation, action_id)
    indicators = queries.region_indicators(conversation.region_id)
    categories = _categories(indicators)
    form = ActionLinkForm()
    form.set_choices(indicators, categories)
    if request.method == "POST" and form.validate():
        indicator = _chosen_indicator(form, indicators, categories)
        if indicator is not None:
            data = _link_data(form, indicator.id)
            baseline = queries.latest_observation(indicator.id, data.category)
            try:
                operations.link_action(action, data, baseline)
            except operations.LinkExists as exists:
                db.session.rollback()
                if exists.same:  # the same form sent twice: it counts once
                    flash(
                        f"Actiepunt {action.position} was al zo gekoppeld aan {indicator.name}.",
                        "success",
                    )
                    return _to_links(conversation, action)
                form.indicator.errors.append(
                    "Dit actiepunt is al aan dit cijfer gekoppeld. Wijzig die koppeling hieronder."
                )
            else:
                db.session.commit()
                flash(f"Actiepunt {action.position} is gekoppeld aan {indicator.name}.", "success")
                return redirect(
                    url_for(".index", conversation_id=conversation.id, action_id=action.id)
                )
    figures = queries.action_figures([action.id]).get(action.id, [])
    return render_template(
        "indicators/action_links.html",
        conversation=conversation,
        action=action,
        figures=with_sparklines(figures),
        form=form,
        indicators=indicators,
        confirm_form=ConfirmForm(),
    ), (422 if form.errors else 200)


@bp.route("/<id:link_id>", methods=["GET", "POST"])
def edit(conversation_id: int, action_id: int, link_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.UPDATE_ACTIONS)
    action = get_action_or_404(conversation, action_id)
    link = queries.action_link(action.id, link_id)
    if link is None:
        abort(404)
    form = ActionLinkForm(obj=link) if request.method == "GET" else ActionLinkForm()
    indicators = [link.indicator]
    form.set_choices(indicators, {link.indicator_id: [link.category]} if link.category else {})
    form.indicator.data = str(link.indicator_id)
    form.category.data = link.category
    conflict = None
    if request.method == "POST" and form.validate():
        try:
            outcome = operations.update_action_link(
                action, link, _link_data(form, link.indicator_id), revision_of(form.revision)
            )
        except operations.LinkGone:
            db.session.rollback()
            abort(404)  # as for a link that is not this action's: nothing to tell apart
        except operations.LinkConflict:
            db.session.rollback()
            conflict = operations.current_action_link(action.id, link_id)
            if conflict is None:  # and removed right after that
                abort(404)
            # Saving again from the conflict page replaces the stored version, on purpose.
            form.revision.data = str(conflict.revision)
        else:
            db.session.commit()
            flash(
                "De koppeling was al zo opgeslagen."
                if outcome is Outcome.ALREADY_SAVED
                else "De koppeling is opgeslagen.",
                "success",
            )
            return _to_links(conversation, action)
    status = 409 if conflict else (422 if form.errors else 200)
    return render_template(
        "indicators/action_link_edit.html",
        conversation=conversation,
        action=action,
        link=link,
        form=form,
        conflict=conflict,
    ), status


@bp.post("/<id:link_id>/verwijderen")
def unlink(conversation_id: int, action_id: int, link_id: int):
    conversation = get_conversation_or_404(conversation_id, Permission.UPDATE_ACTIONS)
    action = get_action_or_404(conversation, action_id)
    if not ConfirmForm().validate():
        abort(400)
    link = queries.action_link(action.id, link_id)
    if link is None:  # not this action's link: another region's is never found
        abort(404)
    # Also when it was edited meanwhile: removing it is what was asked. Two clicks at once
    # remove it (and write it in the history) once.
    operations.unlink_action(action, link)
    db.session.commit()
    flash("De koppeling met de indicator is weg.", "success")
    return _to_links(conversation, action)
