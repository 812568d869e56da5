"""The blog's way to Facebook: read the feed, notice new entries, post them to the Page, draft the Group post.

`feed` reads RSS/Atom, `push` receives WebSub and signed pings, `compose` writes the posts,
`entries` records what the feed holds, `page_posts` publishes through the outbox, and
`group_drafts` tracks what an admin pasted into the Group by hand.
"""
