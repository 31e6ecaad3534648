"""Assertions shared by the API tests."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

INVALID = "The given data was invalid."


def assert_envelope(response, status: int, errors: dict):
    """The validation envelope (contract §7.1) with exactly these errors."""
    assert response.status_code == status, response.content
    assert response.json() == {"message": INVALID, "errors": errors}


def assert_detail(response, status: int, detail: str):
    """A `{"detail": ...}` body (contract §7.3)."""
    assert response.status_code == status, response.content
    assert response.json() == {"detail": detail}


def count_queries(func) -> tuple[object, list[str]]:
    """Run `func` and return its result with the SQL it ran. Savepoint statements are left out: inside a test's
    transaction ATOMIC_REQUESTS opens a savepoint, where in production it opens a transaction Django does not log."""
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    sql = [q["sql"] for q in ctx.captured_queries]
    return result, [s for s in sql if not s.upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]


def assert_constant_queries(api, url, add_row, *, budget: int, extra_rows: int = 4):
    """Same number of queries for one row and for `1 + extra_rows` rows, and within `budget` (STYLE §6)."""
    add_row()
    one_resp, one = count_queries(lambda: api.get(url))
    assert one_resp.status_code == 200, one_resp.content
    for _ in range(extra_rows):
        add_row()
    many_resp, many = count_queries(lambda: api.get(url))
    assert many_resp.status_code == 200, many_resp.content
    assert len(one) == len(many), "query count grows with rows:\n" + "\n".join(many)
    assert len(many) <= budget, f"{len(many)} queries > budget {budget}:\n" + "\n".join(many)
    return len(many)
