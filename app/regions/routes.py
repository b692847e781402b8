"""A region's own page: its conversations, and for its coordinator its members and data."""

from __future__ import annotations

import re
from typing import NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..accounts import invitations
from ..accounts.access import current_access
from ..accounts.limits import invitations_per_client
from ..accounts.operations import AccountError
from ..accounts.roles import Permission, Role
from ..admin import operations as member_operations
from ..admin import queries as member_queries
from ..admin.forms import ROLE_DESCRIPTIONS, ConfirmForm
from ..conversations.queries import (
    CONVERSATIONS_PER_PAGE,
    region_conversations_page,
    region_totals,
)
from ..core.errors import render_error
from ..core.paging import page_count, page_number
from ..extensions import db
from .forms import MemberInviteForm, MemberRoleForm
from .models import Region

bp = Blueprint("regions", __name__, url_prefix="/regio")

_SLUG = re.compile(r"[a-z0-9-]{1,120}")


def get_region_or_404(slug: str, permission=None) -> Region:
    """The region, if the user has a role in it (else 404); 403 without ``permission``."""
    # Only what ``slugify`` makes can be a slug; anything else (a NUL byte, which PostgreSQL
    # refuses in a query) is simply not found.
    if not _SLUG.fullmatch(slug):
        abort(404)
    region = db.session.scalar(select(Region).where(Region.slug == slug))
    access = current_access()
    if region is None or not access.can_see(region.id):
        abort(404)
    if permission is not None and not access.allows(permission, region.id):
        abort(403)
    return region


class RegionLink(NamedTuple):
    label: str
    href: str


#: (label, endpoint, permission): the region's pages beside its conversations.
REGION_PAGES = (
    ("Cijfers", "indicators.index", Permission.VIEW),
    ("Leden beheren", "regions.members", Permission.MANAGE_MEMBERS),
    ("Geschiedenis", "audit.region_history", Permission.VIEW),
    ("Gegevens downloaden of wissen", "privacy.region_data", Permission.REGION_DATA),
)


def region_links(region: Region) -> list[RegionLink]:
    access = current_access()
    return [
        RegionLink(label, url_for(endpoint, slug=region.slug))
        for label, endpoint, permission in REGION_PAGES
        if access.allows(permission, region.id)
    ]


@bp.get("/")
def index():
    """The regions the user works in, with their role and number of conversations. The page
    header links here instead of to every region once there are more than three."""
    return render_template("regions/index.html", totals=dict(region_totals()))


@bp.get("/<slug>")
def show(slug: str):
    region = get_region_or_404(slug)
    conversations, total, page = region_conversations_page(
        region.id, page_number(request.args.get("page"))
    )
    return render_template(
        "regions/show.html",
        region=region,
        conversations=conversations,
        total=total,
        page=page,
        pages=page_count(total, CONVERSATIONS_PER_PAGE),
        region_links=region_links,
    )


# --- members (the coordinator's page) ------------------------------------------------------------


def _member_gone(region: Region):
    return render_error(
        404,
        "Lid niet gevonden",
        f"Deze persoon is geen lid (meer) van regio {region.name}. Misschien heeft iemand hem "
        "of haar net uit de regio gehaald. Kijk in de ledenlijst van de regio.",
    )


def _members_page(region: Region, form: MemberInviteForm, status: int = 200):
    return render_template(
        "regions/members.html",
        region=region,
        form=form,
        rows=member_queries.region_members(region.id),
        offers=invitations.open_offers_of_region(region.id),
        role_descriptions=ROLE_DESCRIPTIONS,
    ), status


def _offer_message(offer: invitations.RoleOffer, region: Region) -> tuple[str, str]:
    """What the coordinator is told about a role offered to an existing account: never its name."""
    email, role = offer.invitation.user.email, offer.invitation.role.label.lower()
    waiting = (
        f"{email} heeft al een account in Handvat. Daarom vragen we eerst of deze persoon "
        f"{role} wil worden in regio {region.name}. Pas als hij of zij de uitnodiging aanneemt, "
        "staat de naam in de ledenlijst."
    )
    tell = "Laat de persoon weten dat de uitnodiging klaarstaat op de pagina ‘Mijn account’."
    if offer.repeated:
        return f"De uitnodiging voor {email} stond al klaar. {tell}", "info"
    if offer.mailed:
        return f"{waiting} We hebben de vraag per e-mail verstuurd.", "success"
    if offer.mail_failed:
        return f"{waiting} De e-mail kon niet worden verstuurd. {tell}", "warning"
    return f"{waiting} {tell}", "success"


@bp.route("/<slug>/leden", methods=["GET", "POST"])
@invitations_per_client
def members(slug: str):
    """The region's members, and inviting someone (POST)."""
    region = get_region_or_404(slug, Permission.MANAGE_MEMBERS)
    form = MemberInviteForm()
    if request.method == "POST" and form.validate():
        role = Role(form.role.data)
        try:
            invitation = invitations.invite(
                form.email.data,
                form.name.data,
                region=region,
                role=role,
                inviter=current_access().user,
            )
        except AccountError as error:
            db.session.rollback()
            form.role.errors.append(str(error))
        else:
            db.session.commit()
            if invitation.offer is not None:
                flash(*_offer_message(invitation.offer, region))
                return redirect(url_for(".members", slug=region.slug, _anchor="uitnodigingen"))
            user = invitation.user
            message = f"{user.name} is nu {role.label.lower()} in regio {region.name}."
            if invitation.delivery is None:
                flash(f"{message} Er is geen link nodig: hij of zij kan al inloggen.", "success")
            elif invitation.delivery.withheld:
                flash(f"{message} {invitation.delivery.withheld_message(user.name)}", "warning")
            elif invitation.mailed:
                flash(f"{message} De uitnodiging is per e-mail verstuurd.", "success")
            else:
                return render_template(
                    "regions/members_link.html",
                    region=region,
                    user=user,
                    delivery=invitation.delivery,
                    message=message,
                )
            return redirect(url_for(".members", slug=region.slug))
    return _members_page(region, form, 422 if form.errors else 200)


@bp.post("/<slug>/uitnodigingen/<id:invitation_id>/intrekken")
def withdraw_offer(slug: str, invitation_id: int):
    """Withdraw a role offered to an existing account that its owner has not answered yet."""
    region = get_region_or_404(slug, Permission.MANAGE_MEMBERS)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    try:
        email = invitations.withdraw_offer(region, invitation_id)
    except invitations.OfferGone as error:
        db.session.rollback()
        flash(str(error), "info")
    else:
        db.session.commit()
        flash(f"De uitnodiging voor {email} is ingetrokken.", "success")
    return redirect(url_for(".members", slug=region.slug, _anchor="uitnodigingen"))


def _member_page(region: Region, membership, form=None, status: int = 200):
    if form is None:
        form = MemberRoleForm(formdata=None, data={"role": membership.role.value})
    return render_template(
        "regions/members_member.html",
        region=region,
        row=member_queries.member_row(membership),
        form=form,
        role_descriptions=ROLE_DESCRIPTIONS,
        is_self=membership.user_id == current_access().user.id,
    ), status


@bp.get("/<slug>/leden/<id:membership_id>")
def member(slug: str, membership_id: int):
    region = get_region_or_404(slug, Permission.MANAGE_MEMBERS)
    membership = member_queries.region_membership(region.id, membership_id)
    if membership is None:
        return _member_gone(region)
    return _member_page(region, membership)


@bp.post("/<slug>/leden/<id:membership_id>/rol")
def change_member_role(slug: str, membership_id: int):
    region = get_region_or_404(slug, Permission.MANAGE_MEMBERS)
    membership = member_queries.region_membership(region.id, membership_id)
    if membership is None:
        return _member_gone(region)
    form = MemberRoleForm()
    if not form.validate():
        return _member_page(region, membership, form, 422)
    actor = current_access().user
    role = Role(form.role.data)
    try:
        changed = member_operations.change_member_role(
            region, membership_id, role, actor=actor, keep_a_coordinator=True
        )
    except member_operations.MembershipGone:
        db.session.rollback()
        return _member_gone(region)
    except AccountError as error:
        db.session.rollback()
        form.role.errors.append(str(error))
        membership = member_queries.region_membership(region.id, membership_id)
        if membership is None:
            return _member_gone(region)
        return _member_page(region, membership, form, 422)
    db.session.commit()
    flash(f"{changed.user.name} is nu {role.label.lower()} in regio {region.name}.", "success")
    if not current_access().allows(Permission.MANAGE_MEMBERS, region.id):
        # Stepped down themselves: the members page is no longer theirs.
        return redirect(url_for(".show", slug=region.slug))
    return redirect(url_for(".members", slug=region.slug))


@bp.route("/<slug>/leden/<id:membership_id>/verwijderen", methods=["GET", "POST"])
def remove_member(slug: str, membership_id: int):
    region = get_region_or_404(slug, Permission.MANAGE_MEMBERS)
    membership = member_queries.region_membership(region.id, membership_id)
    if membership is None:
        return _member_gone(region)
    actor = current_access().user
    form = ConfirmForm()
    problem = invitations.last_coordinator_problem(region, membership.user, None, actor=actor)
    if request.method == "POST" and form.validate() and problem is None:
        try:
            user = member_operations.remove_member(
                region, membership_id, actor=actor, keep_a_coordinator=True
            )
        except member_operations.MembershipGone:
            db.session.rollback()
            return _member_gone(region)
        except AccountError as error:
            db.session.rollback()
            problem = str(error)
        else:
            name = user.name
            db.session.commit()
            flash(f"{name} is geen lid meer van regio {region.name}.", "success")
            if not current_access().can_see(region.id):
                return redirect(url_for("core.home"))
            return redirect(url_for(".members", slug=region.slug))
    return render_template(
        "regions/members_remove.html",
        region=region,
        row=member_queries.member_row(membership),
        form=form,
        problem=problem,
        is_self=membership.user_id == actor.id,
    ), (409 if problem and request.method == "POST" else 200)


@bp.post("/<slug>/leden/<id:membership_id>/nieuwe-link")
@invitations_per_client
def new_member_link(slug: str, membership_id: int):
    """A new invitation link for a member who never set a password (the old one was lost)."""
    region = get_region_or_404(slug, Permission.MANAGE_MEMBERS)
    membership = member_queries.region_membership(region.id, membership_id)
    if membership is None:
        return _member_gone(region)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    user = membership.user
    try:
        delivery = invitations.new_invitation_link(
            user, inviter=current_access().user, region=region
        )
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "info")
        return redirect(url_for(".member", slug=region.slug, membership_id=membership_id))
    db.session.commit()
    if delivery.withheld:
        flash(delivery.withheld_message(user.name), "warning")
        return redirect(url_for(".member", slug=region.slug, membership_id=membership_id))
    if delivery.mailed:
        flash(f"Een nieuwe uitnodiging is per e-mail verstuurd naar {user.email}.", "success")
        return redirect(url_for(".members", slug=region.slug))
    return render_template(
        "regions/members_link.html",
        region=region,
        user=user,
        delivery=delivery,
        message=f"Een nieuwe uitnodigingslink voor {user.name}. De vorige link werkt niet meer.",
    )
