"""What each role may do: the one table Handvat checks and the help page shows.

Roles are held per region (``Membership``). An administrator manages the installation (regions,
users, questionnaire versions) but sees a region's conversations only through a role in that
region, like anyone else: being able to add users is not a reason to read what boards said.
"""

from __future__ import annotations

import enum

from ..core.models import LabelledEnum


class Role(LabelledEnum):
    COORDINATOR = ("coordinator", "Coördinator")
    FACILITATOR = ("facilitator", "Gespreksleider")
    PROJECT_LEADER = ("project-leader", "Projectleider")
    MEMBER = ("member", "Lid")


class Permission(enum.Enum):
    """Something a user may do with a region's data. The label is what the help page says."""

    VIEW = "Gesprekken, antwoorden, actiepunten, cijfers en geschiedenis bekijken"
    EXPORT = "De actielijst downloaden (PDF, Excel, webpagina)"
    START_CONVERSATION = "Een gesprek starten"
    START_ROUND = (
        "Een volgende ronde van een gesprek starten, met de open actiepunten van de vorige"
    )
    RUN_CONVERSATION = (
        "Gegevens, deelnemers en vragen van een gesprek aanpassen, antwoorden geven en een "
        "workshop openen en leiden"
    )
    DELETE_CONVERSATION = "Een gesprek verwijderen"
    MANAGE_ACTIONS = "Actiepunten toevoegen, verplaatsen en verwijderen"
    UPDATE_ACTIONS = "Actiepunten bijwerken: tekst, trekker, datum, prioriteit en status"
    MANAGE_INDICATORS = (
        "Cijfers van de regio inlezen, indicatoren beschrijven en aan vragen koppelen"
    )
    MANAGE_MEMBERS = "Leden van de regio uitnodigen, hun rol wijzigen en hen verwijderen"
    REGION_DATA = "Alle gegevens van de regio downloaden en alle gesprekken van de regio wissen"

    @property
    def label(self) -> str:
        return self.value


P = Permission

#: The table. Each role may do what is listed, in its own regions only.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.COORDINATOR: frozenset(Permission),
    Role.FACILITATOR: frozenset(
        {
            P.VIEW,
            P.EXPORT,
            P.START_CONVERSATION,
            P.START_ROUND,
            P.RUN_CONVERSATION,
            P.DELETE_CONVERSATION,
            P.MANAGE_ACTIONS,
            P.UPDATE_ACTIONS,
            P.MANAGE_INDICATORS,
        }
    ),
    Role.PROJECT_LEADER: frozenset(
        {P.VIEW, P.EXPORT, P.START_ROUND, P.UPDATE_ACTIONS, P.MANAGE_INDICATORS}
    ),
    Role.MEMBER: frozenset({P.VIEW, P.EXPORT}),
}

#: What only an administrator does; it is about the installation, not a region's data.
ADMINISTRATOR_TASKS = (
    "Regio's aanmaken",
    "Gebruikers uitnodigen en hun rollen in alle regio's beheren",
    "Zien welke versies van de gespreksplaat er zijn",
)

#: Roles whose accounts need a second factor at sign-in (with administrators), unless the
#: installation relaxes it (``REQUIRE_TWO_FACTOR``).
PRIVILEGED_ROLES = frozenset({Role.COORDINATOR})


def role_allows(role: Role | None, permission: Permission) -> bool:
    return role is not None and permission in ROLE_PERMISSIONS[role]


def roles_allowing(permission: Permission) -> list[Role]:
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]
