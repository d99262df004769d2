"""`nacc submit` never duplicates a job: every submission carries an idempotency key, and
a connection dropped mid-request is retried with the same key (a real socket server)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nacc.cli.main import app


class DropFirst:
    """A one-thread HTTP server on loopback: it reads the first request and closes the
    connection without answering (a server killed mid-request), then answers 201."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.bodies: list[dict[str, object]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for n in range(2):
            conn, _ = self.sock.accept()
            with conn:
                _head, body = self._read(conn)
                self.bodies.append(json.loads(body))
                if n == 0:
                    continue  # dropped: no response at all
                out = json.dumps({"id": "j-1", "state": "pending"}).encode()
                conn.sendall(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (len(out), out))  # fmt: skip

    @staticmethod
    def _read(conn: socket.socket) -> tuple[bytes, bytes]:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))  # fmt: skip
        while len(body) < length:
            body += conn.recv(65536)
        return head, body


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[DropFirst, dict[str, str]]]:
    srv = DropFirst()
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps({"url": f"http://127.0.0.1:{srv.port}", "token": "t"}))
    yield srv, {"NACC_CONFIG": str(creds)}
    srv.sock.close()


def test_a_dropped_submission_is_retried_with_the_same_key(
    server: tuple[DropFirst, dict[str, str]],
) -> None:
    srv, env = server
    result = CliRunner().invoke(app, ["submit", "--project", "1", "--command", "true"], env=env)
    assert result.exit_code == 0, result.output
    assert "j-1" in result.output and "trying again (2/5)" in result.output
    first, second = srv.bodies
    assert first == second  # the same request, key included
    key = first["idempotency_key"]
    assert isinstance(key, str) and key.startswith("cli-") and len(key) > 20


def test_each_submission_gets_its_own_key_unless_one_is_given(
    server: tuple[DropFirst, dict[str, str]],
) -> None:
    srv, env = server
    args = ["submit", "--project", "1", "--command", "true", "--idempotency-key", "mine"]
    assert CliRunner().invoke(app, args, env=env).exit_code == 0
    assert [b["idempotency_key"] for b in srv.bodies] == ["mine", "mine"]


def test_nothing_listening_fails_clearly_after_the_retries(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    creds = tmp_path / "credentials.json"
    creds.write_text(json.dumps({"url": f"http://127.0.0.1:{port}", "token": "t"}))
    result = CliRunner().invoke(app, ["cancel", "j-1"], env={"NACC_CONFIG": str(creds)})
    assert result.exit_code == 2
    assert "cannot reach" in result.output and "trying again" not in result.output  # not safe


def test_login_refuses_a_token_with_line_breaks_or_spaces_and_an_unreachable_url(
    tmp_path: Path,
) -> None:
    env = {"NACC_CONFIG": str(tmp_path / "credentials.json")}
    for bad in ("nacc_a\nnacc_b", "nacc_a nacc_b", "  "):
        result = CliRunner().invoke(app, ["login", "--token", bad], env=env)
        assert result.exit_code == 2 and "one token" in result.output, result.output
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    result = CliRunner().invoke(app, ["login", "--url", url, "--token", "nacc_x"], env=env)
    assert result.exit_code == 2 and f"cannot reach {url}" in result.output
    assert not (tmp_path / "credentials.json").exists()
