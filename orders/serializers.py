"""orders: serializers (filled in by the resource issue)."""
