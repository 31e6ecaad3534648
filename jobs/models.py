"""The schedule of periodic jobs: one row per job, shared by every worker (see `jobs.periodic`)."""
from django.db import models


class PeriodicJob(models.Model):
    """When a periodic job is next due. Workers claim a run with one conditional UPDATE, so however many workers
    tick at once, each due run is enqueued exactly once. Not organization-owned: jobs span organizations."""

    name = models.CharField(max_length=200, primary_key=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
