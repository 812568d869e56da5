"""Intake: a Meta delivery from the HTTP request to stored questions.

`writer` commits raw bodies durably before the 200, `signature` checks Meta's HMAC,
`events` parses Meta's payloads, and `deliveries` (run by the worker) turns stored
deliveries into questions.
"""
