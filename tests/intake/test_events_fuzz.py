"""Invariant 6 for the parser: no JSON value, however odd, makes it raise or lose the good entries."""

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.intake.events import parse_delivery
from tests.support import payloads as p

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)
# Keys Meta uses, so the fuzzer reaches deep into the parser instead of stopping at the top.
meta_keys = st.sampled_from([
    "object", "entry", "id", "time", "changes", "messaging", "field", "value", "item", "verb", "comment_id",
    "post_id", "from", "message", "sender", "recipient", "mid", "text", "is_echo", "postback", "attachments",
    "created_time", "timestamp", "quick_reply", "payload", "type",
])
meta_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(["page", "feed", "group_feed", "comment", "add"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(meta_keys, children, max_size=6),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_parses_without_raising(value):
    parse_delivery(value)


@settings(max_examples=300, deadline=None)
@given(meta_like)
def test_meta_shaped_garbage_parses_without_raising(value):
    parse_delivery({"object": "page", "entry": [value] if not isinstance(value, list) else value})


@settings(max_examples=200, deadline=None)
@given(meta_like)
def test_a_broken_entry_never_costs_the_good_one_beside_it(junk):
    payload = p.feed(p.comment_value("keep me", comment_id="1_keep"))
    payload["entry"].append(junk)
    texts = [getattr(event, "text", None) for event in parse_delivery(payload).events]
    assert "keep me" in texts
