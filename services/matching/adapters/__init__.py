"""The read model and matches tables, their repositories, and the translation of domain events
into shared events."""
