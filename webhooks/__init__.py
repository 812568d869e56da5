"""The Flask app: HTTP only. ``create_app()`` is the WSGI entry point.

    gunicorn 'webhooks:create_app()'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from flask import Flask

from bot.config import Settings
from bot.intake.writer import DeliveryWriter
from bot.runtime.startup import check_startup
from bot.store import Store, private_folder, store_for
from webhooks import admin
from webhooks.blog import bp as blog_bp
from webhooks.health import bp as health_bp
from webhooks.meta import bp as meta_bp
from webhooks.root import bp as root_bp
from webhooks.services import MAX_BODY_BYTES, Services

log = logging.getLogger(__name__)


def create_app(
    config: Settings | Mapping[str, str] | None = None,
    *,
    store: Store | None = None,
    on_delivery: Callable[[], None] | None = None,
) -> Flask:
    """Build the app from ``config`` (Settings, an environment mapping, or the real environment).

    Settings it reads itself get the same start-up checks as `groupbot web`; a SettingsError names the setting.
    """
    if isinstance(config, Settings):
        settings = config
    else:
        settings = Settings.from_env(config)
        check_startup(settings)
    if store is None:
        private_folder(settings.data_dir)
        store = store_for(settings)
        store.migrate(time.time())
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    app.extensions["groupbot"] = Services(settings, store, DeliveryWriter(store, on_commit=on_delivery))
    app.register_blueprint(meta_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(root_bp)
    app.register_blueprint(blog_bp, wake=on_delivery)  # a blog ping wakes the worker at once
    admin.init_app(app, settings)
    return app
