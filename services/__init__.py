"""The four services of the clearing-house; none imports another."""
