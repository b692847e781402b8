"""The installation's management: regions, users and their roles, questionnaire versions.

Only administrators (every view starts with ``require_admin()``). Being an administrator does
not show a region's conversations: that takes a role in the region, like for anyone else.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError

from ..accounts import invitations
from ..accounts.access import current_access, require_admin
from ..accounts.limits import invitations_per_client
from ..accounts.models import User
from ..accounts.operations import AccountError, set_role
from ..accounts.roles import Role
from ..core.errors import render_error
from ..core.paging import page_count, page_number
from ..extensions import db
from . import operations, queries
from .forms import AdminFlagForm, ConfirmForm, InviteForm, RegionForm, UserRoleForm

bp = Blueprint("admin", __name__, url_prefix="/beheer")

USER_GONE = "Deze gebruiker bestaat niet (meer). Misschien heeft iemand het account net verwijderd."


@bp.get("")
def index():
    require_admin()
    return render_template("admin/index.html")


# --- regions -----------------------------------------------------------------------------------


@bp.route("/regios", methods=["GET", "POST"])
def regions():
    require_admin()
    form = RegionForm()
    if request.method == "POST" and form.validate():
        try:
            added = operations.add_region(form.name.data, form.municipality_names())
        except ValueError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            region = added.region
            if added.created:
                flash(
                    f"Regio {region.name} is aangemaakt, met {added.municipalities_added} "
                    "gemeente(n). Nodig nu een coördinator uit.",
                    "success",
                )
            else:
                flash(
                    f"Regio {region.name} bestond al. Er zijn {added.municipalities_added} "
                    "gemeente(n) bijgekomen.",
                    "success",
                )
            return redirect(url_for(".regions"))
    return render_template("admin/regions.html", form=form, rows=queries.regions_overview()), (
        422 if form.errors else 200
    )


# --- users -------------------------------------------------------------------------------------


@bp.route("/gebruikers", methods=["GET", "POST"])
@invitations_per_client
def users():
    require_admin()
    regions = queries.all_regions()
    form = InviteForm()
    form.set_choices(regions)
    if request.method == "POST" and form.validate():
        region = next((r for r in regions if r.id == form.region_id.data), None)
        try:
            invitation = invitations.invite(
                form.email.data,
                form.name.data,
                region=region,
                role=form.chosen_role if region else None,
                is_admin=form.is_admin.data,
                inviter=current_access().user,
            )
        except AccountError as error:
            db.session.rollback()
            form.role.errors.append(str(error))
        else:
            db.session.commit()
            return _after_invitation(invitation, url_for(".user", user_id=invitation.user.id))
    rows, total, page = queries.users_overview(page_number(request.args.get("page")))
    return render_template(
        "admin/users.html",
        form=form,
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, queries.USERS_PER_PAGE),
    ), (422 if form.errors else 200)


def _after_invitation(invitation: invitations.Invitation, next_url: str):
    """Show the link to pass on, or say the mail went (and go on)."""
    user = invitation.user
    if invitation.delivery is None:
        flash(
            f"{user.name} ({user.email}) heeft al een wachtwoord en kan meteen inloggen. "
            "Er is geen link nodig.",
            "success",
        )
        return redirect(next_url)
    if invitation.mailed:
        flash(f"De uitnodiging is per e-mail verstuurd naar {user.email}.", "success")
        return redirect(next_url)
    return render_template(
        "admin/link.html", user=user, delivery=invitation.delivery, next_url=next_url
    )


def _user_gone():
    return render_error(404, "Gebruiker niet gevonden", USER_GONE)


@bp.get("/gebruikers/<id:user_id>")
def user(user_id: int):
    require_admin()
    found = queries.get_user(user_id)
    if found is None:
        return _user_gone()
    return _user_page(found)


def _user_page(user, role_form=None, status=200):
    regions = queries.all_regions()
    if role_form is None:
        # No role chosen beforehand, lest one click demote someone. With one region to choose
        # from, or one role, that region and role stand chosen: the common case is a change.
        role_form = UserRoleForm(formdata=None)
        memberships = list(user.memberships)
        if len(memberships) == 1:
            role_form.region_id.data = memberships[0].region_id
            role_form.role.data = memberships[0].role.value
        elif len(regions) == 1:
            role_form.region_id.data = regions[0].id
    role_form.set_choices(regions)
    actor = current_access().user
    return render_template(
        "admin/user.html",
        row=queries.user_row(user),
        offers=invitations.open_offers_for(user),
        role_form=role_form,
        has_regions=bool(regions),
        is_last_admin=user.is_admin and queries.admin_count() <= 1,
        deletion_problem=operations.user_deletion_problem(user, actor),
        is_self=user.id == actor.id,
    ), status


@bp.post("/gebruikers/<id:user_id>/rol")
def set_user_role(user_id: int):
    require_admin()
    found = queries.get_user(user_id)
    if found is None:
        return _user_gone()
    form = UserRoleForm()
    form.set_choices(queries.all_regions())
    if not form.validate():
        return _user_page(found, form, 422)
    region = next(r for r in queries.all_regions() if r.id == form.region_id.data)
    role = Role(form.role.data)
    invitations.lock_region_members(region.id)
    try:
        if db.session.get(User, user_id, populate_existing=True) is None:
            raise operations.UserGone(user_id)
        set_role(found, region, role)
        db.session.commit()
    except (operations.UserGone, IntegrityError):
        # Deleted by another administrator a moment ago.
        db.session.rollback()
        return _user_gone()
    message = f"{found.name} is nu {role.label.lower()} in regio {region.name}."
    if invitations.coordinator_count(region.id) == 0:
        message += " Let op: de regio heeft geen coördinator meer."
    flash(message, "success")
    return redirect(url_for(".user", user_id=user_id))


@bp.post("/gebruikers/<id:user_id>/rollen/<id:membership_id>/verwijderen")
def remove_user_role(user_id: int, membership_id: int):
    require_admin()
    found = queries.get_user(user_id)
    if found is None:
        return _user_gone()
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    membership = queries.user_membership(user_id, membership_id)
    if membership is None:
        flash(f"Deze rol van {found.name} was al weggehaald.", "info")
        return redirect(url_for(".user", user_id=user_id))
    region = membership.region
    try:
        operations.remove_member(
            region, membership_id, actor=current_access().user, keep_a_coordinator=False
        )
    except operations.MembershipGone:
        db.session.rollback()
        flash(f"Deze rol van {found.name} was al weggehaald.", "info")
        return redirect(url_for(".user", user_id=user_id))
    db.session.commit()
    message = f"{found.name} heeft geen rol meer in regio {region.name}."
    if invitations.coordinator_count(region.id) == 0:
        message += " Let op: de regio heeft geen coördinator meer."
    flash(message, "success")
    return redirect(url_for(".user", user_id=user_id))


@bp.post("/gebruikers/<id:user_id>/beheerder")
def set_user_admin(user_id: int):
    require_admin()
    form = AdminFlagForm()
    if not form.validate():
        abort(400)
    is_admin = form.is_admin.data == "ja"
    try:
        found, changed = operations.set_admin(user_id, is_admin)
    except operations.UserGone:
        db.session.rollback()
        return _user_gone()
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for(".user", user_id=user_id))
    db.session.commit()
    if is_admin:
        flash(f"{found.name} is beheerder.", "success")
    else:
        flash(f"{found.name} is geen beheerder meer.", "success")
    if found.id == current_access().user.id and not is_admin and changed:
        return redirect(url_for("core.home"))
    return redirect(url_for(".user", user_id=user_id))


@bp.post("/gebruikers/<id:user_id>/link")
@invitations_per_client
def user_link(user_id: int):
    require_admin()
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    found = queries.get_user(user_id)
    if found is None:
        return _user_gone()
    delivery = invitations.password_link(found, inviter=current_access().user)
    db.session.commit()
    next_url = url_for(".user", user_id=user_id)
    if delivery.mailed:
        flash(f"De link is per e-mail verstuurd naar {found.email}.", "success")
        return redirect(next_url)
    return render_template("admin/link.html", user=found, delivery=delivery, next_url=next_url)


@bp.route("/gebruikers/<id:user_id>/verwijderen", methods=["GET", "POST"])
def delete_user(user_id: int):
    require_admin()
    found = queries.get_user(user_id)
    if found is None:
        return _user_gone()
    actor = current_access().user
    form = ConfirmForm()
    problem = operations.user_deletion_problem(found, actor)
    if request.method == "POST" and form.validate() and problem is None:
        try:
            deleted = operations.delete_user(user_id, actor=actor)
        except operations.UserGone:
            db.session.rollback()
            return _user_gone()
        except AccountError as error:
            db.session.rollback()
            problem = str(error)
        else:
            name = deleted.name
            db.session.commit()
            flash(f"Het account van {name} is verwijderd.", "success")
            return redirect(url_for(".users"))
    return render_template(
        "admin/delete_user.html", user=queries.user_row(found), form=form, problem=problem
    ), (409 if problem and request.method == "POST" else 200)


# --- questionnaire versions ----------------------------------------------------------------------


@bp.get("/vragenlijsten")
def questionnaires():
    require_admin()
    return render_template("admin/questionnaires.html", rows=queries.questionnaire_versions())
