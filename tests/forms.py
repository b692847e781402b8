"""Valid form submissions, as a browser sends them, for tests to change one field at a time."""

from __future__ import annotations


def start_form(region_id: int, **overrides) -> dict:
    """The start form (and, with ``details_revision``, the details form) of a conversation."""
    return {
        "title": "Bestuurlijk overleg Twente",
        "region_id": str(region_id),
        "held_on": "08-10-2026",
        "current_phase_id": "vormgeven",
        "participants-0-name": "Anna de Vries",
        "participants-0-organisation": "Gemeente Enschede",
        "participants-0-organisation_type": "gemeente",
        "participants-0-role": "Wethouder",
        "participants-1-name": "Bas Jansen",
        "participants-1-organisation": "ROC van Twente",
        "participants-1-organisation_type": "mbo-instelling",
        "participants-1-role": "Bestuurder",
        "creation_token": "token-1",
    } | overrides


def action_form(**overrides) -> dict:
    """The form that adds (or, with the action's ``revision``, edits) an action point."""
    return {
        "description": "Analyse van de zorg binnen het mbo laten maken",
        "question_id": "verkennen-populatie",
        "phase_id": "",
        "owner_name": "Anna de Vries",
        "owner_organisation": "Gemeente Enschede",
        "due_date": "01-03-2027",
        "status": "open",
        "priority": "hoog",
        "revision": "0",
        "creation_token": "tok-1",
    } | overrides
