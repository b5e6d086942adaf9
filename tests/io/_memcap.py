"""Decoding under a memory cap, for the fuzz tests: a worker process whose data segment may grow
by at most ``cap`` bytes past what it holds after start-up (``RLIMIT_DATA``, which Linux applies
to anonymous mappings too, so numpy, OpenCV and Pillow buffers all count). A decode that tries to
allocate more fails at once with ``MemoryError`` / ``cv2.error`` inside the worker, which reports
it as a crash instead of taking the machine's memory; the worker is restarted if it dies."""

from __future__ import annotations

import multiprocessing as mp
import re
from typing import Any

#: the most a decode of the fuzz tests' small inputs may allocate
CAP = 256 * 2**20


def _data_size() -> int:
    with open("/proc/self/status") as fh:
        return int(re.search(r"VmData:\s+(\d+) kB", fh.read()).group(1)) * 1024


def _serve(conn: Any, cap: int) -> None:
    import resource

    import numpy as np

    from oculi.core.errors import OculiError
    from oculi.io import decode_image, encode_image

    tiny = np.zeros((8, 8, 3), np.uint8)
    for fmt in ("jpeg", "png", "tiff", "bmp", "webp", "pnm"):  # load every decoder first
        decode_image(encode_image(tiny, fmt), mode="unchanged")
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    resource.setrlimit(resource.RLIMIT_DATA, (_data_size() + cap, hard))
    conn.send("ready")
    while (msg := conn.recv()) is not None:
        data, kwargs = msg
        try:
            out = decode_image(data, **kwargs)
            conn.send(("ok", out.shape, str(out.dtype)))
        except OculiError as exc:
            conn.send(("refused", str(exc), ""))
        except BaseException as exc:  # MemoryError, cv2.error: what the cap catches
            conn.send(("crash", f"{type(exc).__name__}: {exc}", ""))


class CappedDecoder:
    """``decode(data, **kwargs)`` of :func:`oculi.io.decode_image` in a capped worker; returns
    ``("ok", shape, dtype)``, ``("refused", message, "")`` (an oculi error) or
    ``("crash", reason, "")`` (anything else: an allocation over the cap, a dead worker)."""

    def __init__(self, cap: int = CAP, timeout: float = 20.0) -> None:
        self.cap, self.timeout = cap, timeout
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, self.cap), daemon=True)
        self.proc.start()
        child.close()
        if not self.conn.poll(60) or self.conn.recv() != "ready":
            raise RuntimeError("the capped decoder did not start")

    def decode(self, data: bytes, **kwargs: Any) -> tuple[str, Any, str]:
        self.conn.send((data, kwargs))
        try:
            if self.conn.poll(self.timeout):
                return self.conn.recv()
            reason = f"no answer in {self.timeout} s"
        except EOFError:
            reason = "the worker died"
        self.proc.kill()
        self.proc.join()
        self._start()
        return "crash", reason, ""

    def close(self) -> None:
        if self.proc.is_alive():
            self.conn.send(None)
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
