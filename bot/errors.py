"""The one root of refusals: an action a person asked for cannot be done, and the message says why.

Each flow raises its own subclass (`ReplyError`, `PublishingError`, `AccountError`...), so a
caller that cares can tell them apart; the command line and the dashboard each catch
`Refused` once and show its one-line message.
"""

from __future__ import annotations


class Refused(Exception):
    """An action was refused; ``str(error)`` is one line, fit to show the person who asked."""
