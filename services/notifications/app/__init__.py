"""The notifications use cases, the handlers of the events it takes in, and its workers."""
