"""The notifications schema, its queries, and the HTTP client that sends webhooks."""
