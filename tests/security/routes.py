"""A generic walk of a URL configuration, and the authentication checker built on it (contract §3).

`walk()` lists every route of a URLconf with the HTTP methods it serves, read from the view itself: a DRF
router route from its action map (`callback.actions`), an APIView from `callback.cls`, and a plain function
view (whose methods cannot be known) with every method. Nothing here names a resource, so a route added later
is walked like the others. The Django admin is left out: it authenticates with sessions and is covered by
`test_admin_isolation.py`.
"""
import re
import uuid
from dataclasses import dataclass

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

EVERY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SKIPPED_NAMESPACES = {"admin"}
# A regex fragment that is not a named group (the API's catch-all `^.*$`) is filled with this path segment.
UNNAMED_FILL = "unrouted-probe"


@dataclass(frozen=True)
class Route:
    display: str  # "/api/orders/{pk}/tasks": the pattern, path parameters in braces
    url: str  # a concrete URL for it, every path parameter filled in
    methods: tuple[str, ...]
    callback: object

    def __str__(self):
        return self.display


def _named_groups(regex: str):
    """(start, end, name) of each top-level `(?P<name>…)` group, parentheses balanced."""
    i = 0
    while (start := regex.find("(?P<", i)) != -1:
        name_end = regex.index(">", start)
        depth, j = 0, start
        while True:
            char = regex[j]
            if char == "\\":
                j += 2
                continue
            depth += char == "("
            depth -= char == ")"
            j += 1
            if depth == 0:
                break
        yield start, j, regex[start + 4 : name_end]
        i = j


def _fill_regex(regex: str, fill, unnamed: str) -> str:
    regex = regex.removeprefix("^").removesuffix("\\Z").removesuffix("$")
    out, i = [], 0
    for start, end, name in _named_groups(regex):
        out += [regex[i:start], fill(name)]
        i = end
    out.append(regex[i:])
    text = "".join(out).replace(".*", unnamed).replace(".+", unnamed)
    return re.sub(r"\\(.)", r"\1", text)


def _fill_route(route: str, fill) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: fill(m.group(1)), route)


def _fill(pattern, fill, unnamed=UNNAMED_FILL) -> str:
    if isinstance(pattern, RoutePattern):
        return _fill_route(str(pattern), fill)
    return _fill_regex(str(pattern), fill, unnamed)


def served_methods(callback) -> tuple[str, ...]:
    """The methods a view answers, read from the view: the router's action map for a viewset (plus HEAD for GET
    and OPTIONS, which DRF adds), the handlers of an APIView/View class, or every method for a plain function."""
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    actions = getattr(callback, "actions", None)
    if actions is not None:
        methods = set(actions)
        if hasattr(cls, "options"):
            methods.add("options")
    elif cls is not None:
        methods = {m for m in cls.http_method_names if hasattr(cls, m)}
    else:
        return EVERY_METHOD
    if "get" in methods:
        methods.add("head")
    return tuple(m for m in EVERY_METHOD if m.lower() in methods)


def walk(urlconf=None, *, fill=lambda name: str(uuid.uuid4())) -> list[Route]:
    """Every route of `urlconf` (the active one by default), admin excluded, path parameters filled by `fill`.

    Raises AssertionError when a built URL does not resolve back to its own view (a route the walk could not
    reach would otherwise escape every check)."""
    routes: list[Route] = []

    def visit(entries, display_prefix, url_prefix):
        for entry in entries:
            display = display_prefix + _fill(entry.pattern, lambda name: f"{{{name}}}", unnamed="*")
            url = url_prefix + _fill(entry.pattern, fill)
            if isinstance(entry, URLResolver):
                if entry.namespace in SKIPPED_NAMESPACES:
                    continue
                visit(entry.url_patterns, display, url)
            elif isinstance(entry, URLPattern):
                routes.append(Route("/" + display, "/" + url, served_methods(entry.callback), entry.callback))

    visit(get_resolver(urlconf).url_patterns, "", "")
    for route in routes:
        match = resolve(route.url, urlconf)
        assert match.func is route.callback, f"{route.display}: {route.url} resolves to {match.func!r} instead"
    return routes


@dataclass(frozen=True)
class Credential:
    label: str
    header: str | None  # the Authorization header sent, None for none at all
    detail: str  # the 401 body's detail the contract gives for it


_client = None


def request(route: Route, method: str, header: str | None, url: str | None = None):
    """One request to `route`; bodies are a harmless JSON object (authentication comes before parsing, §6).
    One shared test client: building a client loads the middleware chain, which is slow (whitenoise)."""
    global _client
    _client = _client or Client()
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    data = b"{}" if method in ("POST", "PUT", "PATCH") else b""
    return _client.generic(method, url or route.url, data=data, content_type="application/json", **extra)


def auth_violations(routes, credentials, allowed=frozenset()) -> list[str]:
    """Every (route, method, credential) that does not answer 401 with the contract's body, except the routes
    whose display is in `allowed`. An empty list means every route demands a valid token."""
    problems = []
    for route in routes:
        if route.display in allowed:
            continue
        for method in route.methods:
            for credential in credentials:
                response = request(route, method, credential.header)
                body = None
                if method != "HEAD":
                    try:
                        body = response.json()
                    except ValueError:
                        body = response.content[:200]
                ok = response.status_code == 401 and (method == "HEAD" or body == {"detail": credential.detail})
                if not ok:
                    problems.append(f"{method} {route.display} [{credential.label}] → {response.status_code} {body!r}")
    return problems
