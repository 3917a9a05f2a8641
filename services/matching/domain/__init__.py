"""Proposals and their life, the fair allocation that makes them, the rules and the score.
No I/O."""
