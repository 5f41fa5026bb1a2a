"""A real ``redis-server`` on a free loopback port, for the shared-throttle tests.

Started without persistence (``--save '' --appendonly no``) in a temporary directory, ready once
it answers ``PING``; :meth:`RedisServer.stop` and :meth:`RedisServer.start` again (same port)
simulate an outage, :meth:`RedisServer.freeze` a server that hangs. Without the binary the tests
skip, except under ``CI=true``, where they fail: CI must run them (``.ci/run`` installs
redis-server).

>>> with RedisServer(tmp_path) as server:
...     store = RedisLimitStore.from_url(server.url, namespace="test")
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import pytest

START_TIMEOUT = 10.0
"""Seconds a server may take to answer PING after it was started."""


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


def answers_ping(port: int) -> bool:
    """True when a Redis server on ``port`` answers ``PING`` with ``+PONG``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


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
        """Start the server and wait (bounded) until it answers PING."""
        assert self._proc is None, "already running"
        log = self.directory / f"redis-{self.port}.log"
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        args += ["--dir", str(self.directory), "--logfile", str(log)]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while not answers_ping(self.port):  # no event to wait on: poll, bounded
            code = self._proc.poll()
            if code is not None or time.monotonic() > deadline:
                self.stop()
                detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server did not start (exit code {code}):\n{detail}")
            time.sleep(0.01)

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
