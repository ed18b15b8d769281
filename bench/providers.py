"""Lookup cost against the provider stand-ins as their history grows: a letter handed over a
minute ago is looked up among 100 … 100,000 older letters. The cost must stay flat, because a
lookup reads back only to when our first attempt began.

    .venv/bin/python bench/providers.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.integrations.http import RetryPolicy
from bot.providers.letterxpress.client import LetterXpressProvider
from bot.providers.letterxpress.settings import LetterXpressConfig
from bot.providers.letterxpress.standin import LetterXpressStandIn
from bot.providers.pingen.client import PingenProvider
from bot.providers.pingen.settings import PingenConfig
from bot.providers.pingen.standin import PingenStandIn
from domain.addresses import PostalAddress
from domain.ports import PrintOptions, Provider, ShipmentRequest

SIZES = (100, 1_000, 10_000, 100_000)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REFERENCE = "BW1-1-00001"


def request(folder: Path, since: datetime) -> ShipmentRequest:
    path = folder / f"{REFERENCE}.pdf"
    path.write_bytes(PDF)
    recipient = PostalAddress(name="Anna Müller", street="Lindenallee 12", postcode="10115", city="Berlin")
    return ShipmentRequest(reference=REFERENCE, order_key="BW1-1", recipient=recipient, pdf_path=path,
                           sha256=hashlib.sha256(PDF).hexdigest(), pages=1, options=PrintOptions(), since=since)


def pingen(history: int, now: datetime) -> tuple[PingenStandIn, Provider]:
    standin = PingenStandIn().start()
    standin.add_history(history, before=now - timedelta(days=1))
    config = PingenConfig(client_id=standin.client_id, client_secret=standin.client_secret,
                          organisation_id=standin.organisation_id, api_url=standin.base_url,
                          identity_url=standin.base_url, retry=RetryPolicy(attempts=1))
    return standin, PingenProvider(config)


def letterxpress(history: int, now: datetime) -> tuple[LetterXpressStandIn, Provider]:
    standin = LetterXpressStandIn().start()
    standin.add_history(history, before=now - timedelta(days=1))
    config = LetterXpressConfig(username=standin.username, api_key=standin.api_key, mode="live",
                                api_url=standin.base_url, min_interval=0.0, retry=RetryPolicy(attempts=1))
    return standin, LetterXpressProvider(config)


def measure(build: Callable[[int, datetime], tuple[object, Provider]], history: int, repeat: int) -> tuple[float, int]:
    """Median milliseconds per lookup, and the requests one lookup makes."""
    now = datetime.now(UTC)
    since = now - timedelta(minutes=10)
    standin, provider = build(history, now)
    try:
        with tempfile.TemporaryDirectory() as folder:
            provider.submit(request(Path(folder), since))
        provider.lookup(REFERENCE, since)  # warm: token, connection
        before = len(standin.calls)  # type: ignore[attr-defined]
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            assert provider.lookup(REFERENCE, since) is not None
            times.append((time.perf_counter() - started) * 1000)
        requests = (len(standin.calls) - before) // repeat  # type: ignore[attr-defined]
        return statistics.median(times), requests
    finally:
        standin.stop()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"{'provider':<14}{'history':>10}{'ms/lookup':>12}{'requests':>10}")
    for name, build in (("Pingen", pingen), ("LetterXpress", letterxpress)):
        for size in SIZES:
            millis, requests = measure(build, size, args.repeat)
            print(f"{name:<14}{size:>10,}{millis:>12.1f}{requests:>10}")


if __name__ == "__main__":
    main()
