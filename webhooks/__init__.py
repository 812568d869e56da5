"""The Flask app: HTTP only. ``create_app()`` is the WSGI entry point.

    gunicorn 'webhooks:create_app()'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Mapping

from flask import Flask, current_app

from bot.config import Settings
from bot.intake.writer import DeliveryWriter
from bot.store import Store

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


@dataclass
class Services:
    """What the HTTP layer needs from the core, built once per process."""

    settings: Settings
    store: Store
    writer: DeliveryWriter


def create_app(
    config: Settings | Mapping[str, str] | None = None,
    *,
    store: Store | None = None,
    on_delivery: Callable[[], None] | None = None,
) -> Flask:
    """Build the app from ``config`` (Settings, an environment mapping, or the real environment)."""
    settings = config if isinstance(config, Settings) else Settings.from_env(config)
    if store is None:
        store = Store(settings.database_path, synchronous=settings.sqlite_synchronous)
        store.migrate()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    app.extensions["groupbot"] = Services(settings, store, DeliveryWriter(store, on_commit=on_delivery))

    from webhooks.blog import bp as blog_bp
    from webhooks.health import bp as health_bp
    from webhooks.meta import bp as meta_bp

    app.register_blueprint(meta_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(blog_bp, wake=on_delivery)  # a blog ping hurries the in-process worker
    from webhooks.admin import init_app as init_admin

    init_admin(app, settings)
    return app


def services() -> Services:
    """The current app's core services."""
    return current_app.extensions["groupbot"]
