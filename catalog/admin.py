"""catalog: admin (filled in by the resource issue)."""
