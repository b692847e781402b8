"""Forms of a region's member management (for its coordinator)."""

from __future__ import annotations

from wtforms import RadioField
from wtforms.validators import InputRequired

from ..accounts.roles import Role
from ..admin.forms import PersonForm, role_choices
from ..core.forms import HandvatForm


class MemberInviteForm(PersonForm):
    role = RadioField(
        "Rol in de regio",
        choices=role_choices(),
        default=Role.MEMBER.value,
        validators=[InputRequired("Kies een rol.")],
    )


class MemberRoleForm(HandvatForm):
    role = RadioField("Rol", choices=role_choices(), validators=[InputRequired("Kies een rol.")])
