"""The SSRF guard (issue 13): a webhook URL must be http(s), and its host must not resolve to a loopback,
private, link-local, reserved, multicast or unspecified address, unless `WEBHOOKS_ALLOW_PRIVATE_URLS` is set
(development and tests only: unsafe in production, it lets API users make the server call internal services).
Checked when a URL is saved and again before every delivery (DNS may change in between)."""
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

URL_SCHEME = "URL must be an http or https URL."
URL_PRIVATE = "URL must not point to a private, loopback, link-local or reserved address."


class UnsafeURL(ValueError):
    pass


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address) and address.sixtofour is not None:
        return _forbidden(address.sixtofour)
    # `is_global` is false for private, loopback, link-local, shared (100.64/10), reserved and unspecified ranges.
    return (
        not address.is_global or address.is_private or address.is_loopback or address.is_link_local
        or address.is_reserved or address.is_multicast or address.is_unspecified
    )


def check_scheme(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; raises UnsafeURL(URL_SCHEME) otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL(URL_SCHEME) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise UnsafeURL(URL_SCHEME)
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(host: str, port: int) -> list:
    """Every address the host resolves to (empty when it does not resolve)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        return [literal]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    found = []
    for info in infos:
        try:
            found.append(ipaddress.ip_address(info[4][0].split("%", 1)[0]))
        except ValueError:
            continue
    return found


def check_url(url: str, *, allow_unresolved: bool = True) -> None:
    """Raise UnsafeURL unless `url` is http(s) and every address of its host is public (or private addresses are
    allowed by settings). A host that does not resolve passes when saving (`allow_unresolved`): the delivery then
    fails as a connection error and is retried, and the check runs again then."""
    host, port = check_scheme(url)
    if settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        return
    addresses = resolve(host, port)
    if not addresses and not allow_unresolved:
        raise UnsafeURL(f"Could not resolve host {host}.")
    if any(_forbidden(address) for address in addresses):
        raise UnsafeURL(URL_PRIVATE)
