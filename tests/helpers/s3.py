"""A real S3-compatible server on 127.0.0.1 (moto's server mode) for the shared-staging tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.helpers.network import free_port

# moto accepts any credentials; boto needs some to sign its requests
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "cityradar-test",
    "AWS_SECRET_ACCESS_KEY": "cityradar-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def use_endpoint(monkeypatch, endpoint: str) -> None:
    """Point this process's fsspec and boto at the server, as an operator would configure them
    (fsspec's options for the endpoint, the usual AWS variables for credentials)."""
    import fsspec.config

    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(fsspec.config.conf, "s3", {"endpoint_url": endpoint})


@dataclass(frozen=True)
class S3Server:
    """Where the server listens, and a bucket made on it."""

    endpoint: str
    bucket: str

    def url(self, prefix: str) -> str:
        """``s3://bucket/prefix``: a CITYRADAR_STAGING_URL on this server."""
        return f"s3://{self.bucket}/{prefix}"


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """Start moto's S3 server on a free loopback port with one empty bucket; stop it after.

    The bucket's name is new each time: moto's servers in one process share what they store,
    so a test that left batches behind would otherwise hand them to the next.

    The caller points fsspec at it (``s3_endpoint``) and sets CREDENTIALS in the environment.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    bucket = f"cityradar-staging-{uuid.uuid4().hex[:8]}"
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        )
        client.create_bucket(Bucket=bucket)
        yield S3Server(endpoint=endpoint, bucket=bucket)
    finally:
        server.stop()


class StallingProxy:
    """An HTTP proxy on 127.0.0.1 in front of the S3 server that forwards ``put_budget`` PUT
    requests of batch files (``…/batches/…``; leases and markers pass), then stops answering
    (the connection stays open, as when a network drops mid-upload): ``stalled`` is set at that
    moment. A crawl machine killed then has uploaded part of a batch, at a known point."""

    def __init__(self, upstream: str, put_budget: int) -> None:
        import http.server
        import threading
        from urllib.parse import urlsplit

        self.stalled = threading.Event()
        self._release = threading.Event()
        self._puts = 0
        self._lock = threading.Lock()
        target = urlsplit(upstream)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _forward(self) -> None:
                import http.client

                if self.command == "PUT" and "/batches/" in self.path:
                    with proxy._lock:
                        proxy._puts += 1
                        over = proxy._puts > put_budget
                    if over:
                        proxy.stalled.set()
                        proxy._release.wait()  # never answered while the test runs
                        return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream_conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                upstream_conn.request(self.command, self.path, body, dict(self.headers))
                answer = upstream_conn.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                kept = ("transfer-encoding", "connection", "content-length")
                for name, value in answer.getheaders():
                    if name.lower() not in kept:
                        self.send_header(name, value)
                # a HEAD's length is the object's, and it has no body
                length = answer.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream_conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StallingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
