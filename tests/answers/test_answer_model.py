"""The learned answer model: training and its report, versions in DATA_DIR, the rules beside it, corrections that
count at once, and the worker retraining on its own.

One model is trained per session on the bundled messages (a few seconds) and copied where a test needs it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

from bot.accounts import admins
from bot.answers import versions
from bot.answers.model import memory_key
from bot.answers.responder import Responder
from bot.answers.retrain import FAILED_RETRY_SECONDS, RETRAIN_EXAMPLES, ModelTrainer, retrain
from bot.answers.training import DATA, read_rows
from bot.config import Settings
from bot.runtime.assemble import assemble
from bot.store import Store
from tests.support.groupbot import run_cli, wait_for
from tests.support.payloads import message
from webhooks import create_app

# Phrasings the trigger lists do not hold; the model learned them from their neighbours.
UNSEEN = {"sitizenship test how hard": "citizenship", "grin card x matrimonio": "green_card"}


def _open(data_dir: Path) -> Store:
    store = Store(data_dir / "groupbot.db")
    store.migrate(time.time())
    return store


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Path:
    """A DATA_DIR whose models folder holds one model trained on the bundled messages."""
    data_dir = tmp_path_factory.mktemp("trained") / "var"
    data_dir.mkdir()
    store = _open(data_dir)
    try:
        retrain(data_dir, store)
    finally:
        store.close()
    return data_dir


def _with_model(trained: Path, data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(trained / "models", data_dir / "models")
    return data_dir


def _learn(data_dir: Path, *examples: tuple[str, str | None]) -> None:
    store = _open(data_dir)
    try:
        for text, intent in examples:
            store.examples.add(question_id=None, text=text, language="es", suggested="fees", intent=intent,
                               decision="relabelled", decided_by="ana@example-firm.test", now=time.time())
    finally:
        store.close()


def _answers(env, workdir, *texts) -> list[dict]:
    done = run_cli("answer", "--json", env=env, cwd=workdir, input="\n".join(texts) + "\n")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_train_prints_cross_validated_figures_and_makes_a_current_version(workdir, base_env):
    env = base_env(workdir / "var")

    done = run_cli("train", env=env, cwd=workdir, timeout=300)

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "cross-validated (5 folds)" in out and "development figures" in out
    for row in ("language en", "language es", "all", "urgent_detention", "none"):
        assert row in out
    assert "reliability of answers given" in out and "mean conf" in out
    assert "test split (800 messages): accuracy" in out, "the bundled test split is scored on every train"
    version = versions.current_version(workdir / "var")
    folder = workdir / "var" / "models" / version
    assert (folder / "model.npz").is_file()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["sklearn_version"] and metrics["examples"]["bundled"] >= 800
    assert f"model {version} is now in use" in out
    # The new model answers at once, including phrasings no trigger covers.
    found = _answers(env, workdir, *UNSEEN)
    assert [f["intent"] for f in found] == list(UNSEEN.values())


def test_train_json_gives_every_figure(workdir, base_env, trained):
    env = base_env(_with_model(trained, workdir / "var"))
    done = run_cli("train", "--json", env=env, cwd=workdir, timeout=300)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    cv = outcome["metrics"]["cross_validation"]
    assert set(cv["languages"]) >= {"en", "es"}
    assert {"precision", "recall", "no_reply_answered", "urgent_recall", "false_alarms"} <= set(cv["all"])
    assert outcome["metrics"]["test"]["messages"] == 800 and 0 <= outcome["metrics"]["test"]["precision"] <= 1
    assert outcome["outcome"] == "used" and versions.current_version(workdir / "var") == outcome["version"]


def test_confidence_is_calibrated_on_cross_validation(trained):
    metrics = versions.read_metrics(trained, versions.current_version(trained))
    well_filled = [row for row in metrics["reliability"] if row["answers"] >= 40]
    assert well_filled
    for row in well_filled:  # among answers given with confidence c, about c are right
        assert abs(row["mean_confidence"] - row["accuracy"]) <= 0.1, row
    assert metrics["cross_validation"]["all"]["urgent_recall"] >= 0.95


def test_without_a_trained_model_the_rules_answer(workdir, base_env):
    env = base_env(workdir / "var")
    found = _answers(env, workdir, "cuanto cobran por la residencia?", *UNSEEN)
    assert found[0]["intent"] == "fees"
    assert [f["intent"] for f in found[1:]] == [None, None]  # the rules do not know these phrasings


def test_rules_keep_urgency_whatever_the_model_says(workdir, base_env, trained):
    env = base_env(_with_model(trained, workdir / "var"))
    found = _answers(env, workdir, "cuanto cobran? a mi esposo se lo llevo ICE esta mañana",
                     "how much for a green card renewal")
    assert found[0]["urgent"] is True and found[0]["intent"] == "urgent_detention"
    assert found[1]["urgent"] is False and found[1]["intent"] is not None


def test_a_correction_counts_at_once_for_the_same_message_written_differently(workdir, base_env, trained):
    data_dir = _with_model(trained, workdir / "var")
    _learn(data_dir, ("cuanto cobran por la residencia", "green_card"), ("ok gracias, cuanto es?", None))
    env = base_env(data_dir)

    found = _answers(env, workdir, "¡¡Cuánto  COBRAN por la residenciaa!!", "Ok, gracias... ¿cuánto es?",
                     "cuanto cobran por la ciudadania")

    assert found[0]["intent"] == "green_card" and "residencia" in found[0]["reply"].lower()
    assert found[1]["intent"] is None and found[1]["reply"] is None
    assert found[2]["intent"] == "fees"  # another message: the correction does not spread


def test_memory_keys_ignore_case_accents_doubled_letters_and_punctuation():
    assert memory_key("¡¡Cuánto  COBRAN por la residenciaa!!") == memory_key("cuanto cobran por la residencia")
    assert memory_key("hola") != memory_key("hola, cuanto cobran")


def test_the_worker_suggests_the_corrected_intent(workdir, server_env, groupbot_server, trained):
    data_dir = _with_model(trained, workdir / "var")
    _learn(data_dir, ("my cousin wants papers, how much do you charge", "green_card"),
           ("what do you charge for a consult? asking for a friend", None))
    server = groupbot_server(workdir, server_env)

    for number, text in enumerate(("My cousin wants papers... how much do you charge?",
                                   "What do you charge for a consult?? asking for a friend")):
        answered = server.post_delivery(message(text, mid=f"m_corr_{number}", sender=f"77700{number}",
                                                timestamp=int(time.time() * 1000)))
        assert answered.status_code == 200

    def listed():
        done = run_cli("list", "questions", "--json", env=server_env, cwd=workdir)
        rows = [json.loads(line) for line in done.stdout.splitlines()]
        return rows if len(rows) == 2 and all(r["status"] != "new" for r in rows) else None

    by_text = {row["text"]: row for row in wait_for(listed, timeout=20)}
    assert by_text["My cousin wants papers... how much do you charge?"]["intent"] == "green_card"
    assert by_text["What do you charge for a consult?? asking for a friend"]["intent"] is None
    replies = run_cli("list", "replies", "--json", env=server_env, cwd=workdir).stdout
    assert "green_card" in replies and len(replies.splitlines()) == 1


def test_a_new_current_version_is_used_without_a_restart(tmp_path, trained, monkeypatch):
    monkeypatch.setattr(versions, "CHECK_SECONDS", 0.0)
    data_dir = tmp_path / "var"
    settings = Settings.from_env({"DATA_DIR": str(data_dir)}, env_file=None)
    responder = Responder.from_settings(settings)
    assert responder.answer("sitizenship test how hard").intent is None  # rules alone, before any model

    _with_model(trained, data_dir)

    assert responder.answer("sitizenship test how hard").intent == "citizenship"


def test_a_retrain_that_scores_worse_on_the_test_split_is_kept_aside(tmp_path, workdir, base_env):
    # A small labelled set of our own, with a test split of our own: the bundled split is never made here.
    data = tmp_path / "data"
    data.mkdir()
    rows = read_rows(DATA / "messages_tune.jsonl")
    (data / "messages_dev_a.jsonl").write_text("".join(json.dumps(r.__dict__) + "\n" for r in rows[:300]))
    (data / "messages_test.jsonl").write_text("".join(json.dumps(r.__dict__) + "\n" for r in rows[300:]))
    data_dir = workdir / "var"
    data_dir.mkdir()
    store = _open(data_dir)
    try:
        first = retrain(data_dir, store, data=data)
        # The admins "teach" it nonsense: every message of the training set relabelled as contact, five times over.
        for copy in range(5):
            for row in rows[:300]:
                store.examples.add(question_id=None, text=f"{row.text} {copy}", language=row.language,
                                   suggested=row.intent, intent="contact", decision="relabelled",
                                   decided_by="x@example-firm.test", now=time.time())
        second = retrain(data_dir, store, data=data)
    finally:
        store.close()

    assert first["outcome"] == "used" and first["metrics"]["test"]["messages"] == len(rows) - 300
    assert second["outcome"] == "kept_aside"
    assert versions.current_version(data_dir) == first["version"]
    assert (data_dir / "models" / second["version"] / "model.npz").is_file()
    doctor = run_cli("doctor", env=base_env(data_dir), cwd=workdir)
    assert f"the retrain {second['version']} was kept aside" in doctor.stdout


def _as_worker_environment(monkeypatch, env: dict[str, str], cwd: Path) -> None:
    """Make `env` this process's environment, as a worker started with it has: its training child inherits it."""
    for name in set(os.environ) - set(env):
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(cwd)  # no stray .env


def test_the_worker_trains_at_first_start_and_again_after_new_examples(tmp_path, base_env, monkeypatch):
    env = base_env(tmp_path / "var", MODEL_TRAINING="1")
    _as_worker_environment(monkeypatch, env, tmp_path)
    settings = Settings.from_env(env, env_file=None)
    store = _open(settings.data_dir)
    try:
        runtime = assemble(settings, store)
        assert runtime.trainer.due(time.time()) == "no usable model"
        runtime.worker.run_once()
        runtime.trainer.wait()
        first = versions.current_version(settings.data_dir)
        assert first is not None and runtime.trainer.due(time.time()) is None
        assert runtime.trainer.last_outcome["version"] == first and runtime.trainer.last_outcome["outcome"] == "used"

        _learn(settings.data_dir, *((f"pregunta de prueba numero {n}", "contact") for n in range(RETRAIN_EXAMPLES)))
        assert runtime.trainer.due(time.time()) == f"{RETRAIN_EXAMPLES} new learned examples"
        runtime.trainer.run(time.time() + 61)
        runtime.trainer.wait()

        second = versions.current_version(settings.data_dir)
        assert second != first
        assert versions.read_metrics(settings.data_dir, second)["examples"]["learned"] == RETRAIN_EXAMPLES
    finally:
        store.close()


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _mapped_libraries(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def test_the_worker_of_serve_trains_in_a_child_and_never_loads_scikit_learn(workdir, base_env, groupbot_server):
    env = base_env(workdir / "var", MODEL_TRAINING="1")
    server = groupbot_server(workdir, env)
    version = wait_for(lambda: versions.current_version(workdir / "var"), timeout=600, interval=0.5)
    worker = _children(server.process.pid)[0]

    # The worker judges a message the rules cannot place with the model its child trained.
    text = next(iter(UNSEEN))
    answered = server.post_delivery(message(text, mid="m_unseen", sender="777123", timestamp=int(time.time() * 1000)))
    assert answered.status_code == 200

    def judged():
        done = run_cli("list", "questions", "--json", env=env, cwd=workdir)
        rows = [json.loads(line) for line in done.stdout.splitlines()]
        return rows if rows and rows[0]["status"] != "new" else None

    assert wait_for(judged, timeout=60)[0]["intent"] == UNSEEN[text]
    maps = _mapped_libraries(worker)
    assert "numpy" in maps, "the worker scores with numpy"
    assert "/sklearn/" not in maps and "/scipy" not in maps, "scikit-learn and SciPy stay in the training child"
    # The worker has read the child's outcome and reaped it: no training child is left behind.
    wait_for(lambda: f"answer model {version} trained in a child process: used" in server.log, timeout=30)
    assert _children(worker) == []


def test_a_failing_train_is_logged_once_and_retried_an_hour_later(tmp_path, caplog):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    store = _open(data_dir)
    failing = [sys.executable, "-c", "import sys; sys.exit('groupbot: the training data cannot be read')"]
    try:
        trainer = ModelTrainer(data_dir, store, command=failing)
        start = time.time()
        trainer.run(start)
        trainer.wait()
        for minutes in (1, 2, 30, 59):  # the worker's later passes within the hour start nothing
            trainer.run(start + minutes * 60)
            trainer.wait()
        failures = [r.getMessage() for r in caplog.records if "retraining the answer model failed" in r.getMessage()]
        assert failures == ["retraining the answer model failed (exit code 1: groupbot: the training data cannot "
                            "be read); the current model stays, retrying in 60 min"]
        last = versions.last_train(data_dir)
        assert last["outcome"] == "failed" and "exit code 1" in last["reason"]
        assert versions.current_version(data_dir) is None

        assert trainer.due(start + FAILED_RETRY_SECONDS) == "no usable model"
        trainer.run(start + FAILED_RETRY_SECONDS)
        trainer.wait()
        assert len([r for r in caplog.records if "retraining the answer model failed" in r.getMessage()]) == 2
    finally:
        store.close()


@pytest.mark.parametrize("child, reason", [
    ("import time; time.sleep(60)", "it ran past 1 s and was stopped"),
    ("print('training... done')", "its output was not the JSON outcome"),
])
def test_a_stuck_train_or_one_without_an_outcome_counts_as_failed(tmp_path, child, reason):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    store = _open(data_dir)
    try:
        trainer = ModelTrainer(data_dir, store, command=[sys.executable, "-c", child], timeout=1.0)
        trainer.run(time.time())
        trainer.wait()
        assert versions.last_train(data_dir)["reason"] == reason
        assert trainer.last_outcome is None and trainer.due(time.time()) is None
    finally:
        store.close()


def test_stopping_the_worker_terminates_its_training_child(tmp_path, base_env):
    settings = Settings.from_env(base_env(tmp_path / "var", MODEL_TRAINING="1"), env_file=None)
    store = _open(settings.data_dir)
    try:
        runtime = assemble(settings, store)
        runtime.trainer.command = [sys.executable, "-c", "import time; time.sleep(600)"]
        runtime.start()
        runtime.trainer.run(time.time())
        child = runtime.trainer._child
        assert child.poll() is None
        runtime.stop()
        assert child.poll() is not None, "no training child outlives the worker"
        assert versions.last_train(settings.data_dir) is None, "a train stopped with the worker is no failure"
    finally:
        store.close()


def test_a_model_from_another_scikit_learn_is_retrained_not_trusted(tmp_path, trained):
    data_dir = _with_model(trained, tmp_path / "var")
    version = versions.current_version(data_dir)
    path = data_dir / "models" / version / "metrics.json"
    metrics = json.loads(path.read_text())
    store = _open(data_dir)
    try:
        trainer = ModelTrainer(data_dir, store)
        assert trainer.due(time.time() - 10) is None
        path.write_text(json.dumps({**metrics, "sklearn_version": "0.1"}))
        assert trainer.due(time.time()) == "no usable model"
        (data_dir / "models" / version / "model.npz").write_bytes(b"not a model")
        # An unreadable model is not loaded: the rules answer meanwhile.
        responder = Responder.from_settings(Settings.from_env({"DATA_DIR": str(data_dir)}, env_file=None))
        assert responder.answer("cuanto cobran?").intent == "fees"
    finally:
        store.close()


def test_the_health_page_names_the_model_in_use_and_a_retrain_kept_aside(tmp_path, base_env, trained):
    data_dir = _with_model(trained, tmp_path / "var")
    app = create_app(Settings.from_env(base_env(data_dir), env_file=None))
    store = app.extensions["groupbot"].store
    admins.add_admin(store, "ana@example.com", "Mar-Azul 2024 casa", actor="test")
    client = app.test_client()
    login = client.get("/admin/login").text
    client.post("/admin/login", data={"email": "ana@example.com", "password": "Mar-Azul 2024 casa",
                                      "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)})
    version = versions.current_version(data_dir)
    assert f"Model {version} is in use" in client.get("/admin/health").text

    versions.record_train(data_dir, {"version": "20990101T000000-000", "at": time.time(), "outcome": "kept_aside",
                                     "score": 0.71, "current": version, "current_score": 0.84, "examples_seen": 0})

    page = html.unescape(client.get("/admin/health").text)
    assert "The retrain 20990101T000000-000 was kept aside, not used: it scored 0.710" in page
    assert "against 0.840 for the model in use" in page
    spanish = html.unescape(client.get("/admin/health", headers={"Accept-Language": "es"}).text)
    assert "se dejó aparte" in spanish
