from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..core.forms import HandvatForm

EMAIL_REQUIRED = DataRequired("Vul uw e-mailadres in.")


class SignInForm(HandvatForm):
    email = EmailField("E-mailadres", validators=[EMAIL_REQUIRED, Length(max=254)])
    password = PasswordField("Wachtwoord", validators=[DataRequired("Vul uw wachtwoord in.")])


class SecondFactorForm(HandvatForm):
    code = StringField(
        "Code uit uw authenticator-app, of een herstelcode",
        validators=[DataRequired("Vul de code in."), Length(max=40)],
    )


class ForgottenPasswordForm(HandvatForm):
    email = EmailField("E-mailadres", validators=[EMAIL_REQUIRED, Length(max=254)])


class NewPasswordForm(HandvatForm):
    password = PasswordField("Nieuw wachtwoord", validators=[DataRequired("Kies een wachtwoord.")])
    repeat = PasswordField(
        "Nieuw wachtwoord nog een keer",
        validators=[DataRequired("Vul het wachtwoord nog een keer in.")],
    )

    def validate_repeat(self, field):
        if field.data != self.password.data:
            from wtforms.validators import ValidationError

            raise ValidationError("De twee wachtwoorden zijn niet gelijk.")


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Huidig wachtwoord", validators=[DataRequired("Vul uw huidige wachtwoord in.")]
    )


class ConfirmWithPasswordForm(HandvatForm):
    password = PasswordField(
        "Uw wachtwoord, ter bevestiging", validators=[DataRequired("Vul uw wachtwoord in.")]
    )
    confirm = BooleanField(
        "Ja, ik weet wat er verloren gaat",
        validators=[DataRequired("Zet een vinkje om te bevestigen.")],
    )


class CodeForm(HandvatForm):
    code = StringField(
        "De code van 6 cijfers uit de app",
        validators=[DataRequired("Vul de code in."), Length(max=20)],
    )


class OfferAnswerForm(HandvatForm):
    """Accepting a role offered in a region: the role the page showed, so a role changed by the
    coordinator meanwhile is never taken unseen."""

    role = HiddenField(validators=[Length(max=20)])


class PlainForm(HandvatForm):
    """Only a CSRF token: for buttons such as 'Uitloggen'."""
