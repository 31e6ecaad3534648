"""support: services (filled in by the resource issue)."""
