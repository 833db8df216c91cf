"""A real S3-compatible server on 127.0.0.1 (moto's server mode) for the shared-staging tests."""

from __future__ import annotations

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


@dataclass(frozen=True)
class S3Server:
    """Where the server listens, and a bucket made on it."""

    endpoint: str
    bucket: str

    def url(self, prefix: str) -> str:
        """``s3://bucket/prefix``: a CITYRADAR_STAGING_URL on this server."""
        return f"s3://{self.bucket}/{prefix}"


@contextmanager
def s3_server(bucket: str = "cityradar-staging") -> Iterator[S3Server]:
    """Start moto's S3 server on a free loopback port with one empty bucket; stop it after.

    The caller points fsspec at it (``s3_endpoint``) and sets CREDENTIALS in the environment.
    """
    import boto3
    from moto.server import ThreadedMotoServer

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
