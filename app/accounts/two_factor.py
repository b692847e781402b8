"""The second factor: TOTP codes from an authenticator app, and single-use recovery codes.

A TOTP code is accepted once: the time step it belongs to is stored, and a code of that step or
an earlier one is refused, also when two requests bring it at the same moment (the check and
the store are one UPDATE).
"""

from __future__ import annotations

import hashlib
import re
import secrets

import pyotp
import segno
from sqlalchemy import delete, update

from ..core.models import utcnow
from ..extensions import db
from .models import RecoveryCode, User

ISSUER = "Handvat"
RECOVERY_CODE_COUNT = 10
#: No look-alikes (0/O, 1/l/I), so a code read from paper is typed right.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: A code from the step before or after also counts: phone clocks drift.
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The QR code as inline SVG, made here: the secret never goes to an outside service."""
    return segno.make(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title="QR-code voor uw authenticator-app"
    )


def _digits(code: str) -> str:
    return re.sub(r"\s", "", code or "")


def matching_step(secret: str, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one step off), or None."""
    code = _digits(code)
    if not re.fullmatch(r"[0-9]{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(utcnow())
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_totp(user: User, code: str, secret: str | None = None) -> bool:
    """Accept ``code`` for ``user`` once. ``secret``: the one being set up, else the user's."""
    secret = secret or user.totp_secret
    if not secret:
        return False
    step = matching_step(secret, code)
    if step is None:
        return False
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        user.totp_last_step = step
    return bool(claimed)


def enable_two_factor(user: User, secret: str, code: str) -> list[str] | None:
    """Switch the second factor on when ``code`` fits ``secret``; the new recovery codes."""
    if not accept_totp(user, code, secret):
        return None
    user.totp_secret = secret
    user.totp_enabled_dt = utcnow()
    db.session.flush()
    return issue_recovery_codes(user)


def disable_two_factor(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_dt = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normalised_recovery_code(code).encode()).hexdigest()


def _normalised_recovery_code(code: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (code or "").lower())


def issue_recovery_codes(user: User) -> list[str]:
    """New recovery codes (shown once); earlier ones stop working."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(raw)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Accept a recovery code once."""
    if len(_normalised_recovery_code(code)) != 10:
        return False
    return bool(
        db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _code_hash(code),
                RecoveryCode.used_dt.is_(None),
            )
            .values(used_dt=utcnow())
        ).rowcount
    )


def recovery_codes_left(user: User) -> int:
    from sqlalchemy import func, select

    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_dt.is_(None))
    )
