"""The demo region's figures: real files from Twente, loaded through the importer a user uses.

The files (``app/demo/indicators/``) hold the tables of Kennispunt Twente's factsheet
"Resultaten inzet hulpverleners op ROC 2021", the pilot's headline figures and the figures of
the plan of approach of Ontwikkeltafel 3 Onderwijs-Zorg: het MBO. Some demo action points are
linked to them with a baseline and a target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..actions.models import ActionPoint
from ..conversations.models import Conversation
from ..extensions import db
from ..indicators import operations
from ..indicators.importer import ImportOptions, read_indicator_file
from ..indicators.models import ActionIndicatorLink, Observation
from ..indicators.queries import latest_observation
from ..regions.models import Region

FOLDER = Path(__file__).with_name("indicators")
FACTSHEET = "kennispunt-twente-factsheet-2021.xlsx"

#: (file, sheet) in the order they are read.
DEMO_FILES = (
    ("kennispunt-twente-afsluitredenen-2020-2021.csv", None),
    ("kennispunt-twente-woongemeente-2021.csv", None),
    (FACTSHEET, "Behandeling gestart"),
    (FACTSHEET, "Onderwerpen"),
    (FACTSHEET, "Leeftijd"),
    (FACTSHEET, "Opleidingsniveau"),
    (FACTSHEET, "Consultaties"),
    (FACTSHEET, "Kerncijfers 2021"),
    ("pilot-externe-hulpverleners-kerncijfers.csv", None),
    ("ontwikkeltafel-mbo-twente-plan-van-aanpak.csv", None),
)

#: Where ROC van Twente has its locations (the pilot summary: Almelo, Enschede and Hengelo).
INSTITUTION_SEATS = ("Almelo", "Enschede", "Hengelo")


@dataclass(frozen=True)
class DemoLink:
    action_token: str
    indicator_key: str
    category: str
    baseline_period: str
    target_value: float | None
    target_period: str | None
    story: str


DEMO_LINKS = (
    DemoLink(
        "demo-action-8",
        "afsluitredenen",
        "Opgelost, student kan zelf verder",
        "2020",
        30,
        "2027",
        "In 2020 konden 21 van de 69 jongeren na de hulp op school zelfstandig verder, in 2021 "
        "23 van de 83. Met één vast registratieformat zien we elk jaar hoeveel het er zijn, en "
        "welk deel van alle afgesloten behandelingen.",
    ),
    DemoLink(
        "demo-action-5",
        "afsluitredenen",
        "Afgehaakt",
        "2021",
        12,
        "2027",
        "In 2021 haakten 24 jongeren af, tegen 10 in 2020 (corona: minder studenten op school). "
        "Met vast overleg merken Loopbaancentrum en wijkteam eerder dat iemand wegblijft.",
    ),
    DemoLink(
        "demo-action-3",
        "geholpen-studenten-per-woongemeente",
        "",
        "2021",
        None,
        None,
        "Twee op de drie geholpen studenten wonen in Almelo, Enschede of Hengelo. De analyse "
        "laat zien of studenten uit de kleinere gemeenten de hulp even goed vinden.",
    ),
)


def load_demo_figures(region: Region) -> int:
    """Import the demo files the region has no figures of yet; the number of values stored."""
    operations.set_municipalities(region, [], _seat_ids(region))
    stored = 0
    for file_name, sheet in DEMO_FILES:
        path = FOLDER / file_name
        plan = read_indicator_file(path.read_bytes(), path.name, ImportOptions(sheet=sheet))
        if any(_has_figures(region, name) for name in plan.indicator_names):
            continue
        stored += operations.store_plan(region, plan).values
    return stored


def _seat_ids(region: Region) -> set[int]:
    seats = {m.id for m in region.municipalities if m.hosts_institution}
    return seats or {m.id for m in region.municipalities if m.name in INSTITUTION_SEATS}


def _has_figures(region: Region, name: str) -> bool:
    indicator = operations.find_indicator(region.id, name)
    if indicator is None:
        return False
    return (
        db.session.scalar(select(Observation.id).where(Observation.indicator_id == indicator.id))
        is not None
    )


def link_demo_actions(conversation: Conversation) -> None:
    """Link some demo action points to the figures they are meant to move (once)."""
    for demo in DEMO_LINKS:
        action = db.session.scalar(
            select(ActionPoint).where(
                ActionPoint.conversation_id == conversation.id,
                ActionPoint.creation_token == demo.action_token,
            )
        )
        indicator = operations.find_indicator(conversation.region_id, demo.indicator_key)
        if action is None or indicator is None:
            continue
        exists = db.session.scalar(
            select(ActionIndicatorLink.id).where(ActionIndicatorLink.action_point_id == action.id)
        )
        if exists is not None:
            continue
        baseline = db.session.scalar(
            select(Observation).where(
                Observation.indicator_id == indicator.id,
                Observation.period == demo.baseline_period,
                (Observation.category == demo.category)
                if demo.category
                else Observation.is_total.is_(True),
            )
        ) or latest_observation(indicator.id, demo.category)
        operations.link_action(
            action,
            operations.ActionLinkData(
                indicator_id=indicator.id,
                category=demo.category,
                baseline_value=None,
                baseline_period=None,
                target_value=demo.target_value,
                target_period=demo.target_period,
                story=demo.story,
            ),
            baseline,
        )
