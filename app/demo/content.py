"""The demo data: region Twente and one partly filled conversation. Plain data, no database code.

The situation is taken from the Twente source documents (``/work/shared/seeds``): the plan of
approach of "Ontwikkeltafel 3 Onderwijs-Zorg: het MBO" and Kennispunt Twente's results of the
pilot with counsellors of Tactus Verslavingszorg and Mediant at ROC van Twente (2020-2021).

People: the public documents name real people as opdrachtgever, opdrachtnemer and project group
members. The demo keeps their organisations and roles, but every person's name below is made up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..actions.models import ActionPriority, ActionStatus
from ..actions.operations import ActionData
from ..conversations.models import OrganisationType
from ..conversations.operations import ParticipantData

REGION_NAME = "Twente"

TWENTE_MUNICIPALITIES = [
    "Almelo",
    "Borne",
    "Dinkelland",
    "Enschede",
    "Haaksbergen",
    "Hellendoorn",
    "Hengelo",
    "Hof van Twente",
    "Losser",
    "Oldenzaal",
    "Rijssen-Holten",
    "Tubbergen",
    "Twenterand",
    "Wierden",
]


@dataclass(frozen=True)
class DemoAnswer:
    question_id: str
    assessment_id: str | None
    text: str


@dataclass(frozen=True)
class DemoAction:
    #: Fixed creation token: loading the demo twice finds the action instead of adding it again.
    creation_token: str
    data: ActionData


@dataclass(frozen=True)
class DemoConversation:
    creation_token: str
    title: str
    held_on: date
    current_phase_id: str
    participants: list[ParticipantData]
    #: The questions the table chose, as questionnaire question ids.
    question_ids: list[str]
    answers: list[DemoAnswer]
    actions: list[DemoAction] = field(default_factory=list)


# Organisation names used more than once (participants and action owners).
GEMEENTE_TUBBERGEN = "Gemeente Tubbergen"
GEMEENTE_ALMELO = "Gemeente Almelo"
GEMEENTE_BORNE = "Gemeente Borne"
ROC_VAN_TWENTE = "ROC van Twente"
TACTUS = "Tactus Verslavingszorg"
MEDIANT = "Mediant"
KENNISPUNT = "Kennispunt Twente"
MENZIS = "Menzis"
OZJT = "OZJT (Samen14)"

# Real organisations and roles, fictitious names (see the module docstring).
PARTICIPANTS = [
    ParticipantData(
        name="H. Brinkhuis",
        organisation=GEMEENTE_TUBBERGEN,
        organisation_type=OrganisationType.MUNICIPALITY,
        role="Wethouder jeugd, bestuurlijk opdrachtgever",
    ),
    ParticipantData(
        name="J. Oude Luttikhuis",
        organisation="SOTOG",
        organisation_type=OrganisationType.OTHER,
        role="Bestuurder, bestuurlijk opdrachtgever",
    ),
    ParticipantData(
        name="M. Nijhuis",
        organisation=ROC_VAN_TWENTE,
        organisation_type=OrganisationType.MBO_INSTITUTION,
        role="Opdrachtnemer lijn mbo, Loopbaancentrum",
    ),
    ParticipantData(
        name="S. Kamphuis",
        organisation=GEMEENTE_ALMELO,
        organisation_type=OrganisationType.MUNICIPALITY,
        role="Beleidsadviseur jeugd, projectgroep",
    ),
    ParticipantData(
        name="R. Wessels",
        organisation=GEMEENTE_BORNE,
        organisation_type=OrganisationType.MUNICIPALITY,
        role="Beleidsadviseur jeugd en Wmo, projectgroep",
    ),
    ParticipantData(
        name="L. Kuipers",
        organisation=TACTUS,
        organisation_type=OrganisationType.CARE_PROVIDER,
        role="Manager preventie en jongeren",
    ),
    ParticipantData(
        name="E. Scholten",
        organisation=MEDIANT,
        organisation_type=OrganisationType.CARE_PROVIDER,
        role="Manager jeugd-ggz",
    ),
    ParticipantData(
        name="A. de Vries",
        organisation=KENNISPUNT,
        organisation_type=OrganisationType.OTHER,
        role="Onderzoeker",
    ),
    ParticipantData(
        name="P. Bosch",
        organisation=MENZIS,
        organisation_type=OrganisationType.HEALTH_INSURER,
        role="Adviseur zorginkoop ggz",
    ),
    ParticipantData(
        name="K. Mulder",
        organisation=OZJT,
        organisation_type=OrganisationType.REGIONAL_PURCHASING,
        role="Contractmanager jeugdhulp",
    ),
]

# Eight of the twelve questions: three from Verkennen, all of Vormgeven (the phase the table
# is in) and the Verankeren question. Verbeelden is left out on purpose.
QUESTION_IDS = [
    "verkennen-bestuurlijk-overleg",
    "verkennen-financiering",
    "verkennen-populatie",
    "vormgeven-ondersteuningsstructuur",
    "vormgeven-kwaliteitseisen",
    "vormgeven-dekkend-aanbod",
    "vormgeven-professionalisering",
    "verankeren-opbrengst",
]

# Six answers; "verkennen-financiering" and "vormgeven-dekkend-aanbod" stay open (partly filled).
ANSWERS = [
    DemoAnswer(
        question_id="verkennen-bestuurlijk-overleg",
        assessment_id="well_arranged",
        text=(
            "Ja. Vanuit de Ontwikkeltafel Onderwijs-Zorg van Samen14 is er een bestuurlijk "
            "overleg voor het mbo in Twente. De wethouder van Tubbergen en de bestuurder van "
            "SOTOG zijn samen opdrachtgever. ROC van Twente, gemeenten, Tactus, Mediant, "
            "Kennispunt Twente, Menzis en OZJT zitten aan tafel. We komen vier keer per jaar "
            "bij elkaar."
        ),
    ),
    DemoAnswer(
        question_id="verkennen-populatie",
        assessment_id="largely_arranged",
        text=(
            "In Twente volgen ongeveer 21.000 jongeren van 16 tot 23 jaar een mbo-opleiding. "
            "Ongeveer 1.200 van hen hebben jeugdhulp of een Wmo-indicatie. Opvallend is dat een "
            "kwart jeugdhulp krijgt, terwijl de meeste studenten al 18 jaar of ouder zijn. "
            "Studenten komen uit alle 14 gemeenten, de meesten uit Enschede en Hengelo. Over de "
            "ervaringen van studenten zelf weten we nog te weinig."
        ),
    ),
    DemoAnswer(
        question_id="vormgeven-ondersteuningsstructuur",
        assessment_id="first_steps",
        text=(
            "Sinds 2020 werken hulpverleners van Tactus en Mediant op de locaties Almelo, "
            "Enschede en Hengelo samen met het Loopbaancentrum van ROC van Twente. Ook de JGZ is "
            "op school. Maar het mbo en de gemeenten vinden elkaar vooral ad hoc: er is geen "
            "structurele afstemming. Vaak weten we niet van elkaar wanneer extra begeleiding "
            "start of stopt. We willen één interprofessioneel team dat vroeg signaleert en snel "
            "schakelt."
        ),
    ),
    DemoAnswer(
        question_id="vormgeven-kwaliteitseisen",
        assessment_id="not_started",
        text=(
            "Hier hebben we nog geen afspraken over. Iedere partij werkt nu met een eigen plan "
            "van aanpak voor de student. We willen samen eisen opstellen: één plan per student, "
            "een sluitende overdracht als een student 18 wordt en het regelmatig samen bespreken "
            "van casussen. Het onderwijs en de gemeenten leggen daarbij elk hun eigen deel vast."
        ),
    ),
    DemoAnswer(
        question_id="vormgeven-professionalisering",
        assessment_id="unknown",
        text=(
            "Dit weten we aan tafel niet goed. Tactus en Mediant geven voorlichting en "
            "deskundigheidsbevordering aan medewerkers, bijvoorbeeld over somberheid en "
            "depressie. Of er ook samen intervisie of coaching is voor docenten, het "
            "Loopbaancentrum en hulpverleners, is niet bekend. Dat zoeken we eerst uit."
        ),
    ),
    DemoAnswer(
        question_id="verankeren-opbrengst",
        assessment_id="largely_arranged",
        text=(
            "Kennispunt Twente heeft de pilot gevolgd. De hulpverleners begeleidden 185 "
            "jongeren. 24% kon daarna zelfstandig verder en minder dan een kwart is "
            "doorverwezen naar specialistische zorg. Er waren 147 consultatiegesprekken en 50 "
            "preventieactiviteiten, waarmee meer dan 500 studenten en 200 medewerkers zijn "
            "bereikt. Daarom is de financiering doorgezet en is de inzet nu structureel, maar "
            "we hebben nog niet afgesproken welke cijfers we elk jaar blijven volgen."
        ),
    ),
]

# In the order of the plate; the list number is the position.
ACTIONS = [
    DemoAction(
        creation_token="demo-action-1",
        data=ActionData(
            description=(
                "Aparte werkgroep met de zorgverzekeraar starten over ggz voor studenten van 18 "
                "jaar en ouder. Vervallen: Menzis schuift nu aan bij dit bestuurlijk overleg."
            ),
            question_id="verkennen-bestuurlijk-overleg",
            owner_name="P. Bosch",
            owner_organisation=MENZIS,
            due_date=date(2026, 11, 1),
            status=ActionStatus.CANCELLED,
            priority=ActionPriority.LOW,
        ),
    ),
    DemoAction(
        creation_token="demo-action-2",
        data=ActionData(
            description=(
                "Proces- en financieringsvoorstel opstellen voor de structurele inzet van "
                "hulpverleners op ROC van Twente: wat betaalt het onderwijs, wat betalen de "
                "gemeenten en wat de zorgverzekeraar?"
            ),
            question_id="verkennen-financiering",
            owner_name="K. Mulder",
            owner_organisation=OZJT,
            due_date=date(2027, 3, 1),
            status=ActionStatus.OPEN,
            priority=ActionPriority.HIGH,
        ),
    ),
    DemoAction(
        creation_token="demo-action-3",
        data=ActionData(
            description=(
                "Analyse zorg binnen het mbo afronden met Kennispunt Twente: cijfers van mbo en "
                "gemeenten, en ervaringen van studenten en professionals."
            ),
            question_id="verkennen-populatie",
            owner_name="A. de Vries",
            owner_organisation=KENNISPUNT,
            due_date=date(2026, 11, 15),
            status=ActionStatus.IN_PROGRESS,
            priority=ActionPriority.HIGH,
        ),
    ),
    DemoAction(
        creation_token="demo-action-4",
        data=ActionData(
            description=(
                "Bestaande samenwerkingsmodellen in het land samenvatten voor het bestuurlijk "
                "overleg, zoals die van Landstede, Friesland College en Deltion."
            ),
            phase_id="verbeelden",
            owner_name="S. Kamphuis",
            owner_organisation=GEMEENTE_ALMELO,
            due_date=date(2026, 9, 15),
            status=ActionStatus.DONE,
            priority=ActionPriority.NORMAL,
        ),
    ),
    DemoAction(
        creation_token="demo-action-5",
        data=ActionData(
            description=(
                "Vast overleg starten tussen Loopbaancentrum, jeugdconsulenten van de gemeenten "
                "en hulpverleners van Tactus en Mediant, zodat we van elkaar weten wanneer "
                "begeleiding start of stopt."
            ),
            question_id="vormgeven-ondersteuningsstructuur",
            owner_name="M. Nijhuis",
            owner_organisation=ROC_VAN_TWENTE,
            due_date=date(2027, 1, 15),
            status=ActionStatus.IN_PROGRESS,
            priority=ActionPriority.HIGH,
        ),
    ),
    DemoAction(
        creation_token="demo-action-6",
        data=ActionData(
            description=(
                "Afspraken maken over de overgang van 18- naar 18+: wie zorgt ervoor dat de hulp "
                "doorloopt als een student 18 wordt (Jeugdwet, Wmo, zorgverzekering)?"
            ),
            question_id="vormgeven-kwaliteitseisen",
            owner_name="R. Wessels",
            owner_organisation=GEMEENTE_BORNE,
            due_date=date(2027, 2, 1),
            status=ActionStatus.OPEN,
            priority=ActionPriority.HIGH,
        ),
    ),
    DemoAction(
        creation_token="demo-action-7",
        data=ActionData(
            description=(
                "In kaart brengen welke scholing, coaching en intervisie er al is voor "
                "medewerkers van het Loopbaancentrum en hulpverleners, en wat er nog mist."
            ),
            question_id="vormgeven-professionalisering",
            owner_name="E. Scholten",
            owner_organisation=MEDIANT,
            due_date=date(2027, 6, 30),
            status=ActionStatus.OPEN,
            priority=ActionPriority.NORMAL,
        ),
    ),
    DemoAction(
        creation_token="demo-action-8",
        data=ActionData(
            description=(
                "Monitoring: indicatoren vooraf en achteraf vastleggen, zoals het aantal "
                "begeleide jongeren, 'kan zelfstandig verder', doorverwijzingen en voortijdig "
                "schoolverlaten. Hulpverleners registreren in één vast format."
            ),
            question_id="verankeren-opbrengst",
            owner_name="L. Kuipers",
            owner_organisation=TACTUS,
            due_date=date(2026, 11, 30),
            status=ActionStatus.IN_PROGRESS,
            priority=ActionPriority.NORMAL,
        ),
    ),
]

CONVERSATION = DemoConversation(
    creation_token="demo-conversation-twente",
    title="Bestuurlijk overleg Onderwijs-Zorg mbo Twente",
    held_on=date(2026, 10, 8),
    # The pilot has become structural: the region is now shaping the structure.
    current_phase_id="vormgeven",
    participants=PARTICIPANTS,
    question_ids=QUESTION_IDS,
    answers=ANSWERS,
    actions=ACTIONS,
)
