"""catalog: services (filled in by the resource issue)."""
