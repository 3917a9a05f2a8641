"""Proposals of donors for published requests, fair allocation, donor acceptance."""
