"""The local outbox provider: the "own provider" route. Each letter's print-ready PDF and a JSON
sidecar land in `outbox/<order>/` of the storage (a folder, `<home>/outbox` by default, or the
object storage); `manifest.json` lists the whole order.

A letter is written at most once: submit looks its reference up first, and every object is
written whole (a rename into place, or one upload), so a crash leaves no half letter.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from bot.providers.outbox.capabilities import capabilities
from domain.ports import PriceQuery, ProviderEvent, ProviderLetter, ShipmentRequest
from domain.storage import Backend, LocalBackend

MANIFEST = "manifest.json"


class OutboxProvider:
    key = "outbox"

    def __init__(self, storage: Backend | Path, *, registered: bool = True) -> None:
        self.storage = LocalBackend(storage) if isinstance(storage, Path) else storage
        self.capabilities = capabilities(registered)

    @property
    def where(self) -> str:
        return self.storage.where

    def _sidecar(self, reference: str) -> str:
        order_key = reference.rsplit("-", 1)[0]
        return f"{order_key}/{reference}.json"

    def lookup(self, reference: str, since: datetime | None = None) -> ProviderLetter | None:
        """One named object per letter: found directly, whatever `since` says."""
        data = self.storage.get_named(self._sidecar(reference))
        if data is None:
            return None
        entry = json.loads(data)
        return ProviderLetter(reference, entry["provider_ref"], entry["status"], entry["sha256"])

    def status(self, letter: ProviderLetter) -> ProviderLetter | None:
        return self.lookup(letter.reference)

    def submit(self, request: ShipmentRequest) -> ProviderLetter:
        existing = self.lookup(request.reference)
        if existing is not None:
            return existing
        self.storage.put_named(f"{request.order_key}/{request.reference}.pdf", request.pdf_path)
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
        self._put_text(self._sidecar(request.reference), json.dumps(entry, ensure_ascii=False, indent=2))
        return ProviderLetter(request.reference, entry["provider_ref"], entry["status"], request.sha256)

    def cancel(self, letter: ProviderLetter) -> bool:
        """Moves the letter's files into `cancelled/`; the manifest then leaves it out."""
        sidecar = self._sidecar(letter.reference)
        order_key, name = sidecar.split("/", 1)
        entry = self.storage.get_named(sidecar)
        if entry is None:
            return False
        pdf = sidecar.removesuffix(".json") + ".pdf"
        data = self.storage.get_named(pdf)
        if data is not None:
            self._put_bytes(f"{order_key}/cancelled/{name.removesuffix('.json')}.pdf", data)
            self.storage.delete_named(pdf)
        self._put_bytes(f"{order_key}/cancelled/{name}", entry)
        self.storage.delete_named(sidecar)
        self.finish_order(order_key)
        return True

    def events(self, letter: ProviderLetter) -> list[ProviderEvent]:
        """The outbox knows nothing after hand-over: the own provider takes it from there."""
        return []

    def price(self, query: PriceQuery) -> int | None:
        """The own provider's prices are the company's business: our table estimates."""
        return None

    def finish_order(self, order_key: str) -> None:
        sidecars = [name for name in self.storage.names(order_key)
                    if name.endswith(".json") and name.count("/") == 1 and not name.endswith(MANIFEST)]
        letters = [json.loads(self.storage.get_named(name) or b"{}") for name in sidecars]
        manifest = {"order": order_key, "letters": len(letters), "pages": sum(e["pages"] for e in letters), "items": letters}
        self._put_text(f"{order_key}/{MANIFEST}", json.dumps(manifest, ensure_ascii=False, indent=2))

    def _put_text(self, name: str, text: str) -> None:
        self._put_bytes(name, text.encode("utf-8"))

    def _put_bytes(self, name: str, data: bytes) -> None:
        with tempfile.NamedTemporaryFile(delete=False, suffix=".tmp") as handle:
            handle.write(data)
        staged = Path(handle.name)
        try:
            self.storage.put_named(name, staged)
        finally:
            staged.unlink(missing_ok=True)
