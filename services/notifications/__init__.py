"""The operators' feed, webhooks for regional centres and partners, and alerts."""
