"""The bare address leads to the dashboard, and browsers find the dashboard's icon."""

from __future__ import annotations

import requests


def test_the_root_redirects_to_the_dashboard(server):
    response = requests.get(f"{server.url}/", allow_redirects=False, timeout=10)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")

    followed = requests.get(f"{server.url}/", timeout=10)
    assert followed.url.startswith(f"{server.url}/admin/login") and "Sign in" in followed.text


def test_the_favicon_is_served_and_linked_from_every_dashboard_page(server):
    icon = requests.get(f"{server.url}/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")

    sign_in = requests.get(f"{server.url}/admin/login", timeout=10).text
    assert '<link rel="icon" type="image/svg+xml" href="/admin/static/favicon.svg">' in sign_in
    linked = requests.get(f"{server.url}/admin/static/favicon.svg", timeout=10)
    assert linked.status_code == 200 and linked.content == icon.content
