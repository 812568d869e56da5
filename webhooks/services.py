"""What the HTTP layer needs from the core, built once per app by ``create_app`` and read by every view."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from bot.config import Settings
from bot.intake.writer import DeliveryWriter
from bot.store import Store

# Meta's own deliveries stay far below this; a bigger body is refused before it is read.
MAX_BODY_BYTES = 1024 * 1024


@dataclass
class Services:
    """The core objects of one app: settings, the store, and the delivery writer."""

    settings: Settings
    store: Store
    writer: DeliveryWriter


def services() -> Services:
    """The current app's core services."""
    return current_app.extensions["groupbot"]
