"""Loaded by pytest (`-p tests.env`) before Django reads its settings: test-only environment defaults.

A developer's own environment still wins (for example DATABASE_URL pointing at PostgreSQL)."""
import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("PAYMENTS_SIMULATED", "false")
os.environ.setdefault("STRIPE_SECRET_KEY", "")
# Rate limits (issue 14): the suite and the fuzzing send thousands of requests with one token and many refused
# tokens from one address; tests of the limits set their own. Counters in this process's memory.
os.environ.setdefault("API_RATE_LIMIT", "999999999/second")
os.environ.setdefault("AUTH_FAILURE_RATE_LIMIT", "999999999/second")
os.environ.setdefault("CACHE_URL", "locmemcache://")
os.environ.setdefault("READ_STRICT", "true")  # a read plan missing a column fails the test (serviceengine/perf)
