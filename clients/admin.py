"""clients: admin (filled in by the resource issue)."""
