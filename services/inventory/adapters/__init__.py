"""Tables, the repositories and search on them, and the translation of domain events into
shared events."""
