"""`@reads(...)`: what a model property or a read serializer's method reads, so that the read planner
(serviceengine/perf/shape.py) can load exactly those columns without being told anywhere else.

    @property
    @reads("name_f", "name_l")
    def full_name(self): ...

    @reads("organization_id", "user.organization_id", user=TicketClientSerializer)
    def get_client(self, ticket): ...

Positional arguments are attribute paths (dotted, relative to the object); keyword arguments name a relation the
method renders with a serializer (its own fields are planned like a nested serializer's). A property or method
the read serializers use without `@reads` is refused when the plan is built (at the first request), so it cannot
be forgotten silently.
"""


def reads(*paths: str, **nested):
    def mark(func):
        func.reads = tuple(paths)
        func.reads_nested = dict(nested)
        return func

    return mark
