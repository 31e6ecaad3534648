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


def staff_browser(organization, username: str = "staff", *, superuser: bool = False):
    """A logged-in admin browser: a staff account of `organization` (or a superuser when asked)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from serviceengine.models import StaffProfile

    account = get_user_model().objects.create_user(
        username=username, password="pw", is_staff=True, is_superuser=superuser
    )
    if organization is not None:
        StaffProfile.objects.create(user=account, organization=organization)
    browser = Client()
    browser.force_login(account)
    return browser


def run_in_threads(work, count: int):
    """Run `work(i)` in `count` threads released at the same instant (a barrier); return their results in
    order, re-raising the first exception. Each thread closes its database connection when done."""
    import threading

    from django.db import close_old_connections, connection

    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def target(i):
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results
