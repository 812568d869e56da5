"""``/healthz`` for load balancers and uptime checks: can groupbot take a delivery now?"""

import time

from flask import Blueprint, jsonify

from webhooks.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database file is still ours and takes a write in time; 503 with the reason otherwise."""
    problem = services().store.health(time.time())
    if problem is None:
        return jsonify(status="ok")
    return jsonify(status="unavailable", reason=problem), 503
