"""SQL statements per request of each benchmarked endpoint (run by bench/run.sh; see bench/README.md).

    python bench/queries.py WORKDIR

Replays the first request of each WORKDIR/<endpoint>.requests file in-process through Django's test client,
with the same settings and database as the server, twice: the first request warms up (the token's throttled
`last_used_at` write, connection set-up), the second is counted with CaptureQueriesContext. As in the test
suite's query budgets, transaction control is left out: the BEGIN/COMMIT pair ATOMIC_REQUESTS wraps every request
in, and savepoints. Writes WORKDIR/queries.json: {endpoint: count}.
"""
import json
import os
import sys
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serviceengine.settings")


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}  # ATOMIC_REQUESTS's own statements, logged by Django


def main() -> None:
    workdir = Path(sys.argv[1])
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic for a benchmark

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def count_queries(send):
        with CaptureQueriesContext(connection) as ctx:
            response = send()
        skipped = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
        return response, [q["sql"] for q in ctx.captured_queries if not q["sql"].upper().startswith(skipped)]

    token = (workdir / "token").read_text().strip()
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    counts = {}
    for path in sorted(workdir.glob("*.requests")):
        method, url, *body = path.read_text().splitlines()[0].split(" ", 2)
        send = partial(client.generic, method, url, body[0].encode() if body else b"", "application/json")
        send()
        response, sql = count_queries(send)
        sql = [q for q in sql if q.upper() not in TRANSACTION_CONTROL]
        if response.status_code >= 400:
            raise SystemExit(f"{path.stem}: {method} {url} answered {response.status_code}: {response.content[:200]}")
        counts[path.stem] = len(sql)
    (workdir / "queries.json").write_text(json.dumps(counts, indent=2))


if __name__ == "__main__":
    main()
