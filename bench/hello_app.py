"""The baseline: a bare hello-world Flask app, served with the same gunicorn settings.

GET answers with a short text. POST answers the way a saved form does, with a redirect, without
reading the body, so the same load script can drive it.
"""

from __future__ import annotations

from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@app.route("/<path:path>", methods=["GET", "POST"])
def hello(path: str):
    if request.method == "POST":
        return redirect("/")
    return "Hallo wereld"
