"""The account page names signed-in devices as people do, not by their User-Agent header."""

from __future__ import annotations

import pytest

from app.accounts.devices import describe_device

CHROME = "Chrome/131.0.0.0 Safari/537.36"


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         f"{CHROME}", "Chrome op Windows"),
        (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         f"{CHROME} Edg/131.0.0.0", "Edge op Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
         "Gecko) Version/18.1 Safari/605.1.15", "Safari op macOS"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
         "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari op iPhone"),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
         "Firefox op Linux"),
        ("Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
         "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
         "Samsung Internet op Android"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "HeadlessChrome/131.0.0.0 Safari/537.36", "Chrome op Linux"),
        ("curl/8.5.0", "curl/8.5.0"),
        ("x" * 200, "x" * 59 + "…"),
        ("", "Onbekend"),
        (None, "Onbekend"),
    ],
)  # fmt: skip
def test_a_device_is_named_by_browser_and_system(user_agent, shown):
    assert describe_device(user_agent) == shown


def test_the_account_page_names_the_device(app, client, tester):
    from app.accounts.models import UserSession
    from app.extensions import db

    for session in db.session.scalars(db.select(UserSession)):
        session.user_agent = (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            + CHROME
        )
    db.session.commit()
    page = client.get("/account").get_data(as_text=True)
    assert "Chrome op Windows" in page and "AppleWebKit" not in page
