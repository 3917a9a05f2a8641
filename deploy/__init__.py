"""Deployment tooling for the clearing-house (local infrastructure runner, build assets)."""
