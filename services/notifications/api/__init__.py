"""The notifications HTTP API: the feed and its stream, webhook subscriptions, the dashboard."""
