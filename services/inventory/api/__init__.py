"""HTTP routes (parse, call a use case, answer), schemas and reports."""
