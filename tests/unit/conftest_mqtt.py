"""A real mosquitto broker for tests (a pytest plugin: ``pytest_plugins = [...]``).

The broker listens on free loopback ports: one anonymous, one that needs the user
``alice`` with password ``s3cret`` (a mosquitto password file) and, when ``openssl`` is
installed, one with TLS (a throw-away CA in the work directory). It persists sessions to a
temp directory, so a stop/start on the same ports keeps QoS 1 queues, and it allows bursts:
unlimited queued messages and packets up to 20 MB (``max_packet_size`` replaces
``message_size_limit`` in mosquitto 2).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MOSQUITTO = Path("/usr/sbin/mosquitto")
USER, PASSWORD = "alice", "s3cret"


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """One mosquitto process with a temp config, started and stopped on the same ports."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port, self.auth_port, self.tls_port = free_port(), free_port(), free_port()
        self.host = "127.0.0.1"
        self.user, self.password = USER, PASSWORD
        self.log = workdir / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None
        passwords = workdir / "passwords"
        self._make_password_file(passwords)
        user = getpass.getuser() if os.geteuid() == 0 else None
        lines = [
            "per_listener_settings true",
            "persistence true",
            f"persistence_location {workdir}/",
            "max_queued_messages 0",
            "max_queued_bytes 0",
            "max_inflight_messages 0",
            "max_packet_size 20000000",
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
        ]
        if passwords.is_file():
            lines += [f"listener {self.auth_port} 127.0.0.1", "allow_anonymous false",
                      f"password_file {passwords}"]
        if self._make_certificates():
            lines += [f"listener {self.tls_port} 127.0.0.1", "allow_anonymous true",
                      f"cafile {self.ca_file}", f"certfile {workdir / 'server.crt'}",
                      f"keyfile {workdir / 'server.key'}"]
        if user is not None:  # as root mosquitto drops to "mosquitto", which cannot write here
            lines.insert(0, f"user {user}")
        self.config = workdir / "mosquitto.conf"
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    @staticmethod
    def _make_password_file(path: Path) -> None:
        tool = shutil.which("mosquitto_passwd")
        if tool is not None:
            subprocess.run([tool, "-b", "-c", str(path), USER, PASSWORD], check=True,
                           capture_output=True, timeout=30)

    @property
    def ca_file(self) -> Path:
        """The CA that signed the TLS listener's certificate."""
        return self.workdir / "ca.crt"

    def _make_certificates(self) -> bool:
        tool = shutil.which("openssl")
        if tool is None:
            return False
        work = self.workdir

        def run(*args: str) -> None:
            subprocess.run([tool, *args], check=True, capture_output=True, timeout=60, cwd=work)

        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=Twinscape test CA")
        run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
        (work / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n", encoding="utf-8")
        run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
        return True

    @property
    def has_tls(self) -> bool:
        """True when a TLS listener runs (openssl was found)."""
        return (self.workdir / "server.crt").is_file()

    @property
    def has_auth(self) -> bool:
        """True when a password listener runs (mosquitto_passwd was found)."""
        return (self.workdir / "passwords").is_file()

    def start(self, timeout: float = 10.0) -> None:
        """Start mosquitto and wait until it accepts connections."""
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
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout} s")

    def stop(self) -> None:
        """Terminate mosquitto (it saves its sessions) and wait for it to exit."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None


def _require_mosquitto() -> None:
    if not MOSQUITTO.is_file():
        pytest.skip(f"{MOSQUITTO} is missing: install Debian's mosquitto (make system)")


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A mosquitto broker shared by a test module."""
    _require_mosquitto()
    server = Broker(tmp_path_factory.mktemp("mosquitto"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    """A broker for one test, which may stop and start it."""
    _require_mosquitto()
    (tmp_path / "mosquitto").mkdir()
    server = Broker(tmp_path / "mosquitto")
    server.start()
    try:
        yield server
    finally:
        server.stop()
