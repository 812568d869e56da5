"""``groupbot copy-db --to URL``: the installation's database copied into an empty PostgreSQL database (or a new
SQLite file), then checked table by table."""

from __future__ import annotations

import argparse
import time

from bot.cli.common import CommandFailed, add_command, open_store
from bot.config import Settings
from bot.ops.copydb import CopyResult, copy_database, target_database
from bot.ops.running import refuse_while_running
from bot.store import Store
from bot.store.base import DATABASE_ERRORS
from bot.store.postgres import INSTALL_DRIVER, DriverMissing


def register(commands) -> None:
    copy = add_command(commands, "copy-db", cmd_copy_db,
                       "copy the database into an empty PostgreSQL database or a new SQLite file, and check it "
                       "(groupbot must be stopped)")
    copy.add_argument("--to", required=True, metavar="URL",
                      help="postgresql://user:password@host:5432/dbname, or sqlite:///path/to/new.db")


def cmd_copy_db(settings: Settings, args: argparse.Namespace) -> int:
    """Copy every table of the database the settings name into the one --to names; exit 1 on any difference."""
    database = target_database(args.to)
    if settings.database_path is not None and not settings.database_path.exists():
        raise CommandFailed(f"there is no database at {settings.database_path} to copy (check DATA_DIR and "
                            "DATABASE_URL)")
    try:
        refuse_while_running(settings.database_path or settings.database_url, "copy the database")
    except DriverMissing as exc:
        raise CommandFailed(str(exc)) from None
    source = open_store(settings)
    try:
        try:
            target = Store(database, synchronous=settings.sqlite_synchronous, pool_size=settings.database_pool_size)
        except DriverMissing:
            raise CommandFailed("--to names PostgreSQL, but its driver is not installed: "
                                f"{INSTALL_DRIVER}") from None
        try:
            result = copy_database(source, target, now=time.time())
        except DATABASE_ERRORS as exc:
            raise CommandFailed(f"cannot copy into {target.describe()}: {' '.join(str(exc).split())}") from None
        finally:
            target.close()
    finally:
        source.close()
    _print_counts(result)
    if result.differences:
        first = result.differences[0]
        raise CommandFailed(f"the copy differs from the source in table {first.table} ({first.source} rows in the "
                            f"source, {first.copied} in the copy): was groupbot running? stop it, empty the "
                            "target and copy again")
    total = sum(count.copied for count in result.counts)
    print(f"copied {total} rows from {result.source} into {result.target}; every table's rows match")
    return 0


def _print_counts(result: CopyResult) -> None:
    width = max([len("table"), *(len(count.table) for count in result.counts)])
    print(f"{'table':<{width}}  {'source rows':>11}  {'copied rows':>11}")
    for count in sorted(result.counts, key=lambda count: count.table):
        mark = "" if count.source == count.copied else "  differs"
        print(f"{count.table:<{width}}  {count.source:>11}  {count.copied:>11}{mark}")
