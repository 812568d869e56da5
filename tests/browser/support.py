"""Plain helpers for the browser tests: the test admins, a visitor on the dashboard, simulated deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.support.groupbot import GroupbotServer, run_cli, wait_for

ADMIN_EMAIL = "ana@example-firm.test"
ADMIN_PASSWORD = "Mar-Azul 2024 casa"
LOCKED_EMAIL = "luis@example-firm.test"  # the throttling test locks this account out


@dataclass
class Visitor:
    """A fresh browser profile on the dashboard, recording every JavaScript dialog it sees."""

    page: object
    base_url: str
    dialogs: list[str] = field(default_factory=list)

    def sign_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def open_signed_in(self, path: str) -> None:
        """Open ``path``, signing in on the way."""
        self.open(path)
        self.sign_in()
        self.page.wait_for_url(f"**{path}")

    def card(self, text: str, show: str = "pending"):
        """The card holding ``text`` in one of the queue's tabs, once it is there (the worker runs after the 200)."""
        card = self.page.locator(".card").filter(has_text=text)

        def shown() -> bool:
            self.open(f"/admin/?show={show}")
            return card.count() > 0

        wait_for(shown, timeout=15, interval=0.2)
        return card

    def width(self) -> int:
        """How wide the page is laid out; wider than the screen means sideways scrolling."""
        return self.page.evaluate("document.documentElement.scrollWidth")


def simulate(server: GroupbotServer, kind: str, text: str, name: str = "Demo Member") -> None:
    """Send a signed delivery the way `groupbot simulate` does for someone trying groupbot."""
    sent = run_cli(
        "simulate", kind, text, "--name", name, "--url", f"{server.url}/webhooks/meta",
        env=server.env, cwd=server.workdir,
    )
    assert sent.returncode == 0, sent.stderr
