"""Forms of the management pages."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, ValidationError

from ..accounts.operations import AccountError, checked_email, checked_name
from ..accounts.roles import Role
from ..core.forms import HandvatForm, MaxCharacters, select_choices

#: More municipalities than any region has; a longer list is refused, never cut short.
MAX_MUNICIPALITIES = 400


def email_check(_form, field) -> None:
    try:
        checked_email(field.data or "")
    except AccountError as error:
        raise ValidationError(str(error)) from None


def name_check(_form, field) -> None:
    try:
        checked_name(field.data or "")
    except AccountError as error:
        raise ValidationError(str(error)) from None


#: One line per role beside its radio button; the full table is on the help page.
ROLE_DESCRIPTIONS = {
    Role.COORDINATOR.value: "Beheert de leden en de gegevens van de regio, en mag alles.",
    Role.FACILITATOR.value: "Start en leidt gesprekken en beheert de actiepunten.",
    Role.PROJECT_LEADER.value: "Werkt actiepunten bij: tekst, trekker, datum en status.",
    Role.MEMBER.value: "Leest gesprekken en actiepunten en downloadt de actielijst.",
}


def role_choices() -> list:
    return select_choices(Role.choices())


class RegionForm(HandvatForm):
    name = StringField(
        "Naam van de regio",
        validators=[DataRequired("Vul de naam van de regio in."), MaxCharacters(120, "De naam")],
    )
    municipalities = TextAreaField(
        "Gemeenten in de regio", validators=[MaxCharacters(20_000, "De lijst met gemeenten")]
    )

    def municipality_names(self) -> list[str]:
        return [line.strip() for line in (self.municipalities.data or "").splitlines()]

    def validate_municipalities(self, field):
        names = [name for name in self.municipality_names() if name]
        if len(names) > MAX_MUNICIPALITIES:
            raise ValidationError(
                f"Dat zijn {len(names)} gemeenten. Er passen er hoogstens {MAX_MUNICIPALITIES} "
                "in één keer. Er is niets weggegooid."
            )


class PersonForm(HandvatForm):
    """Who is invited: an e-mail address and a name (the base of both invitation forms)."""

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


class InviteForm(PersonForm):
    """An administrator's invitation: administrator, a role in a region, or both."""

    is_admin = BooleanField("Beheerder van Handvat")
    region_id = SelectField("Regio", coerce=int, default=0)
    role = SelectField("Rol in die regio", default="")

    def set_choices(self, regions) -> None:
        self.region_id.choices = select_choices(
            [(0, "Geen regio")] + [(r.id, r.name) for r in regions]
        )
        self.role.choices = select_choices([("", "Geen rol")] + Role.choices())

    @property
    def chosen_role(self) -> Role | None:
        return Role(self.role.data) if self.role.data else None

    def validate_role(self, field):
        if bool(self.region_id.data) != bool(field.data):
            raise ValidationError("Kies een regio én een rol in die regio, of geen van beide.")
        if not field.data and not self.is_admin.data:
            raise ValidationError(
                "Kies een regio en een rol, of maak de persoon beheerder. Anders kan hij of zij "
                "na het inloggen niets zien."
            )


class UserRoleForm(HandvatForm):
    """An administrator gives a user a role in a region (new, or instead of the current one)."""

    region_id = SelectField("Regio", coerce=int, validators=[InputRequired("Kies een regio.")])
    role = RadioField("Rol", choices=role_choices(), validators=[InputRequired("Kies een rol.")])

    def set_choices(self, regions) -> None:
        self.region_id.choices = select_choices([(r.id, r.name) for r in regions])


class AdminFlagForm(HandvatForm):
    is_admin = HiddenField(validators=[AnyOf(["ja", "nee"], "Ongeldige keuze.")])


class ConfirmForm(HandvatForm):
    """Only a CSRF token: for buttons that do one thing."""
