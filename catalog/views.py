"""catalog: views (filled in by the resource issue)."""
