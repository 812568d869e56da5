"""Backups of the database while groupbot runs, optionally encrypted, rotated in a folder, and their restore."""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bot.errors import Refused
from bot.ops.running import refuse_while_running
from bot.store import private_folder
from bot.store.snapshot import SQLITE_HEADER, checkpoint_and_close, copy_database, integrity_problem, row_counts

# An encrypted backup: this marker, the Scrypt salt, then a Fernet token (AES-128-CBC with HMAC-SHA256).
MAGIC = b"GROUPBOT-BACKUP\x01"
SALT_BYTES = 16
# Scrypt at 2**15 takes 32 MiB and a fraction of a second: cheap once a night, costly for a guesser.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
BACKUP_NAME = re.compile(r"^groupbot-\d{8}-\d{6}-\d{3}Z\.db(\.enc)?$")


class BackupError(Refused):
    """A backup or restore that cannot be done; the message says why in one line."""


@dataclass(frozen=True)
class BackupResult:
    """Where the backup went, whether it is encrypted, and the older backups rotated away."""

    path: Path
    encrypted: bool
    removed: tuple[Path, ...] = ()


@dataclass(frozen=True)
class RestoreResult:
    """What the restored database holds, and where the one it replaced was put."""

    counts: dict[str, int]
    previous: Path | None


def take_backup(database: Path, target: Path | str, *, passphrase: str | None = None, keep: int | None = None,
                now: float | None = None) -> BackupResult:
    """Copy ``database`` to ``target`` (a file, or a folder to name it in), encrypted when a passphrase is given."""
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    # "backups/" names a folder even before it exists; Path() would drop the slash.
    into_folder = Path(target).is_dir() or str(target).endswith(os.sep)
    target = Path(target)
    if keep is not None and not into_folder:
        raise BackupError("--keep needs a folder to rotate backups in, not a file name")
    if keep is not None and keep < 1:
        raise BackupError("--keep must be at least 1")
    if into_folder:
        private_folder(target)
        target = target / backup_name(time.time() if now is None else now, encrypted=passphrase is not None)
    if target.exists():
        raise BackupError(f"{target} already exists")
    if target.resolve() == database.resolve():
        raise BackupError("the backup cannot replace the database itself")
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent}")
    # The plain copy of an encrypted backup is made beside the database, never where backups go (perhaps a
    # mounted share); the final file is written beside its destination, so the rename cannot cross file systems.
    with _scratch(database.parent if passphrase is not None else target.parent) as scratch, \
            _scratch(target.parent) as outgoing:
        copy = scratch / "copy.db"
        copy_database(database, copy)
        problem = integrity_problem(copy)
        if problem:
            raise BackupError(f"the copy of {database} is not sound: {problem}")
        if passphrase is not None:
            sealed = outgoing / "sealed"
            _write_private(sealed, encrypt(copy.read_bytes(), passphrase))
            copy = sealed
        os.chmod(copy, 0o600)
        os.replace(copy, target)
    removed = rotate(target.parent, keep) if keep is not None else ()
    return BackupResult(target, passphrase is not None, removed)


def backup_name(now: float, *, encrypted: bool) -> str:
    """groupbot-YYYYMMDD-HHMMSS-mmmZ.db (.enc when encrypted): names sort in time order."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now)) + f"-{int(now * 1000) % 1000:03d}Z"
    return f"groupbot-{stamp}.db" + (".enc" if encrypted else "")


def rotate(folder: Path, keep: int) -> tuple[Path, ...]:
    """Delete all but the newest ``keep`` backups in ``folder`` (only files named like ours); the deleted ones."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    ours = sorted(path for path in folder.iterdir() if BACKUP_NAME.match(path.name) and path.is_file())
    old = tuple(ours[:-keep])
    for path in old:
        path.unlink()
    return old


def restore_backup(source: Path, database: Path, *, passphrase: str | None = None,
                   now: float | None = None) -> RestoreResult:
    """Replace ``database`` with the backup at ``source`` after checking it; the old one is kept beside it."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    refuse_while_running(database, "restore")
    data = source.read_bytes()
    if data.startswith(MAGIC):
        if passphrase is None:
            raise BackupError(f"{source} is encrypted: set GROUPBOT_BACKUP_PASSPHRASE or pass --passphrase-file")
        data = decrypt(data, passphrase, source)
    elif not data.startswith(SQLITE_HEADER):
        raise BackupError(f"{source} is not a groupbot backup")
    private_folder(database.parent)
    with _scratch(database.parent) as scratch:
        incoming = scratch / "restored.db"
        _write_private(incoming, data)
        problem = integrity_problem(incoming)
        if problem:
            raise BackupError(f"{source} cannot be restored: {problem}; nothing was changed")
        counts = row_counts(incoming)
        previous = _set_aside(database, time.time() if now is None else now)
        os.replace(incoming, database)
    return RestoreResult(counts, previous)


def _set_aside(database: Path, now: float) -> Path | None:
    """Move the current database out of the way as one self-contained file; where it went."""
    if not database.exists():
        _remove_sidecars(database)
        return None
    if not checkpoint_and_close(database):
        raise BackupError(f"{database} is in use by another process; stop every groupbot service first")
    previous = database.with_name(f"{database.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(now))}")
    os.replace(database, previous)
    # A -wal left beside the new file would be replayed into it: these belonged to the old one (now folded in).
    _remove_sidecars(database)
    return previous


def _remove_sidecars(database: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def encrypt(plain: bytes, passphrase: str) -> bytes:
    """``plain`` sealed with a key derived from ``passphrase`` (fresh salt each time)."""
    salt = secrets.token_bytes(SALT_BYTES)
    return MAGIC + salt + Fernet(_key(passphrase, salt)).encrypt(plain)


def decrypt(sealed: bytes, passphrase: str, source: Path | str = "the backup") -> bytes:
    """The plain bytes of an encrypted backup, or BackupError when the passphrase is wrong or the file altered."""
    salt = sealed[len(MAGIC):len(MAGIC) + SALT_BYTES]
    try:
        return Fernet(_key(passphrase, salt)).decrypt(sealed[len(MAGIC) + SALT_BYTES:])
    except InvalidToken:
        raise BackupError(f"cannot decrypt {source}: wrong passphrase, or the file was damaged") from None


def _key(passphrase: str, salt: bytes) -> bytes:
    raw = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


def read_passphrase_file(path: Path) -> str:
    """The passphrase on the first line of ``path``."""
    try:
        first = path.read_text(encoding="utf-8").splitlines()[:1]
    except OSError as exc:
        raise BackupError(f"cannot read the passphrase file {path}: {exc.strerror}") from None
    if not first or not first[0].strip():
        raise BackupError(f"the passphrase file {path} is empty")
    return first[0].strip()


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


@contextmanager
def _scratch(parent: Path) -> Iterator[Path]:
    """A private (0700) folder beside the destination, so the final rename stays on one file system; always removed."""
    path = Path(tempfile.mkdtemp(prefix=".groupbot-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
