"""orders: filters (filled in by the resource issue)."""
