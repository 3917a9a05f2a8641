"""Use cases, event handlers and workers: each takes a unit of work and never commits it."""
