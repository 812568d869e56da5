"""The Meta permissions groupbot's Page token needs: one list for `doctor`, `token exchange` and the docs."""

from __future__ import annotations

# What each permission lets groupbot do; docs/meta-setup.md and README.md list exactly these names.
PERMISSION_USES = {
    "pages_show_list": "list the Pages the admin manages, to get the Page token (`groupbot token exchange`)",
    "pages_manage_metadata": "subscribe the Page to webhooks (`groupbot subscribe`) and check the subscription",
    "pages_read_engagement": "read the Page's own posts, to find a post whose answer was lost",
    "pages_read_user_content": "read members' comments on the Page, which groupbot answers and may hide",
    "pages_manage_posts": "publish blog entries as Page posts",
    "pages_manage_engagement": "reply to comments as the Page, and hide a comment with personal data",
    "pages_messaging": "answer Messenger messages and send private replies to comments",
}

REQUIRED_PERMISSIONS = tuple(PERMISSION_USES)


def missing_permissions(granted) -> list[str]:
    """The required permissions not among `granted`, in the order of REQUIRED_PERMISSIONS."""
    have = set(granted or ())
    return [name for name in REQUIRED_PERMISSIONS if name not in have]
