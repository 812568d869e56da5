"""``/healthz`` for load balancers and uptime checks."""

from flask import Blueprint, jsonify

from webhooks.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise."""
    if services().store.ping():
        return jsonify(status="ok")
    return jsonify(status="database unavailable"), 503
