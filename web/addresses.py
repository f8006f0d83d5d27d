"""This laptop's addresses a phone in the meeting room could reach, and the ballot's address.

Stdlib only: the machine may have no internet and no DNS; nothing here may raise."""

from __future__ import annotations

import ipaddress
import socket

LOOPBACK = "127.0.0.1"


def _default_route_address() -> str:
    """The address the default route leaves by: a UDP connect() sends nothing, it only picks
    the interface. '' without a route (an offline laptop with only its own hotspot)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
    except OSError:
        return ""


def _host_addresses() -> list[str]:
    """What the host's own name resolves to (often every interface, sometimes only 127.0.1.1).
    Not getfqdn(): its reverse lookup waits for a DNS server an offline meeting room lacks."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def _rank(address: str) -> int:
    """Private LAN ranges first (what a meeting room's Wi-Fi or a hotspot hands out)."""
    ip = ipaddress.IPv4Address(address)
    for rank, net in enumerate(("192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12")):
        if ip in ipaddress.IPv4Network(net):
            return rank
    return 3


def local_addresses() -> list[str]:
    """IPv4 addresses of this machine, private LAN ones first, 127.0.0.1 last (always present)."""
    try:
        seen: list[str] = []
        for address in [_default_route_address(), *_host_addresses()]:
            try:
                ip = ipaddress.IPv4Address(address)
            except ValueError:
                continue
            if ip.is_loopback or ip.is_unspecified or ip.is_multicast or ip.is_link_local:
                continue
            if address not in seen:
                seen.append(address)
        seen.sort(key=_rank)  # stable: the default route's address stays first within its rank
        return [*seen, LOOPBACK]
    except Exception:  # never let an odd network setup stop the server from starting
        return [LOOPBACK]


def ballot_address(host: str, port: int) -> str:
    """The page's address: http://HOST:PORT/ (port 80 left out)."""
    return f"http://{host}/" if port == 80 else f"http://{host}:{port}/"


def code_address(host: str, port: int, code: str) -> str:
    """What a slip's QR code encodes: the page's address with the code (as stored, no hyphen)."""
    return f"{ballot_address(host, port)}?c={code}"
