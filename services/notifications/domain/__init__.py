"""The notifications domain: notices, audiences, alerts, webhook rules, who sees what. No I/O."""
