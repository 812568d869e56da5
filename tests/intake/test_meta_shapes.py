"""Meta's real `feed` payload shapes, each signed and posted to the running server: what the command line shows
afterwards. None may crash the intake, and none may invent a question."""

from __future__ import annotations

import json

import pytest

from tests.support import payloads as p
from tests.support.groupbot import query, run_cli, wait_for
from tests.support.replies import comment, earn_auto_approval_in, staff_comment


def listed(env: dict, workdir, what: str = "questions") -> list[dict]:
    shown = run_cli("list", what, "--json", env=env, cwd=workdir)
    assert shown.returncode == 0, shown.stderr
    return [json.loads(line) for line in shown.stdout.splitlines()]


def deliver(env: dict, server, *deliveries) -> None:
    """Post each delivery signed, and wait until the worker has parsed all of them and judged what they held."""
    for delivery in deliveries:
        assert server.post_delivery(delivery).status_code == 200
    wait_for(lambda: query(env, "SELECT count(*) FROM deliveries WHERE status = 'parsed'") == [(len(deliveries),)],
             timeout=30)
    wait_for(lambda: query(env, "SELECT count(*) FROM questions WHERE classified_at IS NULL AND status != 'removed'")
             == [(0,)], timeout=30)


@pytest.fixture
def running(tmp_path, base_env, groupbot_server):
    env = base_env(tmp_path / "var", BACKFILL="0")
    return env, groupbot_server(tmp_path, env)


@pytest.mark.parametrize("reaction", ["like", "love", "care", "haha", "wow", "sad", "angry"])
def test_reactions_are_no_question(tmp_path, running, reaction):
    env, server = running
    deliver(env, server, p.reaction(reaction_type=reaction), p.reaction(comment_id="777_1", reaction_type=reaction,
                                                                          verb="remove"))
    assert listed(env, tmp_path) == []
    assert query(env, "SELECT error FROM deliveries") == [(None,), (None,)]


@pytest.mark.parametrize("kind, shown", [("photo", "photo"), ("video", "video"), ("sticker", "photo"),
                                         ("gif", "photo")])
def test_a_media_only_comment_is_stored_with_its_kind_and_gets_no_suggestion(tmp_path, running, kind, shown):
    env, server = running
    deliver(env, server, p.media_comment(kind))
    [question] = listed(env, tmp_path)
    assert (question["text"], question["attachments"], question["reply_id"]) == ("", [shown], None)
    assert question["status"] == "no_reply"
    assert f"[{shown}]" in run_cli("list", "questions", env=env, cwd=tmp_path).stdout


def test_a_reply_inside_a_thread_is_a_member_comment_answered_as_such(tmp_path, running):
    env, server = running
    deliver(env, server, p.thread_reply("y cual es su numero de telefono?", parent_comment_id="777_555"))
    [question] = listed(env, tmp_path)
    assert (question["source"], question["parent_id"], question["intent"]) == ("page_comment", "777_555", "contact")
    [reply] = listed(env, tmp_path, "replies")
    assert reply["status"] == "pending" and "619-569-1768" in reply["text"]


def test_a_comment_by_another_page_is_stored_without_a_suggestion_and_says_why(tmp_path, running):
    env, server = running
    deliver(env, server, p.other_page_comment())
    [question] = listed(env, tmp_path)
    assert question["author_name"] == "Tacos El Primo" and question["reply_id"] is None
    assert question["intent"] is None and "another Facebook Page" in question["no_reply_reason"]


@pytest.mark.parametrize("item", ["status", "photo", "video", "share", "post"])
def test_the_pages_own_posts_and_their_removal_are_no_question(tmp_path, running, item):
    env, server = running
    added = p.page_post(item)
    post_id = added["entry"][0]["changes"][0]["value"]["post_id"]
    deliver(env, server, added, p.page_post(item, post_id=post_id, verb="remove"))
    assert listed(env, tmp_path) == []
    assert query(env, "SELECT error FROM deliveries") == [(None,), (None,)]


def test_a_removed_page_post_groupbot_published_shows_as_removed(tmp_path, fake, blog, live_env, groupbot_server):
    env = live_env(tmp_path / "var", fake, blog, BACKFILL="1")
    server = groupbot_server(tmp_path, env)
    [(post_id,)] = wait_for(lambda: query(env, "SELECT page_post_id FROM blog_entries WHERE page_post_id IS NOT NULL"),
                            timeout=20)
    for delivery in (p.page_post("post", post_id=post_id, verb="remove"),
                     p.page_post("status", post_id=f"{p.PAGE_ID}_9999", verb="remove")):
        assert server.post_delivery(delivery, secret=fake.app_secret).status_code == 200
    wait_for(lambda: query(env, "SELECT count(*) FROM deliveries WHERE status = 'parsed'") == [(2,)], timeout=30)
    server.stop()

    [removed] = [post for post in listed(env, tmp_path, "posts") if post["page_post_id"] == post_id]
    assert removed["page_status"] == "removed"
    assert listed(env, tmp_path) == []


def test_tagged_names_do_not_make_a_question(tmp_path, running):
    env, server = running
    only_a_tag = p.tagged_comment("Ayuda con mi caso de asilo", [("Ayuda con mi caso de asilo", "page")])
    with_a_question = p.tagged_comment("Juan Perez cual es su numero?", [("Juan Perez", "user")])
    deliver(env, server, only_a_tag, with_a_question)
    questions = {q["text"]: q for q in listed(env, tmp_path)}
    assert questions["Ayuda con mi caso de asilo"]["intent"] is None
    assert questions["Ayuda con mi caso de asilo"]["reply_id"] is None
    assert questions["Juan Perez cual es su numero?"]["intent"] == "contact"


def test_an_edit_after_the_reply_was_sent_gets_no_second_reply(tmp_path, base_env, groupbot_server):
    env = base_env(tmp_path / "var", BACKFILL="0", AUTO_APPROVE_INTENTS="contact", AUTO_APPROVE_MIN_CONFIDENCE="0")
    earn_auto_approval_in(env, "contact")
    server = groupbot_server(tmp_path, env)
    first = comment("cual es su numero?", field="group_feed")
    comment_id = first["entry"][0]["changes"][0]["value"]["comment_id"]
    server.post_delivery(first)
    wait_for(lambda: query(env, "SELECT status FROM replies") == [("sent",)], timeout=20)
    server.post_delivery(comment("cual es su numero? y su direccion?", field="group_feed", comment_id=comment_id,
                                 verb="edited"))
    wait_for(lambda: query(env, "SELECT count(*) FROM deliveries WHERE status = 'parsed'") == [(2,)], timeout=30)
    wait_for(lambda: query(env, "SELECT count(*) FROM questions WHERE classified_at IS NULL") == [(0,)], timeout=30)
    server.stop()

    [question] = listed(env, tmp_path)
    assert question["edited"] == 1 and question["reply_status"] == "sent"
    sends = [c for c in map(json.loads, run_cli("list", "calls", "--json", env=env, cwd=tmp_path).stdout.splitlines())
             if c["path"].endswith("/messages")]
    assert len(sends) == 1


def test_a_staff_reply_under_a_comment_is_no_question(tmp_path, running):
    env, server = running
    deliver(env, server, staff_comment("Gracias por su comentario", under="777_31337"))
    assert listed(env, tmp_path) == []
