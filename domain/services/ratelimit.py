"""Counting requests per key in fixed windows, in the database so every instance shares the
count, with one atomic `INSERT … ON CONFLICT DO UPDATE … RETURNING` per request."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from domain.models import RateCount


def allowed(session: Session, key: str, now: datetime, window: timedelta, limit: int) -> bool:
    """Counts this request and says whether it is within the limit; commits at once, so the count
    stands even if the caller's work fails afterwards."""
    seconds = int(window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(RateCount).values(key=key[:300], window_start=start, count=1)
    upsert = upsert.on_conflict_do_update(index_elements=["key", "window_start"],
                                          set_={"count": RateCount.count + 1}).returning(RateCount.count)
    count = session.execute(upsert).scalar_one()
    session.commit()
    return count <= limit


def purge(session: Session, before: datetime) -> int:
    removed = session.exec(delete(RateCount).where(col(RateCount.window_start) < before)).rowcount
    session.commit()
    return removed
