"""The outbox: durable jobs that reach Meta once, through crashes, timeouts and Meta's errors.

`jobs` is the vocabulary (a job, its handler, enqueue), `sender` runs due jobs and decides
what each error means, `pause` stops every sender after a bad token or a rate limit, and
`leases` lets one process at a time send.
"""
