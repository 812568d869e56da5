"""`groupbot copy-db --to URL`: an installation moved between engines with nothing lost, and every way it refuses.

The copy needs both engines at once: the round trip builds its SQLite source and PostgreSQL targets itself, so it
runs once; the refusals run on each engine as the source, with the other engine as the target.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from bot.runtime.dispatcher import PUBLISHER_LEASE
from bot.store.postgres import INSTALL_DRIVER
from tests.support import payloads
from tests.support.groupbot import db_path, query, run_cli, wait_for

PASSWORD = "Sekr1t-copy-pw"
ADMIN_PASSWORD = "correct-horse-battery-staple-9041"
BOTH_ENGINES = "copy-db sets up both engines itself: an SQLite source, PostgreSQL targets"


def with_password(url: str) -> str:
    """The test server's URL with a password in it (the server trusts local connections, so any password works)."""
    user, rest = url.split("://", 1)[1].split("@", 1)
    return f"postgresql://{user}:{PASSWORD}@{rest}"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"  # an absolute path: four slashes


def sqlite_rows(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows (schema_migrations aside, whose times are each database's own), sorted."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
            " AND name != 'schema_migrations' ORDER BY name")]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}


def postgres_tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]


def question_id(env: dict[str, str], text: str) -> int:
    return query(env, "SELECT id FROM questions WHERE text = ?", (text,))[0][0]


def fill_installation(workdir: Path, env: dict[str, str], groupbot_server) -> None:
    """Use a dry-run groupbot as an office would: signed deliveries of every kind, an approval, a rejection, a hand
    reply, a relabel, a second admin; the demo blog is posted; then stop it."""
    server = groupbot_server(workdir, env)
    now = int(time.time())  # within Meta's reply windows
    spanish = "hola, ¿dónde está su oficina? Mañana voy"

    def message(text: str, sender: str) -> dict:
        return payloads.message(text, sender=sender, timestamp=now * 1000)

    group_comment = payloads.group_feed_flat(spanish)
    group_comment[0]["entry"][0]["messaging"][0]["created_time"] = now
    server.post_delivery(message("How much is a consultation?", "7770001")).raise_for_status()
    server.post_delivery(payloads.feed(payloads.comment_value("cual es su numero?", created_time=now))
                         ).raise_for_status()
    # Raw UTF-8, not \u escapes: the stored body must come back byte for byte.
    server.post_delivery(body=json.dumps(group_comment, ensure_ascii=False).encode()).raise_for_status()
    server.post_delivery(message("necesito una consulta para mi asilo", "7770002")).raise_for_status()
    server.post_delivery(message("gracias!", "7770003")).raise_for_status()
    wait_for(lambda: query(env, "SELECT count(*) FROM questions WHERE classified_at IS NOT NULL")[0][0] == 5,
             timeout=30)

    def cli(*args: str, stdin: str | None = None) -> None:
        done = run_cli(*args, env=env, cwd=workdir, input=stdin)
        assert done.returncode == 0, done.stderr

    cli("approve", str(question_id(env, "How much is a consultation?")))
    cli("reject", str(question_id(env, "cual es su numero?")))
    cli("reply", str(question_id(env, spanish)), "--text", "Estamos en San Diego, la esperamos.")
    cli("relabel", str(question_id(env, "necesito una consulta para mi asilo")), "green_card")
    cli("admin", "add", "paralegal@example.com", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    wait_for(lambda: query(env, "SELECT count(*) FROM outbox_jobs WHERE status = 'sent'")[0][0] >= 2, timeout=30)
    server.stop()


@pytest.mark.sqlite_only(BOTH_ENGINES)
def test_an_installation_goes_to_postgresql_and_back_with_every_row_and_the_next_ids(
        tmp_path, base_env, groupbot_server, postgresql_url):
    source_env = base_env(tmp_path / "var")
    fill_installation(tmp_path, source_env, groupbot_server)
    original = sqlite_rows(db_path(source_env))
    assert all(original[table] for table in ("deliveries", "questions", "replies", "learned_examples",
                                             "outbox_jobs", "audit_log", "admins", "blog_entries", "graph_calls"))

    to_postgresql = run_cli("copy-db", "--to", with_password(postgresql_url), env=source_env, cwd=tmp_path)
    assert to_postgresql.returncode == 0, to_postgresql.stderr
    shown = {line.split()[0]: line.split()[1:] for line in to_postgresql.stdout.splitlines()[1:-1]}
    assert shown == {table: [str(len(rows))] * 2 for table, rows in original.items()}
    assert "every table's rows match" in to_postgresql.stdout
    assert PASSWORD not in to_postgresql.stdout + to_postgresql.stderr

    postgres_env = base_env(tmp_path / "pg-var", DATABASE_URL=postgresql_url)
    for table in ("queue_tab_counts", "front_desk_counts"):
        assert sorted(query(postgres_env, f"SELECT * FROM {table}"), key=repr) == original[table]
    assert query(postgres_env, "SELECT id, body FROM deliveries ORDER BY id") == \
        sorted((row[0], row[2]) for row in original["deliveries"])
    for what in ("questions", "replies", "posts"):
        on_sqlite = run_cli("list", what, env=source_env, cwd=tmp_path)
        on_postgresql = run_cli("list", what, env=postgres_env, cwd=tmp_path)
        assert on_postgresql.returncode == 0 and on_postgresql.stdout == on_sqlite.stdout

    back = tmp_path / "back" / "groupbot.db"
    to_sqlite = run_cli("copy-db", "--to", sqlite_url(back), env=postgres_env, cwd=tmp_path)
    assert to_sqlite.returncode == 0, to_sqlite.stderr
    assert sqlite_rows(back) == original

    # groupbot on the copy: the old questions are there, and a new one takes the next id.
    server = groupbot_server(tmp_path, postgres_env)
    server.post_delivery(payloads.message("¿atienden los sábados?", sender="7770009")).raise_for_status()
    new_id = wait_for(lambda: query(postgres_env, "SELECT id FROM questions WHERE text = ?",
                                    ("¿atienden los sábados?",)))[0][0]
    assert new_id == max(row[0] for row in original["questions"]) + 1
    next_delivery = max(row[0] for row in original["deliveries"]) + 1
    assert query(postgres_env, "SELECT max(id) FROM deliveries") == [(next_delivery,)]
    listed = run_cli("list", "questions", env=postgres_env, cwd=tmp_path).stdout
    assert "atienden los sábados" in listed and "How much is a consultation?" in listed


@pytest.fixture
def source(tmp_path, base_env, store):
    """An installation on this run's engine holding one delivery, closed (as when groupbot is stopped)."""
    store.deliveries.insert([(b'{"object": "page", "entry": []}', 1767225600.0)])
    store.close()
    return base_env(tmp_path / "var")  # the store fixture's data folder: the same database


@pytest.fixture
def other_engine_target(database_engine, tmp_path, request):
    """The --to of the engine this run's source is not on: a PostgreSQL database (with a password), or a new
    SQLite file."""
    if database_engine == "sqlite":
        return with_password(request.getfixturevalue("postgresql_url"))
    return sqlite_url(tmp_path / "copy" / "groupbot.db")


def untouched(target: str) -> bool:
    """True when the copy wrote nothing there: no SQLite file, or no table in the PostgreSQL database."""
    if target.startswith("sqlite:///"):
        return not Path(target[len("sqlite:///"):]).exists()
    return postgres_tables(target) == []


def test_copy_is_refused_while_groupbot_runs_on_the_source(tmp_path, base_env, groupbot_server, other_engine_target):
    env = base_env(tmp_path / "var")
    groupbot_server(tmp_path, env)
    wait_for(lambda: query(env, "SELECT holder FROM leases WHERE name = ?", (PUBLISHER_LEASE,)), timeout=30)
    refused = run_cli("copy-db", "--to", other_engine_target, env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.startswith("groupbot: cannot copy the database while")
    assert "stop every groupbot service first" in refused.stderr and refused.stdout == ""
    assert untouched(other_engine_target)


def test_copy_is_refused_into_a_database_that_holds_data(tmp_path, source, other_engine_target):
    first = run_cli("copy-db", "--to", other_engine_target, env=source, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = run_cli("copy-db", "--to", other_engine_target, env=source, cwd=tmp_path)
    assert again.returncode == 1 and again.stdout == ""
    assert "already holds data (1 row in deliveries); copy into an empty database" in again.stderr
    assert len(again.stderr.splitlines()) == 1
    assert PASSWORD not in first.stdout + first.stderr + again.stdout + again.stderr


def test_copy_is_refused_into_the_database_it_copies(tmp_path, source, database_engine):
    if database_engine == "sqlite":
        same = sqlite_url(db_path(source))
    else:  # spelt another way, still the same database
        same = source["DATABASE_URL"] + "?application_name=another-spelling"
    refused = run_cli("copy-db", "--to", same, env=source, cwd=tmp_path)
    assert refused.returncode == 1
    assert "is the database groupbot uses; name another one" in refused.stderr
    assert query(source, "SELECT count(*) FROM deliveries") == [(1,)]


@pytest.mark.parametrize("url", ["mysql://groupbot:" + PASSWORD + "@db.example/groupbot", "var/copy.db",
                                 "sqlite://relative.db", "postgresql://"])
def test_copy_is_refused_for_a_target_that_is_not_a_database_url(tmp_path, source, url):
    refused = run_cli("copy-db", "--to", url, env=source, cwd=tmp_path)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("groupbot: --to must ")
    assert PASSWORD not in refused.stderr
    assert not (tmp_path / "var" / "copy.db").exists() and not (tmp_path / "relative.db").exists()


@pytest.mark.sqlite_only("the source is an SQLite file")
def test_copy_is_refused_without_the_postgresql_driver(tmp_path, source):
    hidden = tmp_path / "no-driver"
    for package in ("psycopg", "psycopg_pool"):
        (hidden / package).mkdir(parents=True)
        (hidden / package / "__init__.py").write_text("raise ImportError('not installed here')\n")
    env = dict(source, PYTHONPATH=str(hidden))
    refused = run_cli("copy-db", "--to", "postgresql://groupbot:" + PASSWORD + "@127.0.0.1:9/groupbot", env=env,
                      cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr == ("groupbot: --to names PostgreSQL, but its driver is not installed: "
                              f"{INSTALL_DRIVER}\n")


@pytest.mark.sqlite_only(BOTH_ENGINES)
def test_a_copy_that_fails_midway_leaves_the_target_empty_and_names_the_table(tmp_path, source, postgresql_url):
    # SQLite keeps a NUL character in text; PostgreSQL refuses it, after the tables before kv were copied.
    with closing(sqlite3.connect(db_path(source))) as conn, conn:
        conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('note', ?, 0)", ("a\x00b",))
    failed = run_cli("copy-db", "--to", postgresql_url, env=source, cwd=tmp_path)
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.startswith("groupbot: copying table kv into ")
    assert "so nothing was copied" in failed.stderr and len(failed.stderr.splitlines()) == 1
    target_env = {"DATABASE_URL": postgresql_url}
    assert query(target_env, "SELECT count(*) FROM deliveries") == [(0,)]
    retried = run_cli("copy-db", "--to", postgresql_url, env=source, cwd=tmp_path)
    assert retried.returncode == 1 and "copying table kv" in retried.stderr  # the migrated, empty target is reusable
