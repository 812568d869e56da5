"""The Meta set-up guide and README name exactly the permissions and webhook fields groupbot checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.meta.permissions import PERMISSION_USES, REQUIRED_PERMISSIONS
from bot.meta.subscription import WEBHOOK_FIELDS
from tests.fakes.fake_graph import DEFAULT_SCOPES, FakeGraph
from tests.support.groupbot import run_cli

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "meta-setup.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
PERMISSION = re.compile(r"\bpages_[a-z_]+")


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same level or higher."""
    start = text.index(heading + "\n")
    level = heading.split(" ", 1)[0]
    rest = text[start + len(heading) + 1:]
    following = re.search(rf"^#{{1,{len(level)}}} ", rest, re.MULTILINE)
    return rest[: following.start()] if following else rest


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the first Markdown table in `text`, cells stripped."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_the_guide_lists_exactly_the_permissions_doctor_checks_with_their_uses():
    rows = table_rows(section(GUIDE, "## 5. The permissions"))

    assert [row[0].strip("`") for row in rows] == list(REQUIRED_PERMISSIONS)
    assert {row[0].strip("`"): row[1] for row in rows} == PERMISSION_USES


def test_the_app_review_table_covers_each_permission_once():
    rows = table_rows(section(GUIDE, "## 9. App Review: Advanced Access for each permission"))

    assert [row[0].strip("`") for row in rows] == list(REQUIRED_PERMISSIONS)
    assert all(row[1] and row[2] for row in rows)


def test_no_other_permission_is_named_in_the_guide_or_readme():
    assert set(PERMISSION.findall(GUIDE)) == set(REQUIRED_PERMISSIONS)
    assert set(PERMISSION.findall(README)) == set(REQUIRED_PERMISSIONS)


def test_readme_step_3_lists_the_permissions_and_points_to_the_guide():
    connecting = section(README, "## Connecting to Meta")
    step_3 = connecting[connecting.index("\n3. "):connecting.index("\n4. ")]

    assert "docs/meta-setup.md" in connecting
    assert sorted(PERMISSION.findall(step_3)) == sorted(REQUIRED_PERMISSIONS)
    assert "`groupbot token exchange`" in section(README, "## Commands")


def test_the_guide_and_readme_list_the_webhook_fields_groupbot_subscribes():
    fields_listed = re.findall(r"^- `([a-z_]+)`: ", section(GUIDE, "## 4. The webhook: callback URL, verify token, "
                                                                    "fields"), re.MULTILINE)

    assert fields_listed == list(WEBHOOK_FIELDS)
    assert all(f"`{field}`" in section(README, "## Connecting to Meta") for field in WEBHOOK_FIELDS)


def test_the_fake_grants_what_groupbot_needs():
    assert set(REQUIRED_PERMISSIONS) <= set(DEFAULT_SCOPES)


@pytest.fixture
def narrow_fake():
    lacking = ("pages_show_list", "pages_read_user_content")
    with FakeGraph(scopes=tuple(s for s in DEFAULT_SCOPES if s not in lacking)) as graph:
        yield graph


def test_doctor_names_each_missing_permission_and_the_way_to_a_new_token(narrow_fake, blog, live_env, tmp_path):
    checked = run_cli("doctor", env=live_env(tmp_path / "var", narrow_fake, blog), cwd=tmp_path)

    assert checked.returncode == 1
    assert "PROBLEM token: the token lacks pages_show_list, pages_read_user_content" in checked.stdout
    assert "`groupbot token exchange` again (docs/meta-setup.md)" in checked.stdout
