"""Assistance requests from national focal points: their lifecycle and their routing by tier."""
