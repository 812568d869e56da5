"""Every setting that can be checked is checked at start: one line naming it, exit 1, before anything runs."""

from __future__ import annotations

import pytest

from bot.config import Settings, SettingsError
from tests.support.groupbot import run_cli
from webhooks import create_app

FAQ = """
[[intent]]
name = "office_hours"
triggers.en = ["office hours"]
triggers.es = ["horario"]
reply.en = "We are open 9 to 5. Call {call_number}."
reply.es = "Abrimos de 9 a 5. Llame al {call_number}."
"""


def load(tmp_path, **env):
    return Settings.from_env({"DATA_DIR": str(tmp_path / "var"), **env}, env_file=None)


def only_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("name, value, message", [
    ("CONTACT_TEXT_NUMBER", "call us", "CONTACT_TEXT_NUMBER must be a phone number like 619-569-1768"),
    ("CONTACT_CALL_NUMBER", "12345", "CONTACT_CALL_NUMBER must be a phone number"),
    ("CONTACT_CALL_NUMBER", "+1 619 569 1768 0000 00", "CONTACT_CALL_NUMBER must be a phone number"),
    ("BLOG_FEED_URL", "blog.example.com/feed", "BLOG_FEED_URL must be an http(s) URL or an existing feed file"),
    ("BLOG_FEED_URL", "ftp://blog.example.com/feed", "BLOG_FEED_URL must be an http(s) URL or an existing feed file"),
    ("BLOG_FEED_URL", "https:///feed", "BLOG_FEED_URL has no host"),
    ("GROUP_URL", "facebook.com/groups/firm", "GROUP_URL must be an http(s) URL"),
    ("RESOURCE_CENTER_URL", "www.firm.example/resources", "RESOURCE_CENTER_URL must be an http(s) URL"),
    ("PUBLIC_URL", "bot.firm.example", "PUBLIC_URL must be an http(s) URL"),
    ("SMTP_URL", "smtp://alerts:secret-pw@mail.firm.example:abc", "SMTP_URL has a port that is not a number"),
    ("SMTP_URL", "smtp+starttls://alerts:secret-pw@mail.firm.example:99999", "SMTP_URL has a port that is not a number"),
    ("SMTP_URL", "mail.firm.example:587", "SMTP_URL must start with smtp://"),
])
def test_a_malformed_setting_is_named_in_one_line(tmp_path, name, value, message):
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, **{name: value})
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
    assert "secret-pw" not in str(caught.value)


@pytest.mark.parametrize("number", ["619-569-1768", "(619) 569-1768", "+1 619.569.1768", "+52 664 123 4567"])
def test_phone_numbers_with_the_usual_separators_are_accepted(tmp_path, number):
    assert load(tmp_path, CONTACT_TEXT_NUMBER=number).text_number == number


def test_a_feed_file_that_exists_is_accepted_as_a_path_or_a_file_url(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss/>")
    assert load(tmp_path, BLOG_FEED_URL=str(feed)).blog_feed_url == str(feed)
    assert load(tmp_path, BLOG_FEED_URL=feed.as_uri()).blog_feed_url == feed.as_uri()
    with pytest.raises(SettingsError, match="BLOG_FEED_URL must be an http"):
        load(tmp_path, BLOG_FEED_URL=str(tmp_path / "missing.xml"))


def test_serve_refuses_to_start_without_its_faq_file(tmp_path, base_env):
    env = base_env(tmp_path / "var", FAQ_FILE=str(tmp_path / "faq.toml"))
    result = run_cli("serve", "--port", "0", env=env, cwd=tmp_path, timeout=30)
    assert only_line(result) == (f"groupbot: setting error: FAQ_FILE names no file (got '{tmp_path / 'faq.toml'}'); "
                                 "leave it empty for the bundled FAQ")
    assert result.stdout == ""  # it never said it was serving


@pytest.mark.parametrize("command", ["serve", "web", "worker"])
def test_each_long_running_command_refuses_a_faq_file_that_does_not_parse(tmp_path, base_env, command):
    broken = tmp_path / "faq.toml"
    broken.write_text("[[intent]\nname = ")
    env = base_env(tmp_path / "var", FAQ_FILE=str(broken))
    line = only_line(run_cli(command, env=env, cwd=tmp_path, timeout=30))
    assert line.startswith(f"groupbot: setting error: FAQ_FILE cannot be used: {broken}: not valid TOML")


def test_auto_approve_intents_must_exist_in_the_faq(tmp_path, base_env):
    env = base_env(tmp_path / "var", AUTO_APPROVE_INTENTS="contact,hours")
    line = only_line(run_cli("worker", env=env, cwd=tmp_path, timeout=30))
    assert line.startswith("groupbot: setting error: AUTO_APPROVE_INTENTS names intents the FAQ does not have: hours "
                           "(it has ")
    assert "location_hours" in line


def test_auto_approve_may_name_an_intent_of_the_firms_own_faq(tmp_path, base_env):
    faq = tmp_path / "faq.toml"
    faq.write_text(FAQ)
    env = base_env(tmp_path / "var", FAQ_FILE=str(faq), AUTO_APPROVE_INTENTS="office_hours, contact")
    result = run_cli("answer", "what are your office hours?", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("intent: office_hours") and "Automated reply" in result.stdout


def test_a_bad_phone_number_stops_the_command_in_one_line(tmp_path, base_env):
    env = base_env(tmp_path / "var", CONTACT_TEXT_NUMBER="call us")
    assert only_line(run_cli("serve", env=env, cwd=tmp_path, timeout=30)) == (
        "groupbot: setting error: CONTACT_TEXT_NUMBER must be a phone number like 619-569-1768 or +1 619 569 1768 "
        "(got 'call us')")


def test_the_wsgi_entry_point_checks_the_faq_too(tmp_path, base_env):
    with pytest.raises(SettingsError, match="^FAQ_FILE names no file"):
        create_app(base_env(tmp_path / "var", FAQ_FILE=str(tmp_path / "nope.toml")))


def test_with_no_settings_at_all_serve_still_starts(tmp_path, groupbot_server):
    env = {"PATH": "", "PYTHONUNBUFFERED": "1"}
    server = groupbot_server(tmp_path, env)
    assert "(dry-run: outgoing Meta calls are recorded, not sent)" in server.log
    assert server.stop() == 0
