"""The local outbox provider: the "own provider" route. Each letter's print-ready PDF and a JSON
sidecar land in `<home>/outbox/<order>/`; `manifest.json` lists the whole order.

A letter is written at most once: submit looks its reference up first, and both files are
written to a temporary name and renamed into place, so a crash leaves no half letter.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from domain.ports import Capabilities, ProviderEvent, ProviderLetter, ShipmentRequest


class OutboxProvider:
    key = "outbox"

    def __init__(self, root: Path, *, registered: bool = True) -> None:
        self.root = root
        self.capabilities = Capabilities(
            available=True, registered=registered, colour=True, duplex=True, countries=None,
            cancel_window="bis die Dateien abgeholt sind", profile="din5008b",
        )

    def _folder(self, order_key: str) -> Path:
        folder = self.root / order_key
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _sidecar(self, reference: str) -> Path:
        order_key = reference.rsplit("-", 1)[0]
        return self.root / order_key / f"{reference}.json"

    def lookup(self, reference: str) -> ProviderLetter | None:
        sidecar = self._sidecar(reference)
        if not sidecar.exists():
            return None
        entry = json.loads(sidecar.read_text("utf-8"))
        return ProviderLetter(reference, entry["provider_ref"], entry["status"], entry["sha256"])

    def submit(self, request: ShipmentRequest) -> ProviderLetter:
        existing = self.lookup(request.reference)
        if existing is not None:
            return existing
        folder = self._folder(request.order_key)
        _atomic_copy(request.pdf_path, folder / f"{request.reference}.pdf")
        entry = {
            "reference": request.reference,
            "provider_ref": f"outbox/{request.order_key}/{request.reference}",
            "status": "in_outbox",
            "file": f"{request.reference}.pdf",
            "sha256": request.sha256,
            "pages": request.pages,
            "recipient": request.recipient.model_dump(),
            "address_lines": request.recipient.window_lines(),
            "options": asdict(request.options),
            "submitted_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **request.extra,
        }
        _atomic_write(folder / f"{request.reference}.json", json.dumps(entry, ensure_ascii=False, indent=2))
        return ProviderLetter(request.reference, entry["provider_ref"], entry["status"], request.sha256)

    def cancel(self, letter: ProviderLetter) -> bool:
        """Moves the letter's files into `cancelled/`; the manifest then leaves it out."""
        sidecar = self._sidecar(letter.reference)
        if not sidecar.exists():
            return False
        cancelled = sidecar.parent / "cancelled"
        cancelled.mkdir(exist_ok=True)
        for path in (sidecar.with_suffix(".pdf"), sidecar):
            if path.exists():
                os.replace(path, cancelled / path.name)
        self.finish_order(sidecar.parent.name)
        return True

    def events(self, letter: ProviderLetter) -> list[ProviderEvent]:
        """The outbox knows nothing after hand-over: the own provider takes it from there."""
        return []

    def finish_order(self, order_key: str) -> None:
        folder = self._folder(order_key)
        letters = [json.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.json")) if path.name != "manifest.json"]
        manifest = {"order": order_key, "letters": len(letters), "pages": sum(e["pages"] for e in letters), "items": letters}
        _atomic_write(folder / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))


def _atomic_write(target: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent, delete=False, suffix=".tmp") as handle:
        handle.write(text)
    os.replace(handle.name, target)


def _atomic_copy(source: Path, target: Path) -> None:
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".tmp") as handle:
        with open(source, "rb") as original:
            shutil.copyfileobj(original, handle)
    os.replace(handle.name, target)
