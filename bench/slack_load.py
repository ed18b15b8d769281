"""The Slack app under load, on loopback against the local Slack stand-in: one user clicking
through the pages of a 5,000-contact serial letter as fast as Slack lets them, while another
user opens the same letter. Prints one JSON line: seconds until every click is worked off, the
other user's wait for their letter, each click's acknowledgement (p50/p95) and the peak memory.

    python bench/slack_load.py [--clicks 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = {"drained_s": 20, "other_user_s": 1.5, "click_ack_p95_ms": 500}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=5000)
    arguments = parser.parse_args()
    from sqlmodel import Session

    from bot.settings import Settings
    from bot.slack.ids import Action
    from bot.slack.local import ANNA, CHANNEL, SABINE, TEAM, LocalSlack

    with tempfile.TemporaryDirectory() as home, LocalSlack(Settings(_env_file=None, home=Path(home))) as slack:
        with Session(slack.deps.wiring.engine) as session:
            serial_id = _big_letter(session, arguments.contacts, TEAM, SABINE.user_id)
        slack.sim.slash_command("/serienbrief", str(serial_id), user_id=SABINE.user_id, channel_id=CHANNEL)
        slack.settle()
        view_id = slack.top_view(SABINE.user_id)["id"]
        acks: list[float] = []
        other: dict[str, float] = {}

        def other_user() -> None:
            time.sleep(0.5)  # while the clicks pile up
            started = time.perf_counter()
            slack.sim.slash_command("/serienbrief", str(serial_id), user_id=ANNA.user_id, channel_id=CHANNEL)
            while "Seite 1/" not in json.dumps(slack.top_view(ANNA.user_id), ensure_ascii=False):
                time.sleep(0.01)
            other["seconds"] = time.perf_counter() - started

        started = time.perf_counter()
        watcher = threading.Thread(target=other_user)
        watcher.start()
        for _ in range(arguments.clicks):
            clicked = time.perf_counter()
            slack.sim.click(Action.PAGE_NEXT, user_id=SABINE.user_id, view_id=view_id)
            acks.append((time.perf_counter() - clicked) * 1000)
        slack.settle(300)
        drained = time.perf_counter() - started
        watcher.join(60)
    acks.sort()
    print(json.dumps({
        "clicks": arguments.clicks, "contacts": arguments.contacts, "drained_s": round(drained, 2),
        "other_user_s": round(other.get("seconds", float("nan")), 2),
        "click_ack_p50_ms": round(statistics.median(acks), 1), "click_ack_p95_ms": round(acks[int(len(acks) * 0.95) - 1], 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "target": TARGET}))


def _big_letter(session, contacts: int, team: str, user_id: str) -> int:  # noqa: ANN001 - a Session
    from domain.actors import Actor
    from domain.models import Contact, Occupancy, Organisation, Property, Relation, Staff, Unit
    from domain.services import documents

    org = Organisation(name="Hausverwaltung Sonnenschein", slack_team_id=team)
    session.add(org)
    session.flush()
    prop = Property(organisation_id=org.id, external_id="GROSS", name="Wohnpark Groß")
    session.add(prop)
    session.flush()
    units = [Unit(property_id=prop.id, external_id=f"E{i}", label=f"WE {i:04d}", position=i) for i in range(contacts)]
    people = [Contact(organisation_id=org.id, external_id=f"K{i}", name=f"Kontakt {i:04d}", street="Weg 1",
                      postcode="10115", city="Berlin") for i in range(contacts)]
    session.add_all(units + people)
    session.flush()
    session.add_all(Occupancy(unit_id=u.id, contact_id=c.id, relation=Relation.OWNER) for u, c in zip(units, people))
    staff = Staff(organisation_id=org.id, slack_user_id=user_id, name="Sabine")
    session.add(staff)
    session.commit()
    return documents.create_serial_letter(session, Actor.of(staff), prop.id, "Großer Serienbrief", ["Info"]).id


if __name__ == "__main__":
    main()
