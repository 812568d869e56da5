"""Take the README's dashboard screenshots: a dry-run server, a few member questions and blog posts, Chromium.

    python docs/screenshots.py            # writes docs/dashboard-*.png

Needs Chromium at /usr/bin/chromium (or CHROMIUM=/path) and `pip install playwright`.
Everything happens in a temporary data folder; nothing is sent anywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
EMAIL = "staff@example-firm.test"
PASSWORD = "Screenshots only 2025!"
BACKFILL = 3  # the demo feed's newest posts go to the (recorded) Page, each with a Group draft
QUESTIONS = [
    ("comment", "Gracias por la información, muy útil!", "Rosa Martínez"),
    ("group-comment", "My work permit expires next month, can I renew it early?", "John Peterson"),
    ("message", "cual es su numero? necesito hablar con alguien", "Demo Member"),
    ("comment", "Hola, ¿cuánto cobran por una consulta de asilo? mi numero A es A123456789", "María González"),
    ("group-comment", "Mi esposo fue detenido ayer por ICE, que hago??", "Ana López"),
]
SHOTS = ("dashboard-queue.png", "dashboard-posts.png", "dashboard-health.png", "dashboard-stats.png",
         "dashboard-faq.png", "dashboard-phone.png", "dashboard-queue-es.png", "dashboard-faq-es.png")


def groupbot(*args: str, env: dict[str, str], cwd: Path, stdin: str | None = None) -> str:
    """Run one `groupbot` command; exit with its message if it fails."""
    done = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        sys.exit(f"groupbot {args[0]} failed: {done.stderr.strip()}")
    return done.stdout


def start_server(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, str]:
    """`groupbot serve` on a free port; returns the process and its base URL."""
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", "0"], env=env, cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if "groupbot serving on " in line:
            return process, line.split("serving on ")[1].split()[0]
    sys.exit("groupbot serve did not start")


def main() -> int:
    """Start groupbot, fill it with questions and posts, and photograph the dashboard."""
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("META_", "DATABASE_", "DRY_RUN", "FAQ_", "BLOG_", "BACKFILL"))}
        env.update(DATA_DIR=str(workdir / "var"), DRY_RUN="1", BACKFILL=str(BACKFILL), PYTHONPATH=str(REPO),
                   PYTHONUNBUFFERED="1")
        groupbot("admin", "add", EMAIL, "--password-stdin", env=env, cwd=workdir, stdin=PASSWORD + "\n")
        server, url = start_server(env, workdir)
        try:
            for kind, text, name in QUESTIONS:
                groupbot("simulate", kind, text, "--name", name, "--url", f"{url}/webhooks/meta", env=env, cwd=workdir)
            wait_until(lambda: len(listed("replies", env, workdir)) >= 4, "the suggested replies")
            wait_until(lambda: sum(p["page_status"] == "posted" for p in listed("posts", env, workdir)) >= BACKFILL,
                       "the blog posts")
            shoot(url, env, workdir)
        finally:
            server.terminate()
            server.wait(timeout=30)
    for name in SHOTS:
        print(f"wrote docs/{name}")
    return 0


def listed(kind: str, env: dict[str, str], cwd: Path) -> list[dict]:
    """`groupbot list KIND --json`, parsed."""
    return [json.loads(line) for line in groupbot("list", kind, "--json", env=env, cwd=cwd).splitlines()]


def wait_until(condition, what: str, timeout: float = 30) -> None:
    """Wait for the worker (it runs just after each delivery and poll)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"{what} did not show up; is the worker running?")
        time.sleep(0.2)


def shoot(url: str, env: dict[str, str], cwd: Path) -> None:
    """Photograph each page on a desktop screen, and the queue on a phone."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(desktop, url)
        approve(desktop, "My work permit expires", env, cwd)
        desktop.goto(f"{url}/admin/")
        desktop.screenshot(path=DOCS / "dashboard-queue.png")
        mark_posted(desktop, url)
        desktop.screenshot(path=DOCS / "dashboard-posts.png")
        for page_name in ("health", "stats"):
            desktop.goto(f"{url}/admin/{page_name}")
            desktop.screenshot(path=DOCS / f"dashboard-{page_name}.png", full_page=True)
        try_message(desktop, url, "cual es su numero?")
        desktop.screenshot(path=DOCS / "dashboard-faq.png")
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                 device_scale_factor=2)
        sign_in(phone, url)
        phone.screenshot(path=DOCS / "dashboard-phone.png")
        # The same admin switches to Spanish with the header's button; the choice is kept for them
        # (so this comes after the phone's English sign-in).
        desktop.goto(f"{url}/admin/")
        desktop.get_by_role("button", name="Español").click()
        desktop.get_by_role("heading", name="Cola", level=1).wait_for()
        desktop.goto(f"{url}/admin/")
        desktop.screenshot(path=DOCS / "dashboard-queue-es.png")
        try_message(desktop, url, "how much is a consultation?", label="Mensaje", button="¿Qué respondería el bot?",
                    answer="Respuesta")
        desktop.screenshot(path=DOCS / "dashboard-faq-es.png")
        browser.close()


def sign_in(page, url: str) -> None:
    page.goto(f"{url}/admin/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Queue", level=1).wait_for()


def approve(page, text: str, env: dict[str, str], cwd: Path) -> None:
    """Approve the suggestion for the question holding ``text`` and wait until it is sent (recorded)."""
    # By the member's words: every card also lists the intents (its "Change answer" choice).
    card = page.locator(".card").filter(has=page.locator(".message", has_text=text))
    card.get_by_role("button", name="Approve", exact=True).click()
    wait_until(lambda: any(r["status"] == "sent" for r in listed("replies", env, cwd)), "the approved reply")


def mark_posted(page, url: str) -> None:
    """Mark the oldest draft posted, so the page shows both states."""
    page.goto(f"{url}/admin/posts")
    page.get_by_role("button", name="Mark posted").last.click()
    page.get_by_role("heading", name="Posts", level=1).wait_for()
    page.goto(f"{url}/admin/posts")


def try_message(page, url: str, text: str, label: str = "Message", button: str = "What would the bot answer?",
                answer: str = "Answer") -> None:
    """Try ``text`` in the FAQ page's box; the labels are those of the page's language."""
    page.goto(f"{url}/admin/faq")
    page.get_by_label(label, exact=True).fill(text)
    page.get_by_role("button", name=button).click()
    page.get_by_role("status", name=answer).wait_for()


if __name__ == "__main__":
    sys.exit(main())
