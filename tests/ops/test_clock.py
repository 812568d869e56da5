"""The worker under a wrong wall clock: stepped back it delays nothing; jumped far ahead it destroys nothing until
an admin confirms the time."""

from __future__ import annotations

import re
import time

from bot.accounts import admins
from bot.config import Settings
from bot.ops.clock import current_jump, record_jump
from bot.runtime.assemble import assemble
from bot.runtime.worker import Job, Worker
from bot.store import Store
from tests.support.groupbot import db_path, run_cli
from tests.support.replies import comment
from webhooks import create_app

DAY = 86400.0


class Clocks:
    """A wall clock and a monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.wall = time.time()
        self.monotonic = 1000.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.monotonic += seconds


def test_a_wall_clock_stepped_back_ten_minutes_delays_no_job():
    clocks, runs = Clocks(), []
    jobs = [Job("every-pass", lambda now: runs.append(("every-pass", now)) and False),
            Job("every-minute", lambda now: runs.append(("every-minute", now)) and False, every=60.0)]
    worker = Worker(jobs, clock=lambda: clocks.wall, monotonic=lambda: clocks.monotonic)
    worker.run_once()
    started = clocks.wall

    clocks.wall -= 600  # the clock is stepped back
    clocks.monotonic += 60
    worker.run_once()
    clocks.advance(60)
    worker.run_once()

    assert [name for name, _ in runs] == ["every-pass", "every-minute"] * 3
    # The jobs still see the wall clock, for what Meta and people see.
    assert runs[-1][1] == started - 600 + 60


def test_a_clock_jumped_100_days_ahead_purges_and_expires_nothing_until_confirmed(make_desk, fake, graph_for,
                                                                                   live_env, tmp_path):
    desk = make_desk(tmp_path, fake)
    clocks = Clocks()
    runtime = assemble(desk.settings, desk.store, graph=graph_for(desk.settings), feed_timeout=0.5,
                       clock=lambda: clocks.wall, monotonic=lambda: clocks.monotonic)
    desk.deliver(comment("cual es su numero? soy Maria", field="group_feed"))
    runtime.worker.run_once()
    [waiting] = desk.store.replies.triaged()
    assert waiting.status == "pending"

    clocks.wall += 100 * DAY  # the clock jumps; a minute passes
    clocks.monotonic += 61
    runtime.worker.run_once()
    clocks.advance(DAY)  # a day later the retention purge is due
    runtime.worker.run_once()

    [asked] = desk.store.questions.triaged()
    assert asked.text == "cual es su numero? soy Maria"
    assert desk.store.replies.triaged()[0].status == "pending"
    assert "100.0 days forward" in current_jump(desk.store).reason

    # The admin checks the time and confirms it on the command line.
    confirmed = run_cli("confirm-clock", env=live_env(tmp_path / "var", fake, None), cwd=tmp_path)
    assert confirmed.returncode == 0 and "resume" in confirmed.stdout
    assert current_jump(desk.store) is None
    assert desk.store.audit.newest(1)[0].action == "confirm-clock"
    clocks.advance(DAY)
    runtime.worker.run_once()

    assert desk.store.replies.triaged()[0].status == "expired"
    assert desk.store.questions.triaged()[0].text == ""


def test_doctor_says_why_upkeep_is_paused(server, server_env, workdir):
    store = Store(db_path(server_env))
    try:
        record_jump(store, time.time() - 100 * DAY, time.time())
    finally:
        store.close()

    checked = run_cli("doctor", env=server_env, cwd=workdir)

    assert checked.returncode == 1
    assert "PROBLEM clock: the clock jumped 100.0 days forward" in checked.stdout
    assert "groupbot confirm-clock" in checked.stdout


def test_the_health_page_shows_the_pause_and_an_admin_confirms_the_time_there(tmp_path, base_env):
    app = create_app(Settings.from_env(base_env(tmp_path / "var"), env_file=None))
    store = app.extensions["groupbot"].store
    admins.add_admin(store, "ana@example.com", "Mar-Azul 2024 casa", actor="test")
    record_jump(store, time.time() - 100 * DAY, time.time())
    client = app.test_client()
    login = client.get("/admin/login").text
    client.post("/admin/login", data={"email": "ana@example.com", "password": "Mar-Azul 2024 casa",
                                      "csrf_token": csrf_token(login)})

    page = client.get("/admin/health").text
    assert "Upkeep paused: the clock jumped 100.0 days forward" in page
    client.post("/admin/health/confirm-clock", data={"csrf_token": csrf_token(page), "back": "/admin/health"})

    assert "Upkeep paused" not in client.get("/admin/health").text
    assert current_jump(store) is None
    entry = store.audit.newest(1)[0]
    assert (entry.actor, entry.action) == ("ana@example.com", "confirm-clock")


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_meta_s_clock_agreeing_with_ours_lifts_the_pause_by_itself(make_desk, fake, graph_for, tmp_path):
    desk = make_desk(tmp_path, fake)
    # A clock set right after being days behind: the worker saw a jump, but the time is now correct.
    record_jump(desk.store, time.time() - 100 * DAY, time.time())
    runtime = assemble(desk.settings, desk.store, graph=graph_for(desk.settings), feed_timeout=0.5)

    runtime.worker.run_once()

    assert current_jump(desk.store) is None
    entry = desk.store.audit.newest(1)[0]
    assert (entry.actor, entry.action) == ("Meta's clock", "confirm-clock")


def test_meta_s_clock_disagreeing_keeps_the_pause_and_says_which_clock_is_off(make_desk, fake, graph_for, tmp_path,
                                                                             live_env):
    desk = make_desk(tmp_path, fake)
    fake.set_clock_offset(-100 * DAY)  # this machine's clock ran 100 days ahead; Meta's is right
    record_jump(desk.store, time.time() - 100 * DAY, time.time())
    runtime = assemble(desk.settings, desk.store, graph=graph_for(desk.settings), feed_timeout=0.5)

    runtime.worker.run_once()

    assert current_jump(desk.store) is not None
    checked = run_cli("doctor", env=live_env(tmp_path / "var", fake, None), cwd=tmp_path)
    said = re.search(r"PROBLEM clock: .*", checked.stdout).group(0)
    assert "Meta's clock said" in said and "groupbot confirm-clock" in said
