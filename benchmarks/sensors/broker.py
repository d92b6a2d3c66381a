"""A mosquitto broker for the benchmark: temp config, a free loopback port, bursts allowed.

:class:`MosquittoProcess` is the process itself, shared with the tests' broker
(``tests/unit/conftest_mqtt.py``); the benchmark's :class:`Broker` has one anonymous listener
and no persistence: unlimited queued messages, bytes and in-flight messages, so a slow
subscriber makes the broker queue, never drop, and what the feed misses is the feed's.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from pathlib import Path

MOSQUITTO = Path("/usr/sbin/mosquitto")
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` so far (None when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def process_peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory of process ``pid`` so far, in MiB (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def mosquitto_version() -> str | None:
    """``mosquitto version 2.0.11`` -> ``2.0.11`` (None when it cannot tell)."""
    try:
        out = subprocess.run([str(MOSQUITTO), "-h"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = (out.stdout + out.stderr).split()
    return words[words.index("version") + 1] if "version" in words else None


class MosquittoProcess:
    """One mosquitto process on ``127.0.0.1``: a config file, start, stop (the shared part).

    Subclasses choose the config lines (:meth:`write_config`); the tests' broker
    (``tests/unit/conftest_mqtt.py``) adds password and TLS listeners on top.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.host, self.port = "127.0.0.1", free_port()
        self.log = workdir / "mosquitto.log"
        self.config = workdir / "mosquitto.conf"
        self.process: subprocess.Popen[bytes] | None = None

    def write_config(self, lines: list[str]) -> None:
        """Write the config; as root mosquitto drops to "mosquitto", so run it as us."""
        if os.geteuid() == 0:
            lines = [f"user {getpass.getuser()}", *lines]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        return None if self.process is None else self.process.pid

    def start(self, timeout: float = 10.0) -> None:
        """Start mosquitto and wait (at most ``timeout`` s) until it accepts connections."""
        if not MOSQUITTO.is_file():
            raise RuntimeError(f"{MOSQUITTO} is missing: install Debian's mosquitto")
        assert self.process is None, "broker already running"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(MOSQUITTO), "-c", str(self.config)], stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout} s")

    def stop(self) -> None:
        """Terminate mosquitto (it saves its sessions; killed after 10 s) and wait for it."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def __enter__(self) -> MosquittoProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Broker(MosquittoProcess):
    """The benchmark's broker: one anonymous listener, no persistence, bursts allowed."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.write_config([
            "persistence false",
            "max_queued_messages 0",
            "max_queued_bytes 0",
            "max_inflight_messages 0",
            "max_packet_size 20000000",
            "log_type error",
            "log_type warning",
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
        ])
