"""The running service: the worker loop and `assemble`, the one place that wires jobs, handlers, alerts and threads."""
