"""Files users put into a modal's file input: fetched from Slack with the bot token, streamed to
the store's staging folder under a size limit. Only Slack's own hosts ever see the token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel
from slack_sdk import WebClient

from domain.errors import InvalidInput
from domain.uploads import Upload, copy_limited


class SlackFile(BaseModel):
    """What a modal remembers of an uploaded file, to fetch it (again) later."""

    name: str
    url: str
    size: int = 0

    @classmethod
    def of(cls, file: dict[str, Any]) -> SlackFile:
        return cls(name=file.get("name") or file.get("title") or file.get("id", "Datei"),
                   url=file.get("url_private_download") or file["url_private"], size=int(file.get("size") or 0))


def uploaded(values: dict[str, Any], block_id: str, action_id: str = "file") -> list[SlackFile]:
    """The files of a submitted file input."""
    state = values.get(block_id, {}).get(action_id, {})
    return [SlackFile.of(file) for file in state.get("files") or []]


def trusted(url: str, api_url: str) -> bool:
    """slack.com and its subdomains, or the host the app's Web API calls go to (the stand-in)."""
    host = (urlsplit(url).hostname or "").lower()
    own = (urlsplit(api_url).hostname or "").lower()
    return host == own or host == "slack.com" or host.endswith(".slack.com")


def fetch(client: WebClient, api_url: str, file: SlackFile, stage: Callable[[], Path], limit: int) -> Upload:
    if not trusted(file.url, api_url):
        raise InvalidInput("slack.file_host", filename=file.name)
    if file.size > limit:
        raise InvalidInput("upload.too_large", filename=file.name, limit=limit >> 20)
    path = stage()
    try:
        with httpx.stream("GET", file.url, headers={"Authorization": f"Bearer {client.token}"},
                          follow_redirects=True, timeout=120) as response:
            if response.status_code != 200:
                raise InvalidInput("slack.file_unavailable", filename=file.name, status=response.status_code)
            size = copy_limited(response.iter_bytes(1 << 20), path, file.name, limit)
    except httpx.HTTPError as error:
        path.unlink(missing_ok=True)
        raise InvalidInput("slack.file_unavailable", filename=file.name, status=type(error).__name__) from error
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Upload(file.name, path, size)
