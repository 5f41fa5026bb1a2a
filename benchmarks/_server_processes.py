"""The servers the benchmarks start in their own processes, on loopback.

- :class:`SandboxProcess`: the sandbox (``python -m benchmarks._serve``), with ``stats()`` /
  ``reset()`` through its ``/_sandbox/`` introspection endpoints and its CPU time;
- :class:`RedisServer`: ``redis-server`` on a free port, without persistence.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from types import TracebackType
from typing import Any

import psutil  # type: ignore[import-untyped]

from ._suite import ROOT

LOOPBACK = "127.0.0.1"
UNLIMITED = 10**6
"""A limit no run reaches: limits out of the way."""
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, ever


# -- the sandbox in its own process --------------------------------------------------------------


class SandboxProcess:
    """A :class:`~aelyst_async.sandbox.Sandbox` with any of its public options in its own process
    (``python -m benchmarks._serve``) on an ephemeral loopback port, stopped with SIGTERM.

    >>> with SandboxProcess(per_path=5, workspace=50, latency=0.25, latency_jitter=0.05) as sb:
    ...     sb.base_url, sb.token, sb.stats()["rate_limited"]
    """

    def __init__(self, *, token: str = "bench-token", **options: Any) -> None:
        self.token = token
        self.options = options
        self.base_url = ""
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SandboxProcess:
        options = {k: v for k, v in self.options.items() if v is not None}
        options |= {"host": LOOPBACK, "port": 0, "token": self.token}
        args = [sys.executable, "-m", "benchmarks._serve", json.dumps(options)]
        self._proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.startswith("Aelyst sandbox running at "):
                self.base_url = line.split(" at ", 1)[1].strip()
                self.url = self.base_url.removesuffix("/v1")
                break
        else:
            raise RuntimeError(f"the sandbox did not start (exit code {self._proc.wait()})")
        if not self.url.startswith(f"http://{LOOPBACK}:"):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the sandbox is not on loopback: {self.url}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            code = self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc = None
        if code != 0 and exc_type is None:
            raise RuntimeError(f"the sandbox exited with code {code}")

    @property
    def pid(self) -> int:
        assert self._proc is not None, "not started"
        return self._proc.pid

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the sandbox process has used so far."""
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)

    def _call(self, method: str, name: str) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/_sandbox/{name}", method=method)
        with _NO_PROXY.open(request, timeout=10) as resp:
            data: dict[str, Any] = json.loads(resp.read())
        return data

    def stats(self) -> dict[str, Any]:
        """The sandbox's counters since start or the last reset."""
        return self._call("GET", "stats")

    def reset(self) -> None:
        """Forget contacts, counters and rate-limit windows."""
        self._call("POST", "reset")


# -- redis-server --------------------------------------------------------------------------------


class RedisServer:
    """``redis-server`` on a free loopback port, without persistence, for one benchmark run."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = 0
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def __enter__(self) -> RedisServer:
        with socket.socket() as sock:
            sock.bind((LOOPBACK, 0))
            self.port = sock.getsockname()[1]
        self._dir = tempfile.TemporaryDirectory(prefix="bench-redis-")
        args = [self.binary, "--port", str(self.port), "--bind", LOOPBACK, "--save", ""]
        args += ["--appendonly", "no", "--dir", self._dir.name, "--daemonize", "no"]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self._ping():  # no event to wait on: poll, bounded
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        return self

    def _ping(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


def peak_rss(pid: int) -> int:
    """The peak resident set size of process ``pid`` so far, in bytes."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0
