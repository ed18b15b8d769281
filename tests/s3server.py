"""A real S3-speaking HTTP server on loopback for the tests: moto's standalone server, started as
its own process. Nothing patches the client; boto3 talks HTTP to it as it would to S3."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import httpx

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "briefwerk-test", "AWS_SECRET_ACCESS_KEY": "briefwerk-test-secret",
               "AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-central-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def s3_server() -> Iterator[dict[str, str]]:
    """Starts the server and yields the environment a process needs to use it (endpoint and
    credentials, as boto3 reads them)."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the S3 test server did not start") from None
                time.sleep(0.1)
        yield {"AWS_ENDPOINT_URL": endpoint, **CREDENTIALS}
    finally:
        process.terminate()
        process.wait(timeout=10)


def new_bucket(environment: dict[str, str]) -> str:
    name = f"briefwerk-{uuid.uuid4().hex[:12]}"
    client(environment).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return name


def client(environment: dict[str, str]):
    return boto3.client("s3", endpoint_url=environment["AWS_ENDPOINT_URL"],
                        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
                        region_name=environment["AWS_REGION"])


@contextmanager
def environment_of(values: dict[str, str]) -> Iterator[None]:
    """These variables set for this process while the block runs."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
