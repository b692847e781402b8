"""The tokens page under Mijn account: make a personal access token, see them, revoke one.

A token is shown once, on the answer to the form that made it, and never again: the page that
lists them shows only each token's first characters. The account page shows a summary
(``api_token_summary``, a template global) with a link here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, url_for

from ..accounts.access import current_access
from ..accounts.models import User
from ..core.converters import MAX_DATABASE_ID
from ..extensions import db
from .forms import SCOPE_DESCRIPTIONS, NewTokenForm, RevokeTokenForm
from .models import TokenScope
from .operations import MAX_TOKENS_PER_USER, TokenError, create_token, revoke_token
from .queries import tokens_of

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-sleutels")

_ID = re.compile(r"[1-9][0-9]{0,9}")


@dataclass(frozen=True)
class TokenSummary:
    count: int
    last_used: datetime | None


@bp.app_template_global()
def api_token_summary(user: User) -> TokenSummary:
    """For the account page: how many tokens the person has and when one was last used."""
    tokens = tokens_of(user)
    used = [t.last_used_dt for t in tokens if t.last_used_dt is not None]
    return TokenSummary(len(tokens), max(used) if used else None)


def _render_index(form: NewTokenForm, status: int = 200):
    user = current_access().user
    return render_template(
        "api/tokens.html",
        tokens=tokens_of(user),
        form=form,
        revoke_form=RevokeTokenForm(),
        scope_descriptions=SCOPE_DESCRIPTIONS,
        max_tokens=MAX_TOKENS_PER_USER,
    ), status


@bp.get("")
def index():
    return _render_index(NewTokenForm(formdata=None))


@bp.post("")
def create():
    form = NewTokenForm()
    if not form.validate():
        return _render_index(form, 422)
    try:
        new = create_token(
            current_access().user,
            form.name.data,
            TokenScope(form.scope.data),
            replace_double_submit=True,
        )
    except TokenError as error:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(error)]
        return _render_index(form, 422)
    db.session.commit()
    return render_template(
        "api/token_created.html",
        token=new.token,
        secret=new.secret,
        replaced=new.replaced_double_submit,
    )


@bp.post("/intrekken")
def revoke():
    form = RevokeTokenForm()
    form.validate()
    text = (form.token_id.data or "").strip()
    token_id = int(text) if _ID.fullmatch(text) else 0
    name = None
    if 0 < token_id <= MAX_DATABASE_ID:
        name = revoke_token(current_access().user, token_id)
    db.session.commit()
    if name is None:
        # Revoked already (a second click), or never this user's: nothing to do, and the
        # message is true for both without telling which.
        flash("Deze sleutel staat niet (meer) bij uw account. Er is niets veranderd.", "info")
    else:
        flash(
            f"De sleutel ‘{name}’ is ingetrokken. Een dashboard of script dat hem nog gebruikt, "
            "krijgt nu de fout 401.",
            "success",
        )
    return redirect(url_for(".index"))
