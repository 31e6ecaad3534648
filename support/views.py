"""support: views (filled in by the resource issue)."""
