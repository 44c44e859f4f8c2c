"""Hostile input against the real server (uvicorn): oversized bodies are refused
before they are read whole, and a 1 MB header gets a 4xx or a closed connection,
never a 5xx or a hang. Transport-level behaviour does not depend on the database,
so one SQLite-backed server serves the module."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.server import ServerProcess, running_server

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
LIMIT = 10 * MiB


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory: Path = tmp_path_factory.mktemp("hostile-server")
    with running_server(directory) as process:
        yield process


@pytest.fixture(scope="module")
def api_key(server: ServerProcess) -> str:
    return server.create_workspace("Hostile", "enterprise")["apiKey"]


def _connect(server: ServerProcess) -> socket.socket:
    parts = urlsplit(server.base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    return sock


def _head(path: str, key: str, extra: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def _answer_arrived(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _read_answer(sock: socket.socket) -> bytes:
    """Headers and the JSON error body (or whatever came before the connection closed)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
            _, _, body = data.partition(b"\r\n\r\n")
            if b"}" in body:
                break
    except ConnectionResetError:
        pass
    return data


def _status_of(data: bytes) -> int:
    return int(data.split(b" ", 2)[1])


def _send_until_answered(sock: socket.socket, offered: int, chunk: bytes) -> tuple[int, bytes]:
    """Sends up to `offered` bytes, stopping as soon as the server answers; (sent, answer)."""
    sent = 0
    try:
        while sent < offered and not _answer_arrived(sock):
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent, _read_answer(sock)


def test_a_declared_content_length_over_the_limit_gets_413_before_the_body(
    server: ServerProcess, api_key: str
) -> None:
    with _connect(server) as sock:
        sock.sendall(_head("/api/v1/products", api_key, f"Content-Length: {64 * MiB}\r\n"))
        answer = _read_answer(sock)  # nothing of the body was sent
    assert _status_of(answer) == 413
    assert b'"error":"Payload too large"' in answer


def test_a_streamed_body_over_the_limit_gets_413_without_being_consumed_whole(
    server: ServerProcess, api_key: str
) -> None:
    offered = 64 * MiB
    piece = b" " * (256 * 1024)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    with _connect(server) as sock:
        sock.sendall(_head("/api/v1/products", api_key, "Transfer-Encoding: chunked\r\n"))
        sent, answer = _send_until_answered(sock, offered, chunk)
    assert _status_of(answer) == 413
    assert sent < offered / 2, f"the server read {sent} bytes before refusing"


def test_a_1_mb_header_gets_431_or_a_closed_connection(server: ServerProcess, api_key: str) -> None:
    request = (
        f"GET /api/v1/products HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {api_key}\r\n"
        f"X-Huge: {'a' * MiB}\r\n\r\n"
    ).encode()
    with _connect(server) as sock:
        try:
            sock.sendall(request)
            answer = _read_answer(sock)
        except (BrokenPipeError, ConnectionResetError):
            answer = b""
    if answer:  # or the connection was closed on us, which is fine too
        assert _status_of(answer) == 431, answer[:200]
        assert b'"error":"Request header fields too large"' in answer
    # Either way the server is still healthy.
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        assert _status_of(sock.recv(65536)) == 200
