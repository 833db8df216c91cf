"""The sites' server: a client that hangs up first is no error of the server's."""

from __future__ import annotations

import socket
import time

from cityradar.demo.server import Canned, SiteServer


def test_a_client_that_hangs_up_before_the_body_leaves_nothing_on_stderr(capfd):
    body = b"x" * 4_000_000  # more than the socket buffers take: the write meets the hang-up
    with SiteServer([], {"/gone": Canned(403, body)}) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as client:
                client.sendall(b"GET /gone HTTP/1.1\r\nHost: x\r\n\r\n")
                assert client.recv(64).startswith(b"HTTP/1.0 403")
                # a reset, as a client closing with unread data sends
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        time.sleep(0.3)  # the server's threads meet the closed connection
        assert server.paths_requested() == ["/gone"] * 3
    assert capfd.readouterr().err == ""
