"""Replies: from a judged question to a reply sent inside Meta's windows.

`suggest` stores the engine's verdict and the suggested reply, `review` is what an admin
decides (approve, edit, reject, retry), `windows` keeps Meta's deadlines, `send` holds the
outbox handlers that send, `echoes` settles sends whose answer was lost, and `moderation`
hides Page comments.
"""
