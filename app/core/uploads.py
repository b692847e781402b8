"""File uploads: a larger request size for the few views that take a file.

Every other request stays within ``MAX_CONTENT_LENGTH``. The limit is raised before the CSRF
check reads the form, so a view's own limit holds from the first byte read.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request

_SETTING = "handvat_upload_limit_setting"


def accepts_upload(setting: str) -> Callable:
    """Mark a view as taking a file of at most ``app.config[setting]`` megabytes."""

    def mark(view: Callable) -> Callable:
        setattr(view, _SETTING, setting)
        return view

    return mark


def upload_limit_mb() -> int | None:
    """The current request's upload limit in MB, when its view takes a file."""
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, _SETTING, None)
    return current_app.config[setting] if setting else None


def init_upload_limits(app: Flask) -> None:
    @app.before_request
    def raise_limit_for_uploads() -> None:
        limit = upload_limit_mb()
        if limit:
            request.max_content_length = limit * 1024 * 1024
