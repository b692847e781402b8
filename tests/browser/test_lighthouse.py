"""Lighthouse, an auditor nobody here wrote, scores the accessibility of the main pages: 100.

Dutch public bodies must meet WCAG 2.1 AA. ``test_accessibility.py`` runs axe-core on every
page inside our own browser session; Lighthouse runs its own audits (axe-core among them) in a
Chromium it starts itself, signed in through the same session cookie. A page below 100 fails
the test with the audits it failed. On the SQLite live server only: it judges the HTML.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from ..checkers import require_lighthouse

pytestmark = pytest.mark.browser

DEMO = "/gesprekken/{id}"
#: The pages a new user meets first, and those with the most parts (forms, tables, charts).
PAGES = (
    "/",
    "/regio/",
    DEMO,
    DEMO + "/vragen/vormgeven-kwaliteitseisen",
    DEMO + "/acties",
    DEMO + "/acties/nieuw",
    DEMO + "/vergelijking",
    "/acties?status=open-alle",
    "/acties/bord",
    "/regio/twente/agenda",
    "/regio/twente/indicatoren",
    "/account",
    "/workshops/1",
    "/w",
)
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run"
#: Seconds one page may take: Lighthouse starts a browser, loads the page and audits it.
PAGE_TIMEOUT = 120


def lighthouse_accessibility(command: list[str], url: str, cookie: str) -> dict:
    """Lighthouse's accessibility category for ``url``: its score (0 to 1) and the ids and
    titles of the audits that failed. Tried twice: a browser it starts can fail to start."""
    for attempt in (1, 2):
        result = subprocess.run(
            [
                *command,
                url,
                "--only-categories=accessibility",
                f"--chrome-flags={CHROME_FLAGS}",
                "--extra-headers",
                json.dumps({"Cookie": cookie}),
                "--output=json",
                "--output-path=stdout",
                "--quiet",
                "--disable-full-page-screenshot",  # half its time; no audit of ours needs it
            ],
            capture_output=True,
            text=True,
            timeout=PAGE_TIMEOUT,
            env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
        )
        if result.returncode == 0 or attempt == 2:
            break
    assert result.returncode == 0, f"Lighthouse failed on {url}: {result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    category = report["categories"]["accessibility"]
    failed = [
        f"{audit['id']}: {audit['title']}"
        for audit in report["audits"].values()
        if audit.get("scoreDisplayMode") == "binary" and audit.get("score") == 0
    ]
    return {"score": category["score"], "failed": failed, "final_url": report["finalDisplayedUrl"]}


@pytest.mark.parametrize("live_database_url", ["sqlite"], indirect=True)
def test_the_main_pages_score_100_for_accessibility(live_server):
    command = require_lighthouse()
    session = live_server.session_cookie()
    cookie = f"{session['name']}={session['value']}"
    below = {}
    for page in PAGES:
        url = live_server(page.format(id=live_server.demo_conversation_id))
        outcome = lighthouse_accessibility(command, url, cookie)
        assert "/inloggen" not in outcome["final_url"], f"{url} was not signed in"
        if outcome["score"] != 1:
            below[url] = outcome
    assert not below, below
