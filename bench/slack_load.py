"""The Slack app under load, on loopback against the local Slack stand-in.

1. Acks: 500 signed `/serienbrief` commands, 50 at a time, to briefwerk and to a bare Bolt app
   on the same server stack (uvicorn, the same events route) whose command acks and opens a
   one-block modal; rounds alternate so both see the same machine. p50/p95/p99 of each.
2. Page clicks: one user clicking through the pages of a 5,000-contact serial letter as fast as
   Slack lets them, while another user opens the same letter: seconds until every click is worked
   off, the other user's wait, each click's acknowledgement (p50/p95).

Prints one JSON line with both and the peak memory.

    python bench/slack_load.py [--commands 500] [--concurrency 50] [--clicks 200]
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

TARGET = {"ack_p99_vs_bare": 1.3, "drained_s": 20, "other_user_s": 1.5, "click_ack_p95_ms": 500}
BARE_MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Bare"},
              "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=5000)
    arguments = parser.parse_args()
    from sqlmodel import Session

    from bot.settings import Settings
    from bot.slack.local import SABINE, TEAM, LocalSlack

    with tempfile.TemporaryDirectory() as home, LocalSlack(Settings(_env_file=None, home=Path(home))) as slack:
        with Session(slack.deps.wiring.engine) as session:
            serial_id = _big_letter(session, arguments.contacts, TEAM, SABINE.user_id)
        acks = _command_acks(slack, arguments.commands, arguments.concurrency)
        clicks = _page_clicks(slack, serial_id, arguments.clicks)
    print(json.dumps({**acks, **clicks, "contacts": arguments.contacts,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "target": TARGET}))


def _command_acks(slack, commands: int, concurrency: int) -> dict:  # noqa: ANN001 - a LocalSlack
    """Rounds of `concurrency` commands at a time, bare and briefwerk alternating."""
    bare_url = _bare_app(slack)
    times: dict[str, list[float]] = {"bare": [], "briefwerk": []}
    rounds = 4
    for _ in range(rounds):
        for name, url in (("bare", bare_url), ("briefwerk", f"{slack.url}/slack/events")):
            times[name] += _fire(slack, url, commands // rounds, concurrency)
            slack.settle(120)
    result = {"commands": commands, "concurrency": concurrency}
    for name, values in times.items():
        values.sort()
        for q in (50, 95, 99):
            result[f"{name}_ack_p{q}_ms"] = round(values[min(len(values) - 1, int(len(values) * q / 100))], 1)
    result["ack_p99_vs_bare"] = round(result["briefwerk_ack_p99_ms"] / result["bare_ack_p99_ms"], 2)
    return result


def _fire(slack, url: str, count: int, concurrency: int) -> list[float]:  # noqa: ANN001 - a LocalSlack
    """`count` signed `/serienbrief` posts, `concurrency` in flight; milliseconds until each ack."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from bot.slack.local import CHANNEL, SABINE, SIGNING_SECRET, TEAM
    from bot.slackstandin.requests import sign, slash_command

    standin = slack.standin
    client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=concurrency))

    def one(_: int) -> float:
        request = slash_command(
            command="/serienbrief", text="", user_id=SABINE.user_id, user_name="sabine", team_id=TEAM,
            team_domain="sonnenschein", channel_id=CHANNEL, channel_name="serienbriefe",
            trigger_id=standin.new_trigger_id(SABINE.user_id, team_id=TEAM),
            response_url=standin.new_response_url(CHANNEL, SABINE.user_id, team_id=TEAM), api_app_id=standin.app_id)
        headers = {"Content-Type": request.content_type, **sign(request.body, SIGNING_SECRET, int(time.time()))}
        started = time.perf_counter()
        answer = client.post(url, content=request.body, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")
        return elapsed

    with client, ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(count)))


def _bare_app(slack) -> str:  # noqa: ANN001 - a LocalSlack
    """A Bolt app with one command that acks and opens a one-block modal, behind the same events
    route and uvicorn as briefwerk; returns its events URL."""
    import uvicorn
    from slack_bolt import App

    from bot.server import asgi_app
    from bot.slack.app import SlackDeps, slack_client
    from bot.slack.local import BOT_TOKEN, SIGNING_SECRET, free_port
    from bot.wiring import Wiring

    bare = App(signing_secret=SIGNING_SECRET, client=slack_client(BOT_TOKEN, slack.standin.api_url))

    @bare.command("/serienbrief")
    def command(ack, body, client) -> None:  # noqa: ANN001 - Bolt's arguments
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=BARE_MODAL)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(asgi_app(bare, SlackDeps(Wiring(slack.settings))), host="127.0.0.1",
                                           port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True, name="bare-bolt").start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}/slack/events"


def _page_clicks(slack, serial_id: int, clicks: int) -> dict:  # noqa: ANN001 - a LocalSlack
    from bot.slack.ids import Action
    from bot.slack.local import ANNA, CHANNEL, SABINE

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
    for _ in range(clicks):
        clicked = time.perf_counter()
        slack.sim.click(Action.PAGE_NEXT, user_id=SABINE.user_id, view_id=view_id)
        acks.append((time.perf_counter() - clicked) * 1000)
    slack.settle(300)
    drained = time.perf_counter() - started
    watcher.join(60)
    acks.sort()
    return {"clicks": clicks, "drained_s": round(drained, 2), "other_user_s": round(other.get("seconds", float("nan")), 2),
            "click_ack_p50_ms": round(statistics.median(acks), 1), "click_ack_p95_ms": round(acks[int(len(acks) * 0.95) - 1], 1)}


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
