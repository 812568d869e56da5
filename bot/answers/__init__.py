"""The answer engine: what a member message asks, in which language, and what the firm would reply.

`responder.Responder.answer` is the one entry point: the worker, `groupbot answer` and the
dashboard's Try box all call it. `matcher` finds the intent in the knowledge base
(`knowledge`, `loading`), `guard` finds personal data and urgency. The learned model
(`model` to answer, `training` to fit it, `versions` on disk, `retrain` for the command and
the worker's job) and the admins' corrections (`memory`) join the rules in `combine`.
"""
