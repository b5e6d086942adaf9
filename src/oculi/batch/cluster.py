"""Ray clusters for :mod:`oculi.batch`: join the one at an address, or start a local one on this
machine's CPUs, with Ray's usage statistics off and its files under ``/tmp/ray``.

Importing this module does not import Ray; :func:`connected` does.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from oculi.core.errors import ParameterError


def local_cpus() -> int:
    """The CPUs this process may use (its affinity mask)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: set (unless the user set them) before Ray is imported: no usage statistics sent home, no
#: prompt about them, Ray's session files under /tmp/ray
RAY_ENVIRONMENT = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_USAGE_STATS_PROMPT_ENABLED": "0",
                   "RAY_TMPDIR": "/tmp"}


def quiet_environment() -> None:
    """Apply :data:`RAY_ENVIRONMENT` (values the user set win). Workers inherit it."""
    for key, value in RAY_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def check_address(address: str) -> None:
    """Raise :class:`ParameterError` unless ``address`` is ``auto`` or a reachable
    ``ray://HOST:PORT`` (Ray Client) or ``HOST:PORT`` (the head node's GCS) — Ray itself waits
    minutes on a port where nothing answers. Waits at most 5 s."""
    import socket

    if address in ("auto", "local"):
        return
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "", address
    host, _, port = rest.rpartition(":")
    if scheme not in ("", "ray") or not host or not port.isdigit():
        raise ParameterError(f"--address {address}: expected auto, ray://HOST:PORT (Ray Client, "
                             "port 10001 by default) or HOST:PORT (the head node, 6379)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ParameterError(f"--address {address}: no Ray cluster there ({reason})") from None


@contextlib.contextmanager
def connected(address: str | None = None) -> Iterator[None]:
    """Use the Ray cluster this process is connected to, else connect to ``address`` (None: the
    ``RAY_ADDRESS`` environment variable), else start a local one (this machine's CPUs, no
    dashboard, worker logs not forwarded); a cluster started or joined here is left on exit.

    Raises:
        ParameterError: no cluster answers at ``address``.
    """
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        check_address(address)
    quiet_environment()
    import ray

    if ray.is_initialized():
        yield
        return
    try:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=local_cpus(), include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING)
    except ConnectionError as exc:
        raise ParameterError(f"--address {address}: no Ray cluster there ({exc})") from None
    except ValueError as exc:  # a malformed address, or ray:// without Ray Client installed
        raise ParameterError(f"--address {address}: {' '.join(str(exc).split())}") from None
    try:
        yield
    finally:
        ray.shutdown()


def oculi_error_inside(exc: BaseException) -> BaseException | None:
    """The oculi error a Ray error wraps (a worker that could not read its data, an actor that
    could not load its model), if any: Ray re-raises a remote error as its own exception type
    with the original as ``cause`` (tasks, actors) or in ``worker_failures`` (Ray Train)."""
    from oculi.core.errors import OculiError

    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OculiError) and type(e).__module__.startswith("oculi"):
            return e
        nested = [getattr(e, "cause", None), e.__cause__, e.__context__,
                  *dict(getattr(e, "worker_failures", None) or {}).values()]
        todo += [n for n in nested if isinstance(n, BaseException)]
    return None
