"""Forms of a region's member management (for its coordinator)."""

from __future__ import annotations

from wtforms import EmailField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired

from ..accounts.roles import Role
from ..admin.forms import email_check, name_check, role_choices
from ..core.forms import HandvatForm, MaxCharacters


class MemberInviteForm(HandvatForm):
    email = EmailField(
        "E-mailadres",
        validators=[
            DataRequired("Vul het e-mailadres in."),
            MaxCharacters(254, "Het e-mailadres"),
            email_check,
        ],
    )
    name = StringField(
        "Naam",
        validators=[DataRequired("Vul de naam in."), MaxCharacters(120, "De naam"), name_check],
    )
    role = RadioField(
        "Rol in de regio",
        choices=role_choices(),
        default=Role.MEMBER.value,
        validators=[InputRequired("Kies een rol.")],
    )


class MemberRoleForm(HandvatForm):
    role = RadioField("Rol", choices=role_choices(), validators=[InputRequired("Kies een rol.")])
