"""Loaded by pytest (`-p tests.env`) before Django reads its settings: test-only environment defaults.

A developer's own environment still wins (for example DATABASE_URL pointing at PostgreSQL)."""
import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("PAYMENTS_SIMULATED", "false")
os.environ.setdefault("STRIPE_SECRET_KEY", "")
