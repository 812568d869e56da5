"""A real PostgreSQL for the tests: the server GROUPBOT_TEST_POSTGRESQL_URL names, else a throwaway cluster.

The throwaway cluster is made from PostgreSQL's server binaries (Debian's `postgresql` package keeps them in
/usr/lib/postgresql/VERSION/bin) in a temporary folder: it listens on 127.0.0.1 only, on a free port, trusts every
local connection, and trades durability for speed. Each test gets a fresh empty database of its own.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.network_guard import is_loopback

URL_VAR = "GROUPBOT_TEST_POSTGRESQL_URL"
SUPERUSER = "groupbot_test"
DATABASE_PREFIX = "groupbot_test_"
NOT_INSTALLED = (f"PostgreSQL is not installed (no pg_ctl/initdb found); install Debian's postgresql or set "
                 f"{URL_VAR}")
MIN_SERVER_VERSION = 130000  # DROP DATABASE ... WITH (FORCE)
START_TIMEOUT = 60  # seconds; a busy 2-core machine can take a while to start a cluster
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "200",  # several groupbot processes, each with its pool, plus the tests' own connections
    # Nothing here has to survive a crash of the machine.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "dynamic_shared_memory_type": "mmap",  # a container's /dev/shm is often tiny
}


class PostgresUnavailable(Exception):
    """No PostgreSQL to test against here; the message says why and what to install."""


def find_bindir() -> Path | None:
    """The folder of PostgreSQL's server binaries: pg_config's, else the newest Debian one, else the PATH's."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        try:
            found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            found = None
        if found is not None and found.returncode == 0 and found.stdout.strip():
            candidates.append(Path(found.stdout.strip()))
    # pg_config comes with libpq's headers too, so its bindir may lack the server: look further then.
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    candidates.extend(sorted(debian, key=lambda path: _version_key(path.parent.name), reverse=True))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if all((bindir / tool).is_file() and os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl",
                                                                                            "postgres")):
            return bindir
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


class PostgresServer:
    """A PostgreSQL server the tests may create databases on, as its superuser (or a role allowed CREATE DATABASE)."""

    def __init__(self, url: str, *, cluster: _Cluster | None = None) -> None:
        self.url = url  # the maintenance database
        self.cluster = cluster
        self._made: list[str] = []

    @classmethod
    def start(cls, environ: dict[str, str] | None = None) -> PostgresServer:
        """Attach to the server of GROUPBOT_TEST_POSTGRESQL_URL, else start a throwaway cluster.

        Raises PostgresUnavailable when neither is possible; any other error (a cluster that fails to start, a
        server that refuses the URL) is raised as it is, since that is something to fix, not to skip."""
        environ = os.environ if environ is None else environ
        url = environ.get(URL_VAR, "").strip()
        if url:
            server = cls(_loopback_only(url))
        else:
            cluster = _Cluster.start()
            server = cls(cluster.url, cluster=cluster)
        try:
            server._check_version()
        except BaseException:
            server.stop()
            raise
        return server

    @property
    def own(self) -> bool:
        """True for a throwaway cluster started here, False for the server of GROUPBOT_TEST_POSTGRESQL_URL."""
        return self.cluster is not None

    def connect(self, url: str | None = None):
        """An autocommit psycopg connection to ``url`` (default: the maintenance database)."""
        import psycopg

        return psycopg.connect(url or self.url, autocommit=True, connect_timeout=10)

    def create_database(self) -> str:
        """Create a fresh, empty UTF-8 database with a unique name; return its URL."""
        from psycopg import sql

        name = f"{DATABASE_PREFIX}{os.getpid()}_{secrets.token_hex(6)}"
        with self.connect() as conn:
            # template0: empty even if someone filled template1 on a shared server.
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
        self._made.append(name)
        return database_url(self.url, name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url``, and the connections left on it."""
        from psycopg import sql

        name = urlsplit(url).path.lstrip("/")
        if not name.startswith(DATABASE_PREFIX):
            raise ValueError(f"not a test database: {name!r}")
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if name in self._made:
            self._made.remove(name)

    def stop(self) -> None:
        """Stop and remove the throwaway cluster; on an outside server, drop the databases still left."""
        if self.cluster is not None:
            self.cluster.stop()
            self._made.clear()
            return
        for name in list(self._made):
            self.drop_database(database_url(self.url, name))

    def _check_version(self) -> None:
        with self.connect() as conn:
            version = conn.info.server_version
        if version < MIN_SERVER_VERSION:
            raise RuntimeError(f"the test PostgreSQL is version {version // 10000}; the tests need 13 or newer")


def database_url(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name`` (user, password, host, port and options kept)."""
    return urlsplit(url)._replace(path="/" + name).geturl()


def _loopback_only(url: str) -> str:
    """``url`` when it names a server on loopback or a Unix socket: the tests may reach nothing else."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(url)
    except Exception as bad:
        raise ValueError(f"{URL_VAR} is not a valid PostgreSQL URL: {bad}") from None
    hosts = [h for key in ("host", "hostaddr") for h in str(params.get(key) or "").split(",") if h]
    outside = [h for h in hosts if not h.startswith("/") and not is_loopback(h)]
    if outside:
        raise ValueError(f"{URL_VAR} names {', '.join(outside)}: tests may only reach 127.0.0.1, localhost or a "
                         f"Unix socket")
    return url


class _Cluster:
    """A throwaway cluster in a temporary folder, run as the `postgres` user when this process is root."""

    def __init__(self, bindir: Path, folder: Path, user: pwd.struct_passwd | None) -> None:
        self.bindir = bindir
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.user = user
        self.port = 0
        self._running = False

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls) -> _Cluster:
        bindir = find_bindir()
        if bindir is None:
            raise PostgresUnavailable(NOT_INSTALLED)
        user = None
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root.
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(f"running as root, and there is no `postgres` user to run PostgreSQL as; "
                                          f"install Debian's postgresql or set {URL_VAR}") from None
        folder = Path(tempfile.mkdtemp(prefix="groupbot-pg-"))
        cluster = cls(bindir, folder, user)
        try:
            if user is not None:
                os.chown(folder, user.pw_uid, user.pw_gid)
            cluster._initdb()
            cluster._run_server()
        except BaseException:
            cluster.stop()
            raise
        atexit.register(cluster.stop)  # should the session end without its teardown
        return cluster

    def _initdb(self) -> None:
        # C.UTF-8: the members write Spanish, and lower()/upper() must know accented letters; the ordering stays
        # by code point, the same on every machine.
        self._run([self.bindir / "initdb", "--pgdata", str(self.data), "--username", SUPERUSER, "--auth", "trust",
                   "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync", "--no-instructions"], "initdb")
        (self.data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        settings = dict(SETTINGS, unix_socket_directories=f"'{self.folder}'")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# groupbot's tests: a throwaway cluster\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _run_server(self) -> None:
        for attempt in range(3):
            self.port = _free_port()
            try:
                self._run([self.bindir / "pg_ctl", "start", "--pgdata", str(self.data), "--log", str(self.log),
                           "--wait", "--timeout", str(START_TIMEOUT), "--options", f"-p {self.port}"], "pg_ctl start")
            except RuntimeError:
                # Another process may have taken the free port between our look and the server's bind.
                if attempt < 2 and "already in use" in self._log_text():
                    continue
                raise
            self._running = True
            return

    def stop(self) -> None:
        if self._running:
            self._running = False
            try:
                self._run([self.bindir / "pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "immediate",
                           "--wait"], "pg_ctl stop")
            finally:
                shutil.rmtree(self.folder, ignore_errors=True)
        else:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, command: list, what: str) -> None:
        kwargs = {}
        if self.user is not None:
            kwargs = dict(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
        # The server must not inherit a locale it may lack, nor the caller's folder it may not be allowed to enter.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PG"))}
        done = subprocess.run([str(part) for part in command], cwd=self.folder, env=env, capture_output=True,
                              text=True, timeout=START_TIMEOUT + 30, **kwargs)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()
            log = self._log_text().strip()
            raise RuntimeError(f"{what} failed (exit {done.returncode}): {output}"
                               + (f"\nserver log:\n{log}" if log else ""))

    def _log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
