"""The Dutch municipalities (CBS, 1 January 2025), and how regions write them.

``MunicipalityDirectory.national().resolve(text)`` understands CBS codes ("GM0153", "gm0153 "
as StatLine pads them, "0153"), names in any case, with or without accents, with "Gemeente "
before them, and the usual other spellings ("Den Haag", "Hengelo (O.)", "Bergen (NH.)").
``is_rest_category`` recognises the rows that are deliberately no municipality ("Anders &
onbekend", "Overige gemeenten", "Buiten de regio" …), and ``region_label`` the CBS codes and names
of areas that are no municipality either (NL01 Nederland, PV23 Overijssel, CR14 …).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: Other spellings: alias -> CBS code. Matched after normalisation (see ``_key``).
ALIASES: dict[str, str] = {
    "Den Haag": "GM0518",
    "'s-Gravenhage (gemeente)": "GM0518",
    "Den Bosch": "GM0796",
    "'s-Hertogenbosch (gemeente)": "GM0796",
    "Hengelo (O.)": "GM0164",
    "Hengelo (Ov.)": "GM0164",
    "Hengelo Overijssel": "GM0164",
    "Beek (L.)": "GM0888",
    "Laren (NH.)": "GM0417",
    "Middelburg (Z.)": "GM0687",
    "Rijswijk (ZH.)": "GM0603",
    "Stein (L.)": "GM0971",
    "Groningen (gemeente)": "GM0014",
    "Utrecht (gemeente)": "GM0344",
    "Noordoost-Friesland": "GM1970",
    "Zuidwest-Friesland": "GM1900",
    "De Friese Meren": "GM1940",
    "Tietjerksteradeel": "GM0737",
    "Dantumadeel": "GM1891",
    "Nuenen": "GM0820",
    "Nuenen c.a.": "GM0820",
}

#: CBS codes of areas that are no municipality, and their names.
REGION_CODES: dict[str, str] = {
    "NL01": "Nederland",
    "NL00": "Nederland",
    "LD01": "Noord-Nederland",
    "LD02": "Oost-Nederland",
    "LD03": "West-Nederland",
    "LD04": "Zuid-Nederland",
    "PV20": "Groningen (provincie)",
    "PV21": "Fryslân",
    "PV22": "Drenthe",
    "PV23": "Overijssel",
    "PV24": "Flevoland",
    "PV25": "Gelderland",
    "PV26": "Utrecht (provincie)",
    "PV27": "Noord-Holland",
    "PV28": "Zuid-Holland",
    "PV29": "Zeeland",
    "PV30": "Noord-Brabant",
    "PV31": "Limburg",
}
#: Other CBS area codes (COROP, GGD, safety and youth-care regions, districts, neighbourhoods
#: …): kept as they are written.
_REGION_CODE = re.compile(r"(?:cr|gg|vr|jz|am|ra|re|ar|lg|wk|bu|zk|ps|rp|ld|pv)\d{2,8}")
_REGION_NAMES = {
    "nederland": "Nederland",
    "totaal nederland": "Nederland",
    "fryslan": "Fryslân",
    "friesland": "Fryslân",
    "drenthe": "Drenthe",
    "overijssel": "Overijssel",
    "flevoland": "Flevoland",
    "gelderland": "Gelderland",
    "noord holland": "Noord-Holland",
    "zuid holland": "Zuid-Holland",
    "zeeland": "Zeeland",
    "noord brabant": "Noord-Brabant",
    "limburg": "Limburg",
}

#: First words of a row that deliberately holds no municipality.
_REST_FIRST_WORDS = frozenset(
    {
        "anders",
        "andere",
        "onbekend",
        "onbekende",
        "overig",
        "overige",
        "overigen",
        "buiten",
        "buitenland",
        "elders",
        "rest",
        "restant",
        "niet",
        "geen",
        "other",
        "others",
        "unknown",
    }
)

_CODE = re.compile(r"(?:gm)?\s*(\d{4})")


@dataclass(frozen=True)
class KnownMunicipality:
    code: str  # "GM0153"
    name: str  # "Enschede"


def _fold(text: str) -> str:
    """Lower case without accents: "Súdwest-Fryslân" -> "sudwest-fryslan"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _key(text: str) -> str:
    """The form names are compared in: folded, apostrophes dropped, any other punctuation a
    space, no "gemeente" around it. "'s-Gravenhage" and "s Gravenhage" -> "s gravenhage"."""
    folded = _fold(text).replace("'", "").replace("\u2019", "").replace("`", "")
    folded = re.sub(r"[^\w]+", " ", folded).strip()
    if folded.startswith("gemeente "):
        folded = folded[len("gemeente ") :]
    if folded.endswith(" gemeente"):
        folded = folded[: -len(" gemeente")]
    return folded


class MunicipalityDirectory:
    """Municipalities by code and by every name they go by."""

    def __init__(self, municipalities: list[KnownMunicipality], aliases: dict[str, str]):
        self.municipalities = tuple(municipalities)
        self._by_code = {m.code: m for m in municipalities}
        self._by_key: dict[str, KnownMunicipality] = {}
        for m in municipalities:
            self._by_key[_key(m.name)] = m
        for alias, code in aliases.items():
            if code in self._by_code:
                self._by_key.setdefault(_key(alias), self._by_code[code])
        self._resolve = cache(self._resolve_uncached)

    @classmethod
    def national(cls) -> MunicipalityDirectory:
        """All municipalities of 1 January 2025 (``reference/gemeenten.csv``); read once."""
        return _national()

    @classmethod
    def from_csv_text(cls, text: str) -> MunicipalityDirectory:
        rows = [line.split(";", 1) for line in text.splitlines()[1:] if line.strip()]
        return cls([KnownMunicipality(code.strip(), name.strip()) for code, name in rows], ALIASES)

    def __len__(self) -> int:
        return len(self.municipalities)

    def by_code(self, code: str) -> KnownMunicipality | None:
        return self._by_code.get(code)

    def resolve(self, text: str) -> KnownMunicipality | None:
        """The municipality ``text`` names, or None. Codes need four digits ("0153", "GM0153"):
        a bare "14" is more likely an age than Groningen."""
        if not isinstance(text, str):
            return None
        return self._resolve(text)

    def _resolve_uncached(self, text: str) -> KnownMunicipality | None:
        stripped = text.strip()
        if not stripped or len(stripped) > 80:
            return None
        code_match = _CODE.fullmatch(stripped.casefold())
        if code_match:
            return self._by_code.get("GM" + code_match.group(1))
        return self._by_key.get(_key(stripped))

    @staticmethod
    def is_rest_category(text: str) -> bool:
        """True for a row that deliberately holds no municipality: "Anders & onbekend",
        "Onbekend", "Overig", "Overige gemeenten", "Buiten de regio", "Niet in Nederland" …
        (the first word decides)."""
        if not isinstance(text, str):
            return False
        words = _key(text).split()
        return bool(words) and words[0] in _REST_FIRST_WORDS

    @staticmethod
    def region_label(text: str) -> str | None:
        """The name of an area that is no municipality (a CBS code such as NL01, PV23, CR14,
        "Nederland", a province, "Regio Twente"), or None."""
        if not isinstance(text, str):
            return None
        stripped = text.strip()
        upper = stripped.upper()
        if upper in REGION_CODES:
            return REGION_CODES[upper]
        if _REGION_CODE.fullmatch(stripped.casefold()):
            return upper
        key = _key(stripped)
        if key.startswith(("regio ", "region ")) and len(key) > 7:
            return " ".join(stripped.split())  # "Regio Twente": an area, kept as written
        return _REGION_NAMES.get(key)


@cache
def _national() -> MunicipalityDirectory:
    text = resources.files("app.indicators").joinpath("reference/gemeenten.csv").read_text("utf-8")
    return MunicipalityDirectory.from_csv_text(text)
