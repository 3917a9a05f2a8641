"""Use cases, event handlers, the allocator worker and the read model's rebuild: each takes a unit
of work (or, for the rebuild, a session of its own) and never commits it."""
