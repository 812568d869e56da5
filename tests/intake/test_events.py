"""Meta payloads -> typed events: every documented shape, and the broken ones."""

import json

import pytest

from bot.intake.events import (
    BadPayload,
    CommentEvent,
    MessageEvent,
    PagePostEvent,
    PostbackEvent,
    decode_body,
    is_member_message,
    parse_delivery,
)
from tests.support import payloads as p


def only_event(payload):
    result = parse_delivery(payload)
    assert result.problems == []
    assert len(result.events) == 1
    return result.events[0]


def test_page_comment_becomes_a_member_comment():
    event = only_event(p.feed(p.comment_value("How long does an I-130 take?", comment_id="777_1")))
    assert isinstance(event, CommentEvent)
    assert (event.source, event.verb, event.comment_id, event.author_name) == ("page_comment", "add", "777_1", "Maria Lopez")
    assert event.text == "How long does an I-130 take?"
    assert is_member_message(event)


def test_group_feed_flat_shape_in_a_top_level_array_is_a_group_comment_not_a_dm():
    event = only_event(p.group_feed_flat("hola", comment_id="900_5"))
    assert isinstance(event, CommentEvent)
    assert (event.source, event.comment_id, event.group_id) == ("group_comment", "900_5", "880000000000001")


def test_group_feed_under_changes_is_a_group_comment():
    event = only_event(p.feed(p.comment_value("hola"), field="group_feed"))
    assert isinstance(event, CommentEvent) and event.source == "group_comment"


def test_the_pages_own_comment_is_not_a_member_message():
    event = only_event(p.feed(p.comment_value("Thanks for asking!", author_id=p.PAGE_ID)))
    assert event.from_page and not is_member_message(event)


def test_the_pages_own_new_post_is_a_page_post_event():
    value = {"from": {"id": p.PAGE_ID}, "post_id": f"{p.PAGE_ID}_9", "item": "status", "verb": "add",
             "link": "https://blog.example/post", "created_time": 1767225590}
    event = only_event(p.feed(value))
    assert isinstance(event, PagePostEvent) and event.link == "https://blog.example/post"
    assert not is_member_message(event)


def test_messenger_text_quick_reply_and_attachment_only():
    text = only_event(p.message("hola", mid="m_1", quick_reply={"payload": "FEES"}))
    assert isinstance(text, MessageEvent) and (text.text, text.quick_reply_payload, text.dedupe_key) == ("hola", "FEES", "message:m_1")
    image = only_event(p.message(None, attachments=[{"type": "image", "payload": {"url": "https://x"}}]))
    assert image.text == "" and image.attachments == ("image",) and is_member_message(image)


def test_echoes_are_not_member_messages():
    echo = only_event(p.message("Our reply", is_echo=True, app_id=1, metadata="job:5"))
    assert echo.is_echo and echo.metadata == "job:5" and not is_member_message(echo)


def test_postback():
    item = {"sender": {"id": "7770001"}, "recipient": {"id": p.PAGE_ID}, "timestamp": 1458692752478,
            "postback": {"title": "Get Started", "payload": "GET_STARTED"}}
    event = only_event(p.messaging(item))
    assert isinstance(event, PostbackEvent) and event.payload == "GET_STARTED"


def test_reads_and_deliveries_are_ignored_not_errors():
    item = {"sender": {"id": "7770001"}, "recipient": {"id": p.PAGE_ID}, "read": {"watermark": 1}}
    result = parse_delivery(p.messaging(item))
    assert result.events == [] and result.problems == [] and result.ignored == 1


def test_ids_given_as_numbers_become_strings():
    value = p.comment_value("hi")
    value["comment_id"], value["from"]["id"] = 123456, 42
    event = only_event(p.feed(value))
    assert event.comment_id == "123456" and event.author_id == "42"


def test_milliseconds_and_seconds_both_read_as_seconds():
    assert only_event(p.message("x", timestamp=1767225600000)).timestamp == 1767225600.0
    assert only_event(p.feed(p.comment_value(created_time=1767225590))).created_time == 1767225590.0


def test_edits_of_one_comment_have_distinct_keys_but_a_redelivery_repeats_its_key():
    first = only_event(p.feed(p.comment_value("v1", comment_id="1_1", verb="edited")))
    second = only_event(p.feed(p.comment_value("v2", comment_id="1_1", verb="edited")))
    again = only_event(p.feed(p.comment_value("v1", comment_id="1_1", verb="edited")))
    assert first.dedupe_key != second.dedupe_key and first.dedupe_key == again.dedupe_key


def test_nul_bytes_are_removed_and_huge_text_capped():
    event = only_event(p.feed(p.comment_value("ho\x00la" + "x" * 50_000)))
    assert "\x00" not in event.text and event.text.startswith("hola") and len(event.text) == 8000


def test_broken_entries_are_reported_and_the_rest_kept():
    good = p.comment_value("keep me")
    payload = p.feed(good, None, {"item": "comment", "verb": "add", "message": "no id"})
    payload["entry"].append("not an object")
    payload["entry"].append({"id": p.PAGE_ID, "changes": "not a list"})
    result = parse_delivery(payload)
    assert [e.text for e in result.events] == ["keep me"]
    assert len(result.problems) == 4
    assert all("no id" not in problem for problem in result.problems), "problems must not quote member text"


def test_unknown_fields_and_items_are_ignored():
    value = p.comment_value("hi")
    value["brand_new_field"] = {"x": 1}
    payload = p.feed(value, {"item": "reaction", "verb": "add", "reaction_type": "like"})
    payload["entry"][0]["changes"].append({"field": "ratings", "value": {}})
    result = parse_delivery(payload)
    assert len(result.events) == 1 and result.problems == [] and result.ignored == 2


def test_non_page_objects_are_problems():
    result = parse_delivery({"object": "instagram", "entry": []})
    assert result.events == [] and len(result.problems) == 1


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"42", b'"text"', b"null"])
def test_decode_body_refuses_what_is_not_an_object_or_array(body):
    with pytest.raises(BadPayload):
        decode_body(body)


def test_decode_body_accepts_escaped_unicode():
    body = json.dumps(p.message("\u00bfcu\u00e1nto cobran? \U0001f64f")).encode()
    assert b"\\u00bf" in body
    event = only_event(decode_body(body))
    assert event.text == "¿cuánto cobran? 🙏"


def test_a_flat_group_comment_without_field_item_or_verb_is_still_a_comment():
    flat = p.group_feed_flat("hola")[0]
    item = flat["entry"][0]["messaging"][0]
    for key in ("field", "item", "verb"):
        del item[key]
    event = only_event(flat)
    assert isinstance(event, CommentEvent) and event.verb == "add" and event.text == "hola"


def test_a_comment_without_author_is_kept_as_a_member_comment():
    value = p.comment_value("sin autor")
    del value["from"]
    event = only_event(p.feed(value))
    assert event.author_id == "" and is_member_message(event)


def test_iso_created_time_is_read():
    event = only_event(p.feed(p.comment_value(created_time="2026-01-01T00:00:00+0000")))
    assert event.created_time == 1767225600.0


def test_standby_and_handover_entries_are_ignored():
    payload = p.message("hi")
    payload["entry"][0]["standby"] = [{"sender": {"id": "1"}, "message": {"mid": "m_x", "text": "for another app"}}]
    assert [e.text for e in parse_delivery(payload).events] == ["hi"]


def test_an_entry_without_its_page_id_still_knows_our_own_comments():
    payload = p.feed(p.comment_value("our reply", author_id=p.PAGE_ID))
    del payload["entry"][0]["id"]
    assert not is_member_message(parse_delivery(payload, page_id=p.PAGE_ID).events[0])
    echo = p.message("our message", sender=p.PAGE_ID)
    del echo["entry"][0]["id"]
    assert not is_member_message(parse_delivery(echo, page_id=p.PAGE_ID).events[0])


# -- shapes seen in real deliveries, and what tells a person from groupbot -----------------------------------------

def test_a_media_only_comment_carries_its_kind_and_no_text():
    assert only_event(p.media_comment("video")).attachments == ("video",)
    assert only_event(p.media_comment("photo")).text == ""


def test_tagged_names_and_another_pages_comment_are_told_apart():
    tagged = only_event(p.tagged_comment("Juan Perez mira esto", [("Juan Perez", "user")]))
    assert tagged.mentions == ("Juan Perez",) and not tagged.from_other_page
    assert only_event(p.other_page_comment()).from_other_page


def test_an_echo_says_which_app_sent_it_and_who_wrote_it():
    item = {"sender": {"id": p.PAGE_ID, "name": "Laura Gomez"}, "recipient": {"id": "7801"},
            "timestamp": 1767225600000, "message": {"mid": "m_9", "text": "hola", "is_echo": True,
                                                    "app_id": 263902037430900}}
    echo = only_event(p.messaging(item))
    assert (echo.is_echo, echo.app_id, echo.sender_name, echo.metadata) == (True, "263902037430900", "Laura Gomez",
                                                                           None)
    assert not is_member_message(echo)


def test_reactions_are_ignored_and_page_posts_are_the_pages():
    assert parse_delivery(p.reaction()).events == []
    removed = only_event(p.page_post("share", post_id=f"{p.PAGE_ID}_5", verb="remove"))
    assert isinstance(removed, PagePostEvent) and removed.verb == "remove"
