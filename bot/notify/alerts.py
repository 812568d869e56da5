"""Alerts for the firm's admins: the one place every "tell a person" goes through.

An alert is a WARNING log line under the ``groupbot.alerts`` logger, and is handed to the
delivery installed with ``set_alert_delivery`` (the worker installs e-mail to ``ADMIN_EMAILS``
through ``SMTP_URL`` when both are set), so callers do not change.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger("groupbot.alerts")

AlertDelivery = Callable[[str, str], None]
_deliveries: dict[str, AlertDelivery] = {}
_lock = threading.Lock()


def set_alert_delivery(name: str, deliver: AlertDelivery | None) -> None:
    """Hand every later alert to `deliver(subject, body)` too; one per name, None removes it.

    `deliver` must be quick (queue the alert, do not send it) and may raise: it is contained.
    """
    with _lock:
        if deliver is None:
            _deliveries.pop(name, None)
        else:
            _deliveries[name] = deliver


def notify_admins(subject: str, body: str) -> None:
    """Tell the admins that something needs them; never raises. Pass no member text and no secret."""
    try:
        log.warning("admin alert: %s: %s", subject, " ".join(body.split()))
    except Exception:  # an alert must never take down the job that raised it
        pass
    with _lock:
        deliveries = list(_deliveries.items())
    for name, deliver in deliveries:
        try:
            deliver(subject, body)
        except Exception:
            log.exception("admin alert could not be handed to %s", name)
