"""HTTP routes (parse, call a use case, answer) and schemas."""
