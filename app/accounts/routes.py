"""Signing in and out, links to set a password, and a person's own account."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from ..core.mail import mail_configured, send_mail
from ..core.models import utcnow
from ..extensions import db
from . import invitations, operations
from .access import (
    allowed_without_second_factor,
    current_access,
    is_safe_next,
    public,
)
from .devices import describe_device
from .forms import (
    ChangePasswordForm,
    ConfirmWithPasswordForm,
    ForgottenPasswordForm,
    NewPasswordForm,
    OfferAnswerForm,
    PlainForm,
    SecondFactorForm,
    SignInForm,
)
from .limits import (
    second_factor_per_account,
    sign_in_per_account,
    sign_in_per_client,
    token_per_client,
    token_per_link,
)
from .models import LinkPurpose, User, UserSession
from .passwords import MIN_LENGTH
from .roles import ROLE_PERMISSIONS, Permission, Role
from .two_factor import accept_totp, recovery_codes_left, use_recovery_code

bp = Blueprint("accounts", __name__)
bp.add_app_template_filter(describe_device, "device")

WRONG_SIGN_IN = (
    "Het e-mailadres of het wachtwoord klopt niet. Controleer ze en probeer het opnieuw."
)
#: How long a password that was right stays good for the second step.
PENDING_SECOND_FACTOR = timedelta(minutes=5)


def _next_target() -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else url_for("core.home")


@bp.route("/inloggen", methods=["GET", "POST"])
@public
@sign_in_per_client
@sign_in_per_account
def sign_in():
    if current_access().user is not None and request.method == "GET":
        return redirect(_next_target())
    form = SignInForm()
    if request.method == "POST" and form.validate():
        user = operations.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(WRONG_SIGN_IN)
        elif user.has_two_factor:
            session.clear()
            session["pending_user_id"] = user.id
            session["pending_since"] = utcnow().timestamp()
            session["pending_next"] = _next_target()
            db.session.commit()
            return redirect(url_for(".second_factor"))
        else:
            operations.start_session(user)
            db.session.commit()
            _tell_about_offers(user)
            return redirect(_next_target())
    return render_template(
        "accounts/sign_in.html", form=form, expired=request.args.get("verlopen") is not None
    ), (422 if form.errors else 200)


def _tell_about_offers(user: User) -> None:
    """At sign-in: a role offered in a region waits on the account page."""
    offers = invitations.open_offers_for(user)
    if not offers:
        return
    regions = ", ".join(offer.region.name for offer in offers)
    what = "een uitnodiging" if len(offers) == 1 else f"{len(offers)} uitnodigingen"
    flash(
        f"U heeft {what} voor regio {regions}. Bekijk ze op de pagina ‘Mijn account’.",
        "info",
    )


def _pending_user() -> User | None:
    user_id, since = session.get("pending_user_id"), session.get("pending_since")
    if not isinstance(user_id, int) or not isinstance(since, float):
        return None
    if utcnow().timestamp() - since > PENDING_SECOND_FACTOR.total_seconds():
        return None
    return db.session.get(User, user_id)


@bp.route("/inloggen/code", methods=["GET", "POST"])
@public
@sign_in_per_client
@second_factor_per_account
def second_factor():
    user = _pending_user()
    if user is None or not user.has_two_factor:
        flash("Log opnieuw in: de vorige stap is te lang geleden.", "warning")
        return redirect(url_for(".sign_in"))
    form = SecondFactorForm()
    if request.method == "POST" and form.validate():
        code = form.code.data
        by_recovery_code = not code.replace(" ", "").isdigit()
        accepted = use_recovery_code(user, code) if by_recovery_code else accept_totp(user, code)
        if accepted:
            target = session.get("pending_next") or url_for("core.home")
            operations.start_session(user)
            db.session.commit()
            _tell_about_offers(user)
            if by_recovery_code:
                flash(
                    f"U bent ingelogd met een herstelcode. Die werkt nu niet meer. U heeft er "
                    f"nog {recovery_codes_left(user)}. Maak nieuwe codes als u er weinig over "
                    "heeft.",
                    "warning",
                )
            return redirect(target if is_safe_next(target) else url_for("core.home"))
        db.session.rollback()
        form.code.errors.append(
            "Deze code klopt niet of is al gebruikt. Wacht op de volgende code in de app en "
            "probeer het opnieuw."
        )
    return render_template("accounts/second_factor.html", form=form), (422 if form.errors else 200)


@bp.post("/uitloggen")
@public
def sign_out():
    form = PlainForm()
    if form.validate() and current_access().user is not None:
        operations.end_session()
        db.session.commit()
    session.clear()
    flash("U bent uitgelogd.", "success")
    return redirect(url_for(".sign_in"))


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@public
@sign_in_per_client
@sign_in_per_account
def forgotten_password():
    form = ForgottenPasswordForm()
    if request.method == "POST" and form.validate():
        user = operations.find_user(form.email.data)
        if user is not None and mail_configured():
            token = operations.issue_link(user, LinkPurpose.PASSWORD_RESET)
            db.session.commit()
            send_mail(
                user.email,
                "Nieuw wachtwoord voor Handvat",
                render_template(
                    "accounts/mail_reset.txt",
                    user=user,
                    link=url_for(".set_password", token=token, _external=True),
                    minutes=current_app.config["PASSWORD_RESET_MINUTES"],
                ),
            )
        return render_template("accounts/forgotten_sent.html", mail=mail_configured())
    return render_template("accounts/forgotten.html", form=form), (422 if form.errors else 200)


@bp.route("/link/<token>", methods=["GET", "POST"])
@public
@token_per_client
@token_per_link
def set_password(token: str):
    link = operations.usable_link(token)
    if link is None:
        return render_template("accounts/link_unusable.html"), 404
    form = NewPasswordForm()
    if request.method == "POST" and form.validate():
        try:
            user = operations.use_link(token, form.password.data)
        except operations.AccountError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            session.clear()
            flash(
                "Uw wachtwoord is ingesteld. Log nu in met uw e-mailadres en wachtwoord.", "success"
            )
            return redirect(url_for(".sign_in", email=user.email))
    return render_template(
        "accounts/set_password.html", form=form, link=link, min_length=MIN_LENGTH
    ), (422 if form.errors else 200)


# --- own account -----------------------------------------------------------------------------


def _sessions_of(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id)
            .order_by(UserSession.last_seen_dt.desc())
        )
    )


@bp.get("/account")
@allowed_without_second_factor
def account():
    user = current_access().user
    return render_template(
        "accounts/account.html",
        user=user,
        sessions=_sessions_of(user),
        plain_form=PlainForm(),
        offers=invitations.open_offers_for(user),
        recovery_codes_left=recovery_codes_left(user) if user.has_two_factor else 0,
    )


@bp.post("/account/uitnodigingen/<id:invitation_id>/aannemen")
@allowed_without_second_factor
def accept_offer(invitation_id: int):
    """Take a role a region offered; the account page lists the offers."""
    form = OfferAnswerForm()
    if not form.validate():
        return redirect(url_for(".account", _anchor="uitnodigingen"))
    try:
        membership = invitations.accept_offer(
            current_access().user, invitation_id, form.role.data or ""
        )
    except invitations.AlreadyMember as error:
        db.session.commit()  # the lapsed offer is gone
        flash(str(error), "info")
        return redirect(url_for(".account", _anchor="uitnodigingen"))
    except operations.AccountError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for(".account", _anchor="uitnodigingen"))
    region, role = membership.region, membership.role
    db.session.commit()
    flash(f"U bent nu {role.label.lower()} in regio {region.name}.", "success")
    return redirect(url_for("regions.show", slug=region.slug))


@bp.post("/account/uitnodigingen/<id:invitation_id>/afslaan")
@allowed_without_second_factor
def decline_offer(invitation_id: int):
    form = PlainForm()
    if form.validate():
        try:
            region = invitations.decline_offer(current_access().user, invitation_id)
        except operations.AccountError as error:
            db.session.rollback()
            flash(str(error), "warning")
        else:
            name = region.name
            db.session.commit()
            flash(f"U heeft de uitnodiging voor regio {name} afgeslagen.", "success")
    return redirect(url_for(".account", _anchor="uitnodigingen"))


@bp.route("/account/wachtwoord", methods=["GET", "POST"])
@allowed_without_second_factor
def change_password():
    user = current_access().user
    form = ChangePasswordForm()
    if request.method == "POST" and form.validate():
        if operations.authenticate(user.email, form.current.data) is None:
            form.current.errors.append("Uw huidige wachtwoord klopt niet.")
        else:
            try:
                operations.set_password(user, form.password.data)
            except operations.AccountError as error:
                db.session.rollback()
                form.password.errors.append(str(error))
            else:
                operations.start_session(user)
                db.session.commit()
                flash(
                    "Uw wachtwoord is gewijzigd. U bent op alle andere apparaten uitgelogd.",
                    "success",
                )
                return redirect(url_for(".account"))
    return render_template("accounts/change_password.html", form=form, min_length=MIN_LENGTH), (
        422 if form.errors else 200
    )


@bp.post("/account/andere-sessies-beeindigen")
@allowed_without_second_factor
def end_other_sessions():
    form = PlainForm()
    if form.validate():
        ended = operations.end_all_sessions(current_access().user, keep_current=True)
        db.session.commit()
        flash(f"U bent uitgelogd op {ended} ander(e) apparat(en).", "success")
    return redirect(url_for(".account"))


@bp.route("/account/verwijderen", methods=["GET", "POST"])
@allowed_without_second_factor
def delete_account():
    user = current_access().user
    form = ConfirmWithPasswordForm()
    problem = operations.account_deletion_problem(user)
    if request.method == "POST" and form.validate() and problem is None:
        if operations.authenticate(user.email, form.password.data) is None:
            form.password.errors.append("Het wachtwoord klopt niet.")
        else:
            # Deleted while still signed in, so the audit trail names the person, not
            # "opdrachtregel"; the session row goes with the account.
            operations.delete_account(user)
            operations.end_session()
            db.session.commit()
            flash("Uw account is verwijderd.", "success")
            return redirect(url_for(".sign_in"))
    return render_template("accounts/delete_account.html", form=form, user=user, problem=problem), (
        422 if form.errors else 200
    )


@bp.get("/help/rollen")
@public
def roles_help():
    from .roles import ADMINISTRATOR_TASKS

    return render_template(
        "accounts/roles_help.html",
        roles=list(Role),
        permissions=list(Permission),
        table=ROLE_PERMISSIONS,
        administrator_tasks=ADMINISTRATOR_TASKS,
    )
