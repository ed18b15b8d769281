"""S3-compatible object storage as the storage backend (`BRIEFWERK_STORAGE_URL=s3://bucket/prefix`),
so several instances on different machines share every stored file. Endpoint, region and
credentials come from boto3's usual variables (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, profiles).

A claim is a copy of the object onto itself with a new `claimed` time in its metadata: a removal
reads that time first and keeps what was claimed after its cut-off. S3 offers no rename, so the
gap between that read and the delete is not closed as on a local disk; it is milliseconds wide,
and removals only ever concern blobs no committed row names.

Sources: boto3 S3 client reference (upload_file, download_file, copy_object with
MetadataDirective=REPLACE, head_object, list_objects_v2 paginator, generate_presigned_url),
boto3 TransferConfig for multipart uploads; checked 2026-11-30.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from domain.storage import BlobMissing

MULTIPART = TransferConfig(multipart_threshold=16 << 20, multipart_chunksize=16 << 20, max_concurrency=4)
NOT_THERE = frozenset({"404", "NoSuchKey", "NotFound"})
EXISTS = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict"})


def parse_url(url: str) -> tuple[str, str]:
    """s3://bucket/some/prefix -> ("bucket", "some/prefix/")."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3:// address: {url!r}")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


class S3Backend:
    def __init__(self, url: str, client: object | None = None) -> None:
        self.bucket, self.prefix = parse_url(url)
        self.where = url.rstrip("/")
        self.shared = True
        self.client = client or boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 5}))

    def sub(self, name: str) -> S3Backend:
        """The same bucket under a further prefix (e.g. the outbox)."""
        return S3Backend(f"s3://{self.bucket}/{self.prefix}{name}", client=self.client)

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _head(self, key: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in NOT_THERE:
                return None
            raise

    @staticmethod
    def _claimed(head: dict) -> int:
        claimed = (head.get("Metadata") or {}).get("claimed")
        if claimed and claimed.isdigit():
            return int(claimed)
        return int(head["LastModified"].timestamp() * 1e9)

    def place(self, key: str, staged: Path) -> tuple[bool, int]:
        """One conditional request for the usual case (a new, small blob): the storage itself
        refuses to overwrite (If-None-Match: *), and an existing blob is claimed instead."""
        claimed = time.time_ns()
        metadata = {"claimed": str(claimed)}
        if staged.stat().st_size >= MULTIPART.multipart_threshold:
            if self._head(key) is None:
                self.client.upload_file(str(staged), self.bucket, self._key(key), ExtraArgs={"Metadata": metadata},
                                        Config=MULTIPART)
                return True, claimed
        else:
            try:
                with open(staged, "rb") as body:
                    self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body, Metadata=metadata,
                                           IfNoneMatch="*")
                return True, claimed
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in EXISTS:
                    raise
        self.client.copy_object(Bucket=self.bucket, Key=self._key(key), Metadata=metadata,
                                CopySource={"Bucket": self.bucket, "Key": self._key(key)}, MetadataDirective="REPLACE")
        return False, claimed

    def fetch(self, key: str, target: Path) -> None:
        """One streamed GET (a ranged multipart download would first ask for the size)."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in NOT_THERE:
                raise BlobMissing(key, self.where) from None
            raise
        with body, open(target, "wb") as out:
            for chunk in body.iter_chunks(1 << 20):
                out.write(chunk)

    def local_path(self, key: str) -> Path | None:
        return None

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def remove_unclaimed(self, key: str, unclaimed: Callable[[int], bool]) -> bool:
        head = self._head(key)
        if head is None or not unclaimed(self._claimed(head)):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        return True

    def listing(self, prefix: str) -> Iterator[tuple[str, int]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(prefix))
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix):], int(item["LastModified"].timestamp() * 1e9)

    def put_named(self, name: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, self._key(name), Config=MULTIPART)

    def get_named(self, name: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in NOT_THERE:
                return None
            raise

    def delete_named(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def names(self, prefix: str) -> list[str]:
        return sorted(key for key, _ in self.listing(prefix))

    def url_for(self, key: str, filename: str, seconds: int) -> str | None:
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        return self.client.generate_presigned_url(
            "get_object", ExpiresIn=seconds,
            Params={"Bucket": self.bucket, "Key": self._key(key), "ResponseContentDisposition": disposition,
                    "ResponseContentType": "application/pdf"})
