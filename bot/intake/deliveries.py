"""What happens to a stored delivery: parse it, turn member messages into questions, note what the Page said.

Questions get the answer engine's verdict and a suggested reply in the next worker job (`bot.replies.suggest`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.intake import events as ev
from bot.replies import suggest, takeover
from bot.store import Delivery, NewQuestion, Store

log = logging.getLogger(__name__)

OTHER_PAGE_REASON = "written by another Facebook Page, not a member; groupbot answers people only"


@dataclass
class IntakeCounts:
    """What one pass over the stored deliveries did."""

    deliveries: int = 0
    questions: int = 0
    duplicates: int = 0
    problems: int = 0


@dataclass(frozen=True)
class PageIdentity:
    """What tells the Page's and groupbot's own activity from a person's: the Page, our app, the takeover window."""

    page_id: str | None = None
    app_id: str | None = None
    takeover_hours: float = 24.0


def process_deliveries(store: Store, *, now: float, page_id: str | None = None, limit: int = 200,
                       app_id: str | None = None, takeover_hours: float = 24.0) -> IntakeCounts:
    """Parse up to ``limit`` waiting deliveries and store what they hold; idempotent if interrupted."""
    identity = PageIdentity(page_id, app_id, takeover_hours)
    counts = IntakeCounts()
    batch = store.deliveries.unparsed(limit)
    if not batch:
        return counts
    # Parsing happens before the write transaction so the webhook's commits never
    # wait behind JSON decoding.
    parsed = [(delivery, _parse(delivery, page_id)) for delivery in batch]
    with store.transaction():
        for delivery, result in parsed:
            try:
                with store.savepoint("delivery"):
                    _store_one(store, delivery, result, counts, identity, now)
            except Exception as exc:  # a bug must not wedge the queue behind one delivery
                log.exception("delivery %d could not be processed", delivery.id)
                store.deliveries.finish(delivery.id, events=0, skipped=0, error=f"internal error: {type(exc).__name__}",
                                        now=now)
            counts.deliveries += 1
    if counts.questions or counts.problems:
        log.info(
            "processed %d deliveries: %d new questions, %d duplicates, %d skipped items",
            counts.deliveries, counts.questions, counts.duplicates, counts.problems,
        )
    return counts


def _parse(delivery: Delivery, page_id: str | None) -> ev.ParseResult | str:
    """The delivery's events, or why it is not a delivery at all."""
    try:
        return ev.parse_delivery(ev.decode_body(delivery.body), page_id=page_id)
    except ev.BadPayload as exc:
        return str(exc)
    except Exception as exc:  # the parser must never stop the queue
        log.exception("delivery %d could not be parsed", delivery.id)
        return f"internal error: {type(exc).__name__}"


def _store_one(store: Store, delivery: Delivery, result: ev.ParseResult | str, counts: IntakeCounts,
               identity: PageIdentity, now: float) -> None:
    if isinstance(result, str):
        store.deliveries.finish(delivery.id, events=0, skipped=0, error=result, now=now)
        counts.problems += 1
        return
    for problem in result.problems:
        log.warning("delivery %d: skipped %s", delivery.id, problem)
    counts.problems += len(result.problems)
    # Meta may deliver out of order after failures: handle events in the order they happened.
    for event in sorted(result.events, key=_event_time):
        if store.deliveries.claim_event(event.dedupe_key, delivery.id, type(event).__name__, now):
            _apply(store, event, counts, identity, now)
        else:
            counts.duplicates += 1
    store.deliveries.finish(delivery.id, events=len(result.events), skipped=len(result.problems), error=None,
                            now=now)


def _apply(store: Store, event: ev.Event, counts: IntakeCounts, identity: PageIdentity, now: float) -> None:
    if not ev.is_member_message(event):
        _note_page_activity(store, event, identity, now)
        return
    if isinstance(event, ev.CommentEvent):
        _apply_comment(store, event, counts, now)
    elif isinstance(event, ev.MessageEvent):
        question = NewQuestion(
            source="messenger",
            external_id=event.mid,
            author_id=event.sender_id,
            author_name="",
            text=event.text,
            event_time=event.timestamp,
            attachments=event.attachments,
        )
        if store.questions.insert(question, now) is not None:
            counts.questions += 1


def _apply_comment(store: Store, event: ev.CommentEvent, counts: IntakeCounts, now: float) -> None:
    if event.verb == "add":
        question = NewQuestion(
            source=event.source,
            external_id=event.comment_id,
            author_id=event.author_id,
            author_name=event.author_name,
            text=event.text,
            event_time=event.created_time,
            post_id=event.post_id,
            parent_id=event.parent_id,
            group_id=event.group_id,
            attachments=event.attachments,
            mentions=event.mentions,
            no_reply_reason=OTHER_PAGE_REASON if event.from_other_page else None,
        )
        if store.questions.insert(question, now) is not None:
            counts.questions += 1
    elif event.verb in ("edited", "edit") and event.text:
        if store.questions.update_text(event.comment_id, event.text, now, event.mentions):
            suggest.comment_edited(store, event.comment_id, now)
    elif event.verb in ("remove", "delete"):
        store.questions.mark_removed(event.comment_id, now)
        suggest.comment_removed(store, event.comment_id, now)


def _note_page_activity(store: Store, event: ev.Event, identity: PageIdentity, now: float) -> None:
    """What the Page itself said settles replies whose sending ended without an answer, or shows a person answering."""
    if isinstance(event, ev.MessageEvent):
        takeover.page_messaged(store, member_id=event.recipient_id, message_id=event.mid, metadata=event.metadata,
                               app_id=event.app_id, our_app_id=identity.app_id, by=event.sender_name,
                               at=event.timestamp or now, takeover_hours=identity.takeover_hours, now=now)
    elif isinstance(event, ev.CommentEvent) and event.verb == "add" and event.parent_id:
        takeover.page_commented(store, parent_id=event.parent_id, comment_id=event.comment_id, text=event.text,
                                at=event.created_time or now, now=now)
    elif isinstance(event, ev.PagePostEvent) and event.verb in ("remove", "delete"):
        if store.blog.mark_page_post_removed(event.post_id, now):
            log.info("a Page post groupbot published was removed from the Page")


def _event_time(event: ev.Event) -> float:
    return getattr(event, "created_time", None) or getattr(event, "timestamp", None) or 0.0
