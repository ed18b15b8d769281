"""The same contract for every storage backend: a local folder, and S3 spoken over HTTP to a real
S3 server on loopback (moto's standalone server, its own process)."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.integrations.s3 import S3Backend
from domain.storage import BlobCorrupt, BlobMissing, FileStore, LocalBackend, blob_key
from tests.s3server import client, new_bucket


@pytest.fixture(scope="module")
def bucket(s3: dict[str, str]) -> str:
    return new_bucket(s3)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LocalBackend | S3Backend]:
    if request.param == "local":
        yield LocalBackend(tmp_path / "store")
        return
    environment, bucket = request.getfixturevalue("s3"), request.getfixturevalue("bucket")
    yield S3Backend(f"s3://{bucket}/{uuid.uuid4().hex}", client=client(environment))


def store(backend: LocalBackend | S3Backend, tmp_path: Path, name: str = "work") -> FileStore:
    return FileStore(backend=backend, work=tmp_path / name)


def test_a_blob_is_stored_once_and_read_back_checked(backend, tmp_path: Path) -> None:
    files = store(backend, tmp_path)
    key = files.put(b"%PDF-1.7 Abrechnung WE 01")
    assert key == blob_key(hashlib.sha256(b"%PDF-1.7 Abrechnung WE 01").hexdigest())
    assert files.read(key) == b"%PDF-1.7 Abrechnung WE 01" and files.has(key)
    other = store(backend, tmp_path, "other")
    assert other.put(b"%PDF-1.7 Abrechnung WE 01") == key and other.created() == []  # claimed, not written
    assert [k for k, _ in files.blobs()] == [key]
    assert list((tmp_path / "work" / "tmp").iterdir()) == []


def test_a_failed_unit_of_work_removes_only_what_nobody_claimed(backend, tmp_path: Path) -> None:
    mine, theirs = store(backend, tmp_path), store(backend, tmp_path, "theirs")
    only_mine = mine.put(b"nur meins")
    shared = mine.put(b"geteilt")
    time.sleep(0.01)
    theirs.put(b"geteilt")
    named = mine.put(b"eingetragen")
    assert mine.discard_created(referenced={named}) == 1
    assert [mine.has(k) for k in (only_mine, shared, named)] == [False, True, True]


def test_the_grace_period_protects_recent_writes_and_claims(backend, tmp_path: Path) -> None:
    files = store(backend, tmp_path)
    key = files.put(b"frisch")
    assert files.remove_if_older(key, time.time_ns() - 60 * 10**9) is False and files.has(key)
    later = time.time_ns() + 1
    assert files.remove_if_older(key, later) is True and not files.has(key)


def test_missing_and_altered_blobs_are_named(backend, tmp_path: Path) -> None:
    files = store(backend, tmp_path)
    key = files.put(b"%PDF-1.7 original")
    lost = blob_key("ab" * 32)
    with pytest.raises(BlobMissing) as missing:
        files.local(lost)
    assert "fehlt" in missing.value.render("de") and backend.where in missing.value.render("de")
    _overwrite(backend, key, b"%PDF-1.7 anders")
    with pytest.raises(BlobCorrupt) as corrupt:
        store(backend, tmp_path, "fresh").local(key)
    assert "verändert" in corrupt.value.render("de")


def _overwrite(backend, key: str, data: bytes) -> None:
    """Someone changes a stored file behind briefwerk's back."""
    if isinstance(backend, LocalBackend):
        backend.local_path(key).write_bytes(data)
    else:
        backend.client.put_object(Bucket=backend.bucket, Key=backend._key(key), Body=data)


def test_named_objects_for_the_outbox(backend, tmp_path: Path) -> None:
    source = tmp_path / "brief.pdf"
    source.write_bytes(b"%PDF-1.7 Brief")
    backend.put_named("BW1-1/BW1-1-00001.pdf", source)
    assert source.exists()  # a copy: the blob it came from stays where it is
    backend.put_named("BW1-1/manifest.json", source)
    assert backend.get_named("BW1-1/BW1-1-00001.pdf") == b"%PDF-1.7 Brief"
    assert backend.names("BW1-1") == ["BW1-1/BW1-1-00001.pdf", "BW1-1/manifest.json"]
    backend.delete_named("BW1-1/BW1-1-00001.pdf")
    assert backend.get_named("BW1-1/BW1-1-00001.pdf") is None


def test_large_files_round_trip(backend, tmp_path: Path) -> None:
    """Above the multipart threshold on S3; read back through the cache and checked."""
    data = b"%PDF-1.7\n" + bytes(range(256)) * (80 * 1024)  # 20 MB
    staged = tmp_path / "gross.pdf"
    staged.write_bytes(data)
    files = store(backend, tmp_path)
    key = files.put_copy(staged, hashlib.sha256(data).hexdigest())
    assert store(backend, tmp_path, "elsewhere").read(key) == data


def test_object_storage_hands_out_time_limited_addresses(s3: dict[str, str], bucket: str, tmp_path: Path) -> None:
    backend = S3Backend(f"s3://{bucket}/links", client=client(s3))
    files = store(backend, tmp_path)
    key = files.put(b"%PDF-1.7 Download")
    url = files.url_for(key, "Abrechnung 2025.pdf", seconds=60)
    answer = httpx.get(url)
    assert answer.status_code == 200 and answer.content == b"%PDF-1.7 Download"
    assert "Abrechnung%202025.pdf" in answer.headers["content-disposition"]
    assert store(LocalBackend(tmp_path / "l"), tmp_path).url_for(key, "x.pdf", 60) is None  # served by the app
