"""Setting up, renewing and switching off the second factor on one's own account."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..extensions import db
from .access import allowed_without_second_factor, current_access, must_set_up_second_factor
from .forms import CodeForm, ConfirmWithPasswordForm, PlainForm
from .operations import authenticate
from .two_factor import (
    disable_two_factor,
    enable_two_factor,
    issue_recovery_codes,
    new_secret,
    provisioning_uri,
    qr_code_svg,
    recovery_codes_left,
)

bp = Blueprint("two_factor", __name__, url_prefix="/account/tweestapsverificatie")

WRONG_CODE = (
    "Deze code klopt niet. Controleer of de tijd op uw telefoon goed staat, wacht op de "
    "volgende code en probeer het opnieuw."
)


def _required_for_current_user() -> bool:
    from flask import current_app

    access = current_access()
    return access.is_privileged and current_app.config["REQUIRE_TWO_FACTOR"]


@bp.route("", methods=["GET", "POST"])
@allowed_without_second_factor
def set_up():
    user = current_access().user
    if user.has_two_factor:
        return render_template(
            "accounts/two_factor_status.html",
            user=user,
            codes_left=recovery_codes_left(user),
            plain_form=PlainForm(),
            disable_form=ConfirmWithPasswordForm(),
            required=_required_for_current_user(),
        )
    form = CodeForm()
    if not user.totp_secret:
        user.totp_secret = new_secret()
        db.session.commit()
    elif request.method == "POST" and form.validate():
        codes = enable_two_factor(user, user.totp_secret, form.code.data)
        if codes is not None:
            db.session.commit()
            return render_template("accounts/recovery_codes.html", codes=codes, new=True)
        db.session.rollback()
        form.code.errors.append(WRONG_CODE)
    uri = provisioning_uri(user, user.totp_secret)
    return render_template(
        "accounts/two_factor_set_up.html",
        form=form,
        qr_code=qr_code_svg(uri),
        secret=" ".join(user.totp_secret[i : i + 4] for i in range(0, len(user.totp_secret), 4)),
        required=must_set_up_second_factor(current_access()),
    ), (422 if form.errors else 200)


@bp.post("/herstelcodes")
def new_recovery_codes():
    user = current_access().user
    form = PlainForm()
    if not user.has_two_factor or not form.validate():
        return redirect(url_for(".set_up"))
    codes = issue_recovery_codes(user)
    db.session.commit()
    return render_template("accounts/recovery_codes.html", codes=codes, new=False)


@bp.post("/uitzetten")
def switch_off():
    user = current_access().user
    form = ConfirmWithPasswordForm()
    if not user.has_two_factor:
        return redirect(url_for(".set_up"))
    if _required_for_current_user():
        flash(
            "Voor uw rol is tweestapsverificatie verplicht. U kunt die niet uitzetten.", "warning"
        )
        return redirect(url_for(".set_up"))
    if form.validate() and authenticate(user.email, form.password.data) is not None:
        disable_two_factor(user)
        db.session.commit()
        flash("Tweestapsverificatie staat uit.", "success")
        return redirect(url_for("accounts.account"))
    if not form.errors:
        form.password.errors.append("Het wachtwoord klopt niet.")
    return render_template(
        "accounts/two_factor_status.html",
        user=user,
        codes_left=recovery_codes_left(user),
        plain_form=PlainForm(),
        disable_form=form,
        required=False,
    ), 422
