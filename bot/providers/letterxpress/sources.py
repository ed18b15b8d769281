"""What the LetterXpress client and stand-in follow, and when it was read."""

from __future__ import annotations

from bot.providers.plugin import Source

SOURCES = (
    Source("https://www.letterxpress.de/briefe-uebertragen/api", "LXP API v3: JSON, username + API key, 50 MB", None),
    Source("https://github.com/emuuu/Parcel.NET/pull/50",
           "auth inside every body, /printjobs create/list/show/delete, 15 jobs a page, Berlin times", None),
    Source("shared/FIELD-NOTES.md", "registered mail national only, 120 requests a minute", None),
    Source("issue 13 (LetterXpress FAQ as quoted there)",
           "cancel within 15 minutes of upload, shorter after 15:45, hand-over 16:00; `hold` = no credit", None),
)
