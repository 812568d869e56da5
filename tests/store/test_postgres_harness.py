"""The tests' PostgreSQL: a fresh empty database per test, on a server only loopback can reach."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.support.network_guard import guard_env
from tests.support.postgres import DATABASE_PREFIX, URL_VAR, PostgresServer


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_gets_an_empty_database_of_its_own(postgresql_server, postgresql_url, turn):
    with postgresql_server.connect(postgresql_url) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        assert tables == []  # the other turn's table is not here
        conn.execute("CREATE TABLE notes (body text)")
        conn.execute("INSERT INTO notes VALUES ('¿cuánto cuesta la consulta?')")
        assert conn.execute("SELECT upper(body) FROM notes").fetchone() == ("¿CUÁNTO CUESTA LA CONSULTA?",)
    with postgresql_server.connect() as conn:
        mine = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                            (f"{DATABASE_PREFIX}{os.getpid()}_%",)).fetchall()
    assert mine == [(postgresql_url.rsplit("/", 1)[1],)]  # the databases of earlier tests were dropped


def test_the_throwaway_server_listens_on_127_0_0_1_only(postgresql_server):
    if not postgresql_server.own:
        pytest.skip(f"the server is {URL_VAR}'s, not a throwaway cluster")
    port = postgresql_server.cluster.port
    with postgresql_server.connect() as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(ConnectionRefusedError):  # another loopback address: a server on 0.0.0.0 would answer
        socket.create_connection(("127.0.0.2", port), timeout=5).close()


def test_a_server_named_by_url_is_used_and_must_be_on_loopback(postgresql_server):
    attached = PostgresServer.start({URL_VAR: postgresql_server.url})
    url = attached.create_database()
    # A process the tests start, with the network guard on, reaches it (libpq connects from C).
    script = "import sys, psycopg; print(psycopg.connect(sys.argv[1]).execute('SELECT 1').fetchone())"
    reached = subprocess.run([sys.executable, "-c", script, url], env=guard_env(dict(os.environ)),
                             capture_output=True, text=True, timeout=60)
    assert (reached.returncode, reached.stdout.strip()) == (0, "(1,)"), reached.stderr
    attached.stop()  # drops what it made
    with postgresql_server.connect() as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (url.rsplit("/", 1)[1],))
        assert left.fetchone() == (0,)
    with pytest.raises(ValueError, match="tests may only reach 127.0.0.1"):
        PostgresServer.start({URL_VAR: "postgresql://groupbot@db.example.com:5432/postgres"})
