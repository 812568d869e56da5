"""Settings: defaults on a bare machine, generated secrets, one clear line per bad setting."""

import json
import stat

import pytest

from bot.config import DEMO_FEED, Settings, SettingsError
from tests.support.groupbot import run_cli


def load(tmp_path, **env):
    return Settings.from_env({"DATA_DIR": str(tmp_path / "var"), **env}, env_file=None)


def test_no_settings_at_all_means_dry_run_with_the_demo_feed_and_generated_secrets(tmp_path):
    settings = load(tmp_path)
    assert settings.dry_run and settings.blog_feed_url == str(DEMO_FEED)
    assert settings.database_path == tmp_path / "var" / "groupbot.db"
    assert len(settings.app_secret) == 64 and settings.app_secret != settings.verify_token
    assert (settings.text_number, settings.call_number) == ("619-569-1768", "619-819-9204")
    secrets_file = tmp_path / "var" / "secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600


def test_generated_secrets_survive_a_restart(tmp_path):
    first, second = load(tmp_path), load(tmp_path)
    assert (first.app_secret, first.verify_token, first.secret_key) == (second.app_secret, second.verify_token, second.secret_key)


def test_secrets_given_in_the_environment_win_and_are_not_generated(tmp_path):
    settings = load(tmp_path, META_APP_SECRET="a", META_VERIFY_TOKEN="b", SECRET_KEY="c")
    assert (settings.app_secret, settings.verify_token, settings.secret_key) == ("a", "b", "c")
    assert not (tmp_path / "var" / "secrets.json").exists()


def test_secrets_never_appear_in_repr_or_describe(tmp_path):
    settings = load(tmp_path, META_APP_SECRET="supersecretvalue", SMTP_URL="smtp://u:pw-value@localhost")
    assert "supersecretvalue" not in repr(settings) and "pw-value" not in repr(settings)
    assert settings.describe()["app_secret"] == "set" and "supersecretvalue" not in json.dumps(settings.describe())


def test_a_page_token_turns_dry_run_off_and_then_requires_the_rest(tmp_path):
    with pytest.raises(SettingsError, match="META_PAGE_ID is required when DRY_RUN=0"):
        load(tmp_path, META_PAGE_ACCESS_TOKEN="tok")
    live = load(tmp_path, META_PAGE_ACCESS_TOKEN="tok", META_PAGE_ID="123", META_APP_SECRET="s", META_VERIFY_TOKEN="v")
    assert not live.dry_run


def test_dry_run_can_be_forced_with_a_token(tmp_path):
    assert load(tmp_path, META_PAGE_ACCESS_TOKEN="tok", DRY_RUN="1").dry_run


@pytest.mark.parametrize("name, value, message", [
    ("DATABASE_URL", "mysql://x", "DATABASE_URL must look like sqlite:///"),
    ("DATABASE_URL", "postgresql://", "DATABASE_URL must name a PostgreSQL server and database"),
    ("POLL_INTERVAL_SECONDS", "soon", "POLL_INTERVAL_SECONDS must be a whole number"),
    ("POLL_INTERVAL_SECONDS", "1", "POLL_INTERVAL_SECONDS must be at least 10"),
    ("DRY_RUN", "maybe", "DRY_RUN must be 0 or 1"),
    ("META_PAGE_ID", "my-page", "META_PAGE_ID must be the Page's numeric id"),
    ("META_GRAPH_VERSION", "26", "META_GRAPH_VERSION must look like v26.0"),
    ("META_GRAPH_URL", "graph.facebook.com", "META_GRAPH_URL must be an http(s) URL"),
    ("ADMIN_EMAILS", "staff@firm.test, nobody", "ADMIN_EMAILS has an address that is not one"),
    ("SMTP_URL", "mail.firm.test", "SMTP_URL must start with smtp://"),
    ("RETENTION_DAYS", "0", "RETENTION_DAYS must be at least 1"),
    ("SQLITE_SYNCHRONOUS", "off", "SQLITE_SYNCHRONOUS must be one of FULL, NORMAL"),
    ("HUMAN_TAKEOVER_HOURS", "a day", "HUMAN_TAKEOVER_HOURS must be a whole number"),
    ("HUMAN_TAKEOVER_HOURS", "-1", "HUMAN_TAKEOVER_HOURS must be at least 0"),
])
def test_each_bad_setting_is_named_in_one_line(tmp_path, name, value, message):
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, **{name: value})
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_automation_stays_off_for_a_day_after_a_person_answers_unless_told_otherwise(tmp_path):
    assert load(tmp_path).human_takeover_hours == 24
    assert load(tmp_path, HUMAN_TAKEOVER_HOURS="4").human_takeover_hours == 4


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("FIRM_NAME=From Dotenv\nPOLL_INTERVAL_SECONDS=60\n")
    settings = Settings.from_env({"DATA_DIR": str(tmp_path / "var"), "POLL_INTERVAL_SECONDS": "120"}, env_file=env_file)
    assert settings.firm_name == "From Dotenv" and settings.poll_interval == 120


def test_sqlite_urls_follow_the_sqlalchemy_convention(tmp_path):
    assert load(tmp_path, DATABASE_URL="sqlite:///data/gb.db").database_path.as_posix() == "data/gb.db"
    assert load(tmp_path, DATABASE_URL="sqlite:////srv/gb.db").database_path.as_posix() == "/srv/gb.db"


def test_a_postgresql_url_is_kept_whole_and_out_of_the_settings_repr(tmp_path):
    url = "postgresql://groupbot:s3cret@db.example:5432/groupbot"
    settings = load(tmp_path, DATABASE_URL=url)
    assert settings.database_path is None and settings.database_url == url
    assert "s3cret" not in repr(settings)


def test_the_command_stops_with_one_line_for_a_bad_setting(tmp_path):
    result = run_cli("list", "questions", env={"DATA_DIR": str(tmp_path), "DATABASE_URL": "mysql://x", "PATH": ""}, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "groupbot: setting error: DATABASE_URL must look like sqlite:///var/groupbot.db or "
        "postgresql://user:password@host:5432/dbname (got mysql://…)"
    ]


def test_env_example_documents_every_setting_the_code_reads():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = (root / "bot" / "config.py").read_text()
    read = set(re.findall(r'env\.\w+\("([A-Z_]+)"', source)) | set(re.findall(r'_\w+\(env, "([A-Z_]+)"', source))
    documented = set(re.findall(r"^([A-Z_]+)=", (root / ".env.example").read_text(), re.M))
    assert read - documented == set(), "settings missing from .env.example"
    assert documented - read == set(), ".env.example lists settings the code does not read"


def test_dry_run_on_the_demo_feed_posts_its_two_newest_entries_but_a_real_feed_posts_none_at_first(tmp_path):
    assert load(tmp_path).backfill == 2
    assert load(tmp_path, BLOG_FEED_URL="https://blog.example/feed").backfill == 0
    assert load(tmp_path, BACKFILL="5").backfill == 5
