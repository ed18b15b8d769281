"""Logging for `serve` and `worker`: every line passes one filter that removes secrets, so a
sign-in token, download link or OAuth code in a request path never reaches a log file."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

REDACTED = "[…]"
# path segments that are credentials: sign-in links, download links, portal document ids
_SECRET_SEGMENT = re.compile(r"(/(?:login|links|d)/)[^/?#\s\"]+")
# query values that are credentials (OAuth code and state, tokens)
_SECRET_QUERY = re.compile(r"([?&](?:code|state|token|key)=)[^&#\s\"]+", re.IGNORECASE)
# anything shaped like one of our tokens or an API key, wherever it appears
_TOKEN_SHAPED = re.compile(r"\b(?:bw_[\w-]{20,}|xox[a-z]-[\w-]{10,}|[A-Za-z0-9_-]{40,})")


def redacted(text: str) -> str:
    text = _SECRET_SEGMENT.sub(rf"\1{REDACTED}", text)
    text = _SECRET_QUERY.sub(rf"\1{REDACTED}", text)
    return _TOKEN_SHAPED.sub(REDACTED, text)


class RedactSecrets(logging.Filter):
    """Redacts the message and each of its arguments in place, keeping the record's shape:
    uvicorn's access formatter reads the arguments (client, method, path, …) itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redacted(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redacted(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own configuration, with the filter on every handler and the root logger (our
    modules' records) sent through the same handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": RedactSecrets}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["root"] = {"handlers": ["default"], "level": "INFO"}
    return config


def configure_plain_logging() -> None:
    """For processes without uvicorn (the worker): INFO to stderr through the same filter."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactSecrets())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
