"""catalog: filters (filled in by the resource issue)."""
