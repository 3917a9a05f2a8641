"""The four services of the clearing-house; none imports another.

Their names, in the order they start, are listed here and nowhere else.
"""

SERVICES = ("requests", "inventory", "matching", "notifications")
