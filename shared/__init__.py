"""What every service shares: settings, events, topics, messaging, database, HTTP, auth."""
