"""A real ``redis-server`` on a free loopback port, for the shared-throttle tests.

Started without persistence (``--save '' --appendonly no``) in a temporary directory, ready when
it says so: it runs under ``--supervised systemd`` and sends ``READY=1`` to a datagram socket of
ours (the ``NOTIFY_SOCKET`` protocol), so starting waits on that message, not on a poll.
:meth:`RedisServer.stop` and :meth:`RedisServer.start` again (same port) simulate an outage,
:meth:`RedisServer.freeze` a server that hangs. Without the binary the tests skip, except under
``CI=true``, where they fail: CI must run them (``.ci/run`` installs redis-server).

>>> with RedisServer(tmp_path) as server:
...     store = RedisLimitStore.from_url(server.url, namespace="test")
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

import pytest

START_TIMEOUT = 10.0
"""Seconds a server may take to say it is ready after it was started."""


def redis_server_binary() -> str:
    """The path of ``redis-server``; skips the test without it (fails it under ``CI=true``)."""
    path = shutil.which("redis-server")
    if path is not None:
        return path
    reason = (
        "redis-server is not installed (e.g. apt-get install redis-server): the Redis tests "
        "need a real server"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, and CI=true requires them to run")
    pytest.skip(reason)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """``redis-server`` bound to 127.0.0.1 on one port for its whole life (restarts included)."""

    def __init__(self, directory: Path, binary: str | None = None) -> None:
        self.directory = directory
        self.binary = binary or redis_server_binary()
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._proc is not None

    def start(self) -> None:
        """Start the server and wait (bounded) for its ``READY=1``."""
        assert self._proc is None, "already running"
        log = self.directory / f"redis-{self.port}.log"
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        args += ["--dir", str(self.directory), "--logfile", str(log), "--supervised", "systemd"]
        # a short path of its own: a Unix socket's path holds at most 107 bytes
        with (
            tempfile.TemporaryDirectory(prefix="redis-") as where,
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify,
        ):
            notify.bind(address := os.path.join(where, "notify"))
            notify.settimeout(START_TIMEOUT)
            env = {**os.environ, "NOTIFY_SOCKET": address}
            self._proc = subprocess.Popen(
                args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                while b"READY=1" not in notify.recv(4096):
                    pass  # STATUS=... lines come first
            except TimeoutError:
                code = self._proc.poll()
                self.stop()
                detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(
                    f"redis-server did not start (exit code {code}):\n{detail}"
                ) from None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait until it has exited."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGCONT)  # in case it was frozen
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def freeze(self) -> None:
        """Stop the process without closing its sockets (SIGSTOP): a Redis that hangs."""
        assert self._proc is not None, "not running"
        self._proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen server run again (SIGCONT)."""
        assert self._proc is not None, "not running"
        self._proc.send_signal(signal.SIGCONT)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
