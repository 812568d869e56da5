"""The site's root: ``/`` leads to the dashboard, and ``/favicon.ico`` is the dashboard's icon."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, redirect, send_from_directory, url_for

bp = Blueprint("root", __name__)

STATIC = Path(__file__).parent / "admin" / "static"
FAVICON = "favicon.svg"


@bp.get("/")
def index():
    """Nothing lives at the root: people who type the bare address want the dashboard."""
    return redirect(url_for("admin.queue"))


@bp.get("/favicon.ico")
def favicon():
    """The icon browsers ask for on their own, before they read any page's <link rel="icon">."""
    return send_from_directory(STATIC, FAVICON, mimetype="image/svg+xml", max_age=86400)
