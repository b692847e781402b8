"""Password hashing (argon2id) and the one rule a password must meet.

As NIST SP 800-63B and the NCSC advise: a minimum length and no password from the list of the
most common ones, never composition rules ("one capital, one digit") that push people to
``Welkom01!``.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
#: argon2 works on any length; a limit stops a megabyte "password" from costing CPU time.
MAX_LENGTH = 200

_hasher = PasswordHasher()

#: Dutch passwords that the international list misses.
DUTCH_COMMON = {
    "wachtwoord",
    "wachtwoord1",
    "wachtwoord123",
    "welkom",
    "welkom01",
    "welkom123",
    "welkom2026",
    "geheim",
    "geheim123",
    "voetbal",
    "voetbal123",
    "zomer2026",
    "winter2026",
    "handvat",
    "handvat123",
    "nederland",
    "amsterdam",
    "rotterdam",
    "enschede",
    "twente",
    "feyenoord",
    "ajax1900",
}


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (zxcvbn's list from leaked password sets)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | DUTCH_COMMON


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """What is wrong with a new password, in Dutch; None when it may be used."""
    if len(password) < MIN_LENGTH:
        return f"Kies een wachtwoord van minstens {MIN_LENGTH} tekens. Een zin werkt goed."
    if len(password) > MAX_LENGTH:
        return f"Kies een wachtwoord van hoogstens {MAX_LENGTH} tekens."
    lowered = password.casefold()
    if lowered in common_passwords() or len(set(lowered)) < 3:
        return "Dit wachtwoord wordt veel gebruikt en is makkelijk te raden. Kies een ander."
    personal = {email.casefold(), email.split("@")[0].casefold(), name.casefold()} - {""}
    if lowered in personal:
        return "Uw wachtwoord mag niet uw naam of e-mailadres zijn. Kies een ander."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


#: Checked when the address is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("handvat-no-such-account")


def verify_password(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
