"""Tables, the repository on them, and the translation of domain events into shared events."""
