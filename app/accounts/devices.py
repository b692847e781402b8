"""A signed-in device as people name it ("Chrome op Windows"), from its User-Agent header.

The header is a long string of product tokens that says little to a reader ("Mozilla/5.0 (X11;
Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/…"). Only the browser and the
system are named; the order of the checks matters, because Edge and Opera call themselves
Chrome, Chrome calls itself Safari, and every browser calls itself Mozilla.
"""

from __future__ import annotations

import re

#: (pattern, name), the first that matches names the browser.
BROWSERS = [
    (re.compile(r"\bEdg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"\b(OPR|Opera)/"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\b(Firefox|FxiOS)/"), "Firefox"),
    (re.compile(r"\b(HeadlessChrome|Chrome|Chromium|CriOS)/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
]
#: (pattern, name), the first that matches names the system.
SYSTEMS = [
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bLinux\b"), "Linux"),
]


def describe_device(user_agent: str | None) -> str:
    """ "Firefox op Windows", "Safari op iPhone"; "Onbekend" without a header; a header that
    names neither shows as it is, shortened."""
    text = (user_agent or "").strip()
    if not text:
        return "Onbekend"
    browser = next((name for pattern, name in BROWSERS if pattern.search(text)), None)
    system = next((name for pattern, name in SYSTEMS if pattern.search(text)), None)
    if browser and system:
        return f"{browser} op {system}"
    if browser or system:
        return browser or system
    return text if len(text) <= 60 else text[:59] + "…"
