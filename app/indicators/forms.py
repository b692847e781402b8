from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import Field, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import TextInput

from ..core.forms import HandvatForm, MaxCharacters, MultiCheckboxField, select_choices
from .models import Direction
from .periods import parse_period, split_provisional
from .values import parse_cell

PERIOD_HINT = (
    "Bijvoorbeeld 2021, 2e kwartaal 2023, maart 2023 of schooljaar 2021/2022. "
    "CBS-codes zoals 2022JJ00 kan ook."
)
NUMBER_HINT = "Een getal, bijvoorbeeld 1.250 of 24,5 of 24%."


class PeriodField(Field):
    """A period as people write it; ``data`` is its canonical code. Keeps what was typed."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data:
            from .queries import period_label

            return period_label(self.data)
        return ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text, _provisional = split_provisional(valuelist[0])
        period = parse_period(text)
        if period is None:
            raise ValueError(f"‘{valuelist[0].strip()[:40]}’ is geen periode. {PERIOD_HINT}")
        self.data = period.code


class DutchNumberField(Field):
    """A number written the Dutch way: 1.250 or 24,5 or 24%."""

    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        from ..core.formatting import number

        return number(self.data, 0 if float(self.data).is_integer() else 2)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        if len(valuelist[0].strip()) > 40:  # cut short, "0000…0007" would read as 0
            raise ValueError("Dit getal is te lang. " + NUMBER_HINT)
        parsed = parse_cell(valuelist[0])
        if parsed is None or parsed.value is None:
            raise ValueError(f"‘{valuelist[0].strip()[:40]}’ is geen getal. {NUMBER_HINT}")
        if abs(parsed.value) >= 1e15:
            raise ValueError("Dit getal is te groot.")
        self.data = parsed.value


LAYOUTS = [
    ("", "Laat Handvat het uitzoeken"),
    ("long", "Lang: één rij per indicator, periode, categorie en waarde"),
    ("wide", "Breed: categorieën onder elkaar, perioden naast elkaar"),
]


class UploadForm(HandvatForm):
    file = FileField(
        "Bestand met cijfers (CSV of Excel .xlsx)",
        validators=[FileRequired("Kies een bestand.")],
    )
    indicator = StringField("Naam van de indicator", validators=[MaxCharacters(200, "De naam")])
    period = PeriodField("Periode")
    layout = SelectField("Indeling van de tabel", choices=select_choices(LAYOUTS), default="")
    sheet = StringField("Werkblad (bij Excel)", validators=[MaxCharacters(100, "De naam")])


class ConfirmForm(HandvatForm):
    """Confirm or cancel a previewed import; the upload's token is in the URL.

    ``others`` is asked only when the file leaves out values that are stored for its periods
    (the route checks that it is answered then); otherwise nothing else is stored there.
    """

    others = RadioField(
        "Wat moet er gebeuren met de cijfers die wel in Handvat staan, maar niet in dit bestand?",
        choices=select_choices(
            [
                ("laten", "Laten staan: alleen de cijfers uit dit bestand toevoegen of bijwerken"),
                ("weghalen", "Weghalen: de perioden uit dit bestand helemaal vervangen"),
            ]
        ),
        validators=[Optional()],
    )


class IndicatorForm(HandvatForm):
    name = StringField(
        "Naam",
        validators=[DataRequired("Geef de indicator een naam."), MaxCharacters(200, "De naam")],
    )
    definition = TextAreaField(
        "Definitie: wat telt mee?", validators=[MaxCharacters(2_000, "De definitie")]
    )
    unit = StringField("Eenheid", validators=[MaxCharacters(40, "De eenheid")])
    direction = RadioField(
        "Wat is beter?", choices=select_choices(Direction.choices()), default="neutraal"
    )
    source = StringField("Bron", validators=[MaxCharacters(300, "De bron")])
    frequency = StringField("Hoe vaak gemeten", validators=[MaxCharacters(80, "De frequentie")])
    target_value = DutchNumberField("Doel (waarde)")
    target_period = PeriodField("Doel te halen in periode")
    revision = HiddenField()


class QuestionLinkForm(HandvatForm):
    question_id = SelectField("Vraag", default="")

    def set_choices(self, questionnaire) -> None:
        self.question_id.choices = select_choices(
            [("", "Kies een vraag")]
            + [(q.id, f"{number} {q.text}") for number, _, q in questionnaire.numbered_questions]
        )


class ActionLinkForm(HandvatForm):
    indicator = SelectField("Indicator", default="")
    category = SelectField("Welk cijfer van de indicator", default="", validate_choice=False)
    baseline_value = DutchNumberField("Beginwaarde")
    baseline_period = PeriodField("Beginwaarde in periode")
    target_value = DutchNumberField("Doel")
    target_period = PeriodField("Doel te halen in periode")
    story = TextAreaField(
        "Het verhaal achter het cijfer",
        validators=[MaxCharacters(2_000, "Het verhaal")],
    )
    #: The link's revision the edit form was based on (the link form leaves it empty).
    revision = HiddenField()

    def set_choices(self, indicators, categories: dict[int, list[str]]) -> None:
        self.indicator.choices = select_choices(
            [("", "Kies een indicator")] + [(str(i.id), i.name) for i in indicators]
        )
        options = [("", "Het totaal (of de enige waarde)")]
        for indicator in indicators:
            options += [
                (category, f"{indicator.name}: {category}")
                for category in categories.get(indicator.id, [])
            ]
        self.category.choices = select_choices(options)


class MunicipalitiesForm(HandvatForm):
    seats = MultiCheckboxField("Hier heeft de mbo-instelling een vestiging", coerce=int)
    added = TextAreaField(
        "Gemeenten toevoegen", validators=[MaxCharacters(5_000, "De lijst met gemeenten")]
    )

    def set_choices(self, municipalities) -> None:
        self.seats.choices = [
            (m.id, f"{m.name} ({m.cbs_code})" if m.cbs_code else m.name) for m in municipalities
        ]

    @property
    def added_names(self) -> list[str]:
        lines = (self.added.data or "").replace(";", "\n").replace(",", "\n").splitlines()
        return [line.strip() for line in lines if line.strip()]
