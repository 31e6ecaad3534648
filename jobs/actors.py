"""Who is making a change: the actor recorded on every event (issue 13).

`{"type": "api_token"|"user"|"system", "id": str|None, "name": str}`. The API's authentication sets the token;
`ActorMiddleware` gives every request a fresh slot and, for the admin, the signed-in user; jobs run as `system`
(`db_worker` wraps every job in `system_actor()`). Anything else (commands, shells) is `system` too.
"""
import contextvars
from contextlib import contextmanager

SYSTEM = {"type": "system", "id": None, "name": "system"}

_current: contextvars.ContextVar = contextvars.ContextVar("actor", default=None)


def token_actor(token) -> dict:
    return {"type": "api_token", "id": str(token.pk), "name": token.name}


def user_actor(user) -> dict:
    name = (user.get_full_name() if hasattr(user, "get_full_name") else "") or user.get_username()
    return {"type": "user", "id": str(user.pk), "name": name}


def current_actor() -> dict:
    """The actor of the change being made now (`system` when nothing set one)."""
    value = _current.get()
    if value is None:
        return dict(SYSTEM)
    if callable(value):  # resolved on first use (the admin's user is loaded lazily)
        value = value()
        if value is None:
            return dict(SYSTEM)
        _current.set(value)
    return dict(value)


def set_actor(value) -> None:
    """Set the actor for the rest of the current request or job: a dict, a callable returning one, or None."""
    _current.set(value)


@contextmanager
def acting_as(value):
    """Run a block as this actor, restoring the previous one afterwards."""
    reset = _current.set(value)
    try:
        yield
    finally:
        _current.reset(reset)


def system_actor():
    return acting_as(SYSTEM)


class ActorMiddleware:
    """A fresh actor slot per request (so one request's token never leaks into the next on the same thread);
    requests of the admin act as the signed-in staff user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        def admin_user():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                return user_actor(user)
            return None

        with acting_as(admin_user):
            return self.get_response(request)
