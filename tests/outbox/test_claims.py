"""Claims and the sender's lease when several processes, perhaps on several machines, share one database: a job
is claimed once, and a lease held from elsewhere is taken over only when it expires."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

from bot.outbox.jobs import JobHandler
from bot.outbox.leases import Lease, holder_is_gone, process_host
from bot.outbox.sender import Outbox, RetryPolicy
from bot.runtime.dispatcher import PUBLISHER_LEASE
from bot.store import store_for

JOBS = 120
CLAIMERS_PER_STORE = 3
TTL = 300.0


@pytest.fixture
def second_store(settings, store):
    """Another Store on the same database: another process's connections (another machine's, on PostgreSQL)."""
    other = store_for(settings)
    yield other
    other.close()


def queue_jobs(store, count: int, now: float) -> list[int]:
    return [store.jobs.insert("echo", {"n": n}, f"echo:{n}", now) for n in range(count)]


def claim_all(store, holder: str, now: float, claimed: list[int], failures: list[BaseException],
              start: threading.Barrier) -> None:
    try:
        start.wait(timeout=30)
        while (job := store.jobs.claim_due(now, holder, TTL)) is not None:
            claimed.append(job.id)
    except BaseException as error:  # reported by the test, not lost in the thread
        failures.append(error)


def test_claimers_racing_on_two_connections_claim_every_job_exactly_once(store, second_store):
    now = time.time()
    queued = queue_jobs(store, JOBS, now)
    claims: dict[str, list[int]] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(2 * CLAIMERS_PER_STORE)
    threads = []
    for name, each in (("a", store), ("b", second_store)):
        for n in range(CLAIMERS_PER_STORE):
            holder = f"host-{name}:{100 + n}:claimer"
            claims[holder] = []
            threads.append(threading.Thread(target=claim_all, args=(each, holder, now, claims[holder], failures,
                                                                     start)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures and not any(thread.is_alive() for thread in threads)
    every_claim = [job_id for ids in claims.values() for job_id in ids]
    assert sorted(every_claim) == sorted(queued)  # each job once, none left out
    for holder, ids in claims.items():
        for job_id in ids:
            job = store.jobs.get(job_id)
            assert (job.status, job.attempts, job.lease_holder) == ("sending", 1, holder)


def test_a_claim_passes_over_a_job_another_claim_holds_and_never_waits_for_the_serialised_writers(
        store, second_store, database_engine):
    if database_engine == "sqlite":
        pytest.skip("PostgreSQL only: SQLite has one writer at a time, so a claim waits for the writer by design")
    now = time.time()
    first_job, second_job = queue_jobs(store, 2, now)
    holding, release = threading.Event(), threading.Event()
    held: list[int] = []

    def claim_and_hold() -> None:
        # An uncommitted claim (its row locked), inside a serialised transaction holding the writers' lock.
        with store.transaction():
            held.append(store.jobs.claim_due(now, "host-a:1:slow", TTL).id)
            holding.set()
            release.wait(timeout=60)

    slow = threading.Thread(target=claim_and_hold)
    slow.start()
    try:
        assert holding.wait(timeout=30)
        answer: list = []
        other = threading.Thread(target=lambda: answer.append(second_store.jobs.claim_due(now, "host-b:2:fast", TTL)))
        other.start()
        other.join(timeout=30)
        claimed_meanwhile = not other.is_alive()
    finally:
        release.set()
        slow.join(timeout=30)

    assert claimed_meanwhile, "the claim waited for the other transaction"
    assert held == [first_job] and answer[0].id == second_job and answer[0].lease_holder == "host-b:2:fast"
    assert store.jobs.get(first_job).lease_holder == "host-a:1:slow"


# -- the sender's lease, held from another machine ---------------------------------------------------------------

@pytest.fixture
def dead_pid() -> int:
    """The pid of a process of this machine that has ended."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return dead.pid


# Holders on other machines, whose pid runs nowhere here.
OTHER_HOSTS = {
    "another host": "otherhost:{pid}:abcd",
    # This machine's host name, on another machine (cloud images share default names) or container.
    "another machine with this host name": socket.gethostname() + "@0badf00d:{pid}:abcd",
    "a holder named by this host name alone (an earlier version's)": socket.gethostname() + ":{pid}:abcd",
}


@pytest.mark.parametrize("holder_format", OTHER_HOSTS.values(), ids=OTHER_HOSTS.keys())
def test_a_lease_held_from_another_machine_is_taken_over_only_when_it_expires(store, holder_format, dead_pid):
    holder = holder_format.format(pid=dead_pid)
    now = time.time()
    assert store.leases.take(PUBLISHER_LEASE, holder, now, TTL)
    here = Lease(store, PUBLISHER_LEASE, ttl=TTL)

    assert not holder_is_gone(holder)  # its pid runs nowhere here, which says nothing about its own machine
    assert here.hold(now + 1) is False and here.hold(now + TTL - 1) is False
    assert here.other_holder(now + 1) == holder and store.leases.current(PUBLISHER_LEASE).holder == holder

    assert here.hold(now + TTL + 1) is True
    assert store.leases.current(PUBLISHER_LEASE).holder == here.holder


def test_a_lease_left_by_a_dead_process_of_this_machine_is_taken_over_at_once(store, dead_pid):
    now = time.time()
    dead_holder = f"{process_host()}:{dead_pid}:gone"
    assert store.leases.take(PUBLISHER_LEASE, dead_holder, now, TTL)

    here = Lease(store, PUBLISHER_LEASE, ttl=TTL)

    assert here.holder.startswith(f"{process_host()}:") and holder_is_gone(dead_holder)
    assert here.hold(now + 1) is True and store.leases.current(PUBLISHER_LEASE).holder == here.holder


class Counting(JobHandler):
    """Counts its sends, and finds an earlier attempt's effect when asked to reconcile."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, job, graph):
        self.sent.append(job.id)
        return {"sent": job.id}

    def reconcile(self, job, graph):
        return {"adopted": job.id} if job.id in self.sent else None


def test_a_job_another_machine_is_sending_is_left_to_it_until_its_lease_expires(store):
    handler = Counting()
    outbox = Outbox(store, graph=None, handlers={"echo": handler}, policy=RetryPolicy(settle_seconds=1.0))
    now = time.time()
    job_id = outbox.enqueue("echo", {"text": "hola"}, "echo:1", now)
    assert store.jobs.claim_due(now, "otherhost:1:abcd", TTL).id == job_id

    assert outbox.process_due(now + 10) == 0
    assert handler.sent == [] and store.jobs.get(job_id).lease_holder == "otherhost:1:abcd"

    outbox.process_due(now + TTL + 1)  # expired: taken back, to be checked before any retry
    outbox.process_due(now + TTL + 5)

    job = store.jobs.get(job_id)
    assert handler.sent == [job_id] and (job.status, job.attempts) == ("sent", 2)
