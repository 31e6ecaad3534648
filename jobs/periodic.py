"""Periodic jobs without cron.

A module declares a periodic job by decorating a django-tasks task:

    from django_tasks import task
    from jobs.periodic import every

    @every(timedelta(hours=1))
    @task()
    def events_purge_expired(): ...

Every worker calls `tick()` between jobs (`manage.py db_worker` does it on each loop; with the RQ backend,
`manage.py run_periodic` does). `tick()` enqueues each job whose `PeriodicJob.next_run_at` has passed and moves
that time forward, in one conditional UPDATE per job: only the worker whose UPDATE matched enqueues, so a run is
enqueued once however many workers tick. The jobs themselves are written to be idempotent as well.
"""
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger("jobs")

REGISTRY: dict[str, tuple] = {}  # name → (task, interval)
TICK_HOOKS: list = []  # cheap idempotent functions run on every tick (e.g. enqueue the webhook deliveries now due)


def on_tick(func):
    """Run `func()` on every tick of every worker (about once a second). It must be cheap and idempotent: it
    typically claims due rows with a conditional UPDATE and enqueues jobs for them."""
    if func not in TICK_HOOKS:
        TICK_HOOKS.append(func)
    return func


def every_organization(model):
    """The manager a system job spanning every organization reads through (a purge, the delivery sweep):
    `Model.unscoped` once tenancy fails closed (issue 12b), `all_objects` before."""
    return getattr(model, "unscoped", None) or model.all_objects


def every(interval: timedelta, *, name: str | None = None):
    """Register a task to be enqueued every `interval` (at the earliest; workers tick about once a second)."""

    def register(task):
        REGISTRY[name or task.module_path] = (task, interval)
        return task

    return register


def _claim(name: str, interval: timedelta, now) -> bool:
    from .models import PeriodicJob

    claimed = PeriodicJob.objects.filter(name=name, next_run_at__lte=now).update(
        next_run_at=now + interval, last_run_at=now
    )
    if claimed:
        return True
    if PeriodicJob.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            PeriodicJob.objects.create(name=name, next_run_at=now + interval, last_run_at=now)
    except IntegrityError:  # another worker created it first: that one runs it
        return False
    return True


def tick(now=None) -> list[str]:
    """Enqueue every periodic job that is due; returns the names enqueued. Safe to call from many workers."""
    _load_job_modules()
    now = now or timezone.now()
    enqueued = []
    for name, (task, interval) in sorted(REGISTRY.items()):
        try:
            # One transaction: with the database backend the claim and the queued job commit together.
            with transaction.atomic():
                if _claim(name, interval, now):
                    task.enqueue()
                    enqueued.append(name)
        except Exception:  # a broken job must not stop the others, nor the worker
            logger.exception("periodic job %s could not be scheduled", name)
    for hook in TICK_HOOKS:
        try:
            hook()
        except Exception:
            logger.exception("tick hook %s failed", getattr(hook, "__qualname__", hook))
    return enqueued


_loaded = False


def _load_job_modules():
    """Import `<app>.tasks` of every installed app, so their `@every` declarations are registered."""
    global _loaded
    if _loaded:
        return
    from django.apps import apps
    from django.utils.module_loading import module_has_submodule
    from importlib import import_module

    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "tasks"):
            import_module(f"{config.name}.tasks")
    _loaded = True
