"""clients: services (filled in by the resource issue)."""
