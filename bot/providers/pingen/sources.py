"""What the Pingen client and stand-in follow, and when it was read. The API reference itself
(https://api.pingen.com/documentation) could not be read from here; Pingen's SDKs implement it."""

from __future__ import annotations

from datetime import date

from bot.providers.plugin import Source

CHECKED = date(2026, 11, 30)

SOURCES = (
    Source("github.com/pingencom/pingen2-sdk-js src/resources/letters/letters.ts @7f130e2",
           "letters under /organisations/{org}/deliveries/letters: create, show, list, cancel, price-calculator",
           CHECKED),
    Source("github.com/pingencom/pingen2-sdk-js src/resources/events/letter-events.ts @4235a30",
           "letter events under …/deliveries/letters/{id}/events", CHECKED),
    Source("github.com/pingencom/pingen2-sdk-js src/utils/idempotency.ts @7f130e2",
           "Idempotency-Key: a fresh UUID per logical request, repeated on its retries", CHECKED),
    Source("github.com/pingencom/pingen2-sdk-python pingen2sdk/api_resources/letters.py @87dc496",
           "the older /organisations/{org}/letters paths (the stored version has not moved yet)", CHECKED),
    Source("github.com/pingencom/pingen2-sdk-php src/Endpoints/LettersEndpoint.php @1bc1433",
           "the older /organisations/{org}/letters paths (the stored version has not moved yet)", CHECKED),
    Source("github.com/pingencom/pingen2-sdk-js src/common/webhook-event.ts @7f130e2",
           "webhook attributes reason, url, created_at; relationships organisation, letter, event", CHECKED),
    Source("https://api.pingen.com/documentation#section/Authentication", "OAuth2 client credentials", None),
    Source("https://help.pingen.com/en/templates-and-postal-requirements/letter-standards",
           "A4, 8 MB, address area, pages per country; cancellable until printing", None),
    Source("AMANDA-Technology/PingenApiNet LetterStates.cs, LetterEventCodes.cs",
           "letter statuses and event codes (copied from Pingen's web app, not the reference)", None),
)
