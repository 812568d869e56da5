"""Named leases in the database: one process at a time polls the blog and sends to Meta."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import secrets
import socket
from pathlib import Path

from bot.store import Store

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 300.0


def process_holder() -> str:
    """A name for this process that another process on the same host can check for life: host:pid:token."""
    return f"{process_host()}:{os.getpid()}:{secrets.token_hex(4)}"


# On a shared PostgreSQL database a lease may be held from another machine, and host names repeat (cloud
# servers all called "debian", containers given one name): a pid absent here says nothing about a process
# there. The kernel's boot id and the pid namespace tell this machine, booted this time, and this container
# apart, so only a holder from exactly here is judged by its pid.
@functools.lru_cache(maxsize=1)
def process_host() -> str:
    """Where this process's pid means something: the host name, with (on Linux) its boot and pid namespace."""
    name = socket.gethostname()
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return name  # no /proc (not Linux): the host name alone, as before
    return f"{name}@{hashlib.sha256(f'{boot}/{namespace}'.encode()).hexdigest()[:8]}"


def holder_is_gone(holder: str) -> bool:
    """True when `holder` is a process of this host that no longer runs (killed, crashed)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != process_host() or not pid_text.isdigit():
        return False  # another host, container or boot: only the lease's expiry can tell
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


class Lease:
    """A renewable lease on `name`; holding it is cheap to re-check on every worker pass."""

    def __init__(self, store: Store, name: str, *, holder: str | None = None, ttl: float = DEFAULT_TTL_SECONDS):
        self.store = store
        self.name = name
        self.holder = holder or process_holder()
        self.ttl = ttl
        self._held_until = 0.0

    def hold(self, now: float) -> bool:
        """True when this process holds the lease (taking or renewing it as needed)."""
        if self._held_until - now > self.ttl / 2:
            return True  # nobody can take it before it expires; renewing every pass would cost a write
        if not self.store.leases.take(self.name, self.holder, now, self.ttl, holder_is_gone=holder_is_gone):
            if self._held_until:
                log.warning("lease %s lost to another process", self.name)
            self._held_until = 0.0
            return False
        if not self._held_until:
            log.info("lease %s taken by this process", self.name)
        self._held_until = now + self.ttl
        return True

    def release(self) -> None:
        """Give the lease up (at a clean exit), so another process need not wait for its expiry."""
        self.store.leases.release(self.name, self.holder)
        self._held_until = 0.0

    def other_holder(self, now: float) -> str | None:
        """The live process holding the lease, if it is not this one."""
        found = self.store.leases.current(self.name)
        if not found or found.holder == self.holder or found.expires_at <= now or holder_is_gone(found.holder):
            return None
        return found.holder
