"""A real mosquitto broker for tests (a pytest plugin: ``pytest_plugins = [...]``).

The process itself (config file, start, stop) is the benchmark's
:class:`benchmarks.sensors.broker.MosquittoProcess`; this module adds the listeners.
The broker listens on free loopback ports: one anonymous, one that needs the user
``alice`` with password ``s3cret`` (a mosquitto password file) and, when ``openssl`` is
installed, one with TLS (a throw-away CA in the work directory). It persists sessions to a
temp directory, so a stop/start on the same ports keeps QoS 1 queues, and it allows bursts:
unlimited queued messages and packets up to 20 MB (``max_packet_size`` replaces
``message_size_limit`` in mosquitto 2).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.sensors.broker import MOSQUITTO, MosquittoProcess, free_port

USER, PASSWORD = "alice", "s3cret"


class Broker(MosquittoProcess):
    """mosquitto with anonymous, password and (with openssl) TLS listeners, persisting sessions."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.auth_port, self.tls_port = free_port(), free_port()
        self.user, self.password = USER, PASSWORD
        passwords = workdir / "passwords"
        self._make_password_file(passwords)
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
        self.write_config(lines)

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
