"""The Page's webhook subscription: make it, check it, and restore it when Meta drops it.

Meta unsubscribes an app from a Page after about an hour of failed deliveries, silently.
"""

from __future__ import annotations

import logging

from bot.notify.alerts import notify_admins

log = logging.getLogger(__name__)

# message_echoes: the echo of our own Messenger send settles a send whose answer was lost.
WEBHOOK_FIELDS = ("feed", "messages", "messaging_postbacks", "message_echoes", "group_feed")


def missing_fields(graph) -> list[str]:
    """The fields groupbot needs that the Page is not subscribed to. Raises GraphError."""
    subscribed = set(graph.subscribed_fields())
    return [f for f in WEBHOOK_FIELDS if f not in subscribed]


def subscribe_page(graph) -> list[str]:
    """Subscribe the app to every field groupbot needs, keeping any others; returns the fields now set."""
    current = graph.subscribed_fields()
    wanted = list(dict.fromkeys([*current, *WEBHOOK_FIELDS]))  # the call replaces the set: keep the others
    graph.subscribe(wanted)
    return graph.subscribed_fields()


def restore_subscription(graph) -> list[str]:
    """Re-subscribe when fields were dropped, telling the admins; returns the fields that were missing."""
    missing = missing_fields(graph)
    if not missing:
        return []
    subscribe_page(graph)
    log.warning("Meta had dropped the Page's webhook subscription (missing: %s); subscribed again",
                ", ".join(missing))
    notify_admins("Page webhooks restored",
                  f"Meta had unsubscribed groupbot from the Page's {', '.join(missing)} events, usually after "
                  "an hour of failed deliveries; groupbot subscribed again. Events sent meanwhile are lost.")
    return missing
