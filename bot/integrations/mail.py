"""The file mailer: every email becomes an `.eml` file under `<home>/mail/`, readable by any
mail program. The default until SMTP is configured."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from domain.ports import FileStore


class FileMailer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sent: list[Path] = []

    def send(self, message: EmailMessage) -> None:
        message_id = re.sub(r"[^A-Za-z0-9.@_-]", "", str(message["Message-ID"]))
        path = self.folder / f"{message_id or len(self.sent)}.eml"
        FileStore(self.folder).write(path.name, message.as_bytes(policy=SMTP))
        self.sent.append(path)
