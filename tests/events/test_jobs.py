"""The jobs engine (issue 13): periodic jobs without cron, enqueued once however often workers tick, run by
`manage.py db_worker` as the system actor."""
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.management.commands import db_worker as base_worker
from django_tasks_db.models import DBTaskResult

from events.models import Event
from events.services import record_event
from jobs.models import PeriodicJob
from jobs.periodic import REGISTRY, tick

PURGE = "events.tasks.events_purge_expired"


def test_a_due_periodic_job_is_enqueued_once_however_many_ticks(db):
    now = timezone.now()
    assert PURGE in tick(now)
    assert PURGE not in tick(now)
    assert PURGE not in tick(now + timedelta(minutes=59))
    assert DBTaskResult.objects.filter(task_path=PURGE).count() == 1
    assert PURGE in tick(now + timedelta(hours=1, seconds=1))
    assert DBTaskResult.objects.filter(task_path=PURGE).count() == 2
    assert PeriodicJob.objects.get(name=PURGE).next_run_at > now + timedelta(hours=1)


def test_purge_is_registered_hourly():
    assert REGISTRY[PURGE][1] == timedelta(hours=1)


def test_db_worker_schedules_and_runs_the_purge(org, settings, monkeypatch):
    # In-process, the worker must not close the test's connection (it would: the test runs inside a transaction).
    monkeypatch.setattr(base_worker, "close_old_connections", lambda: None)
    settings.EVENT_RETENTION_DAYS = 1
    old = record_event("client.created", organization=org, object_type="client", object_id=org.pk, data={})
    Event.unscoped.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert not Event.unscoped.filter(pk=old.pk).exists()
    result = DBTaskResult.objects.get(task_path=PURGE)
    assert result.status == "SUCCESSFUL" and result.return_value == 1
