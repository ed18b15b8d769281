"""Two instances without a shared disk: two `briefwerk serve` and two `briefwerk worker`
processes, each with its own empty home, on one PostgreSQL database and one S3 storage (a real
S3-speaking server on loopback). Requests alternate between the instances; every letter is
handed over exactly once and every download works from either instance. An instance that does
not see the storage refuses to start."""

from __future__ import annotations

import json
import os
import quopri
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.slack.ids import Action, Block
from bot.slack.local import BOT_TOKEN, CHANNEL, SABINE, SIGNING_SECRET, TEAM, free_port, set_up_workspace
from bot.slackstandin import SlackClientSim, SlackStandIn
from domain.models import Event, LetterState, SerialLetter, Shipment, ShipmentState
from domain.pdf.assemble import concatenate
from tests.factories import a_zip, attachment, unit_letter
from tests.s3server import client, new_bucket

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kontakte.csv"


def wait_for(what: Callable[[], object], seconds: float = 60, every: float = 0.2) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"gave up waiting after {seconds} s")


class Instances:
    """Starts and stops the processes of one journey."""

    def __init__(self, base: dict[str, str], tmp_path: Path) -> None:
        self.base, self.tmp_path, self.processes = base, tmp_path, []

    def env(self, name: str, **extra: str) -> dict[str, str]:
        home = self.tmp_path / name
        home.mkdir(exist_ok=True)
        return {**self.base, "BRIEFWERK_HOME": str(home), **extra}

    def start(self, name: str, *args: str, **extra: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "wb")
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=self.env(name, **extra),
                                   cwd=self.tmp_path, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def serve(self, name: str) -> str:
        port = free_port()
        process = self.start(name, "serve", BRIEFWERK_PORT=str(port), BRIEFWERK_SCHEDULER_IN_PROCESS="false",
                             BRIEFWERK_PUBLIC_URL=f"http://127.0.0.1:{port}")
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            if process.poll() is not None:
                raise AssertionError((self.tmp_path / f"{name}.log").read_text()[-3000:])
            try:
                return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, 60)
        return url

    def run(self, name: str, *args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=self.env(name, **extra), cwd=self.tmp_path,
                              capture_output=True, text=True, timeout=120)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def journey(postgresql_engine: Engine, s3: dict[str, str], tmp_path: Path) -> Iterator[tuple[Instances, SlackStandIn, Engine, str]]:
    from tests.conftest import empty_tables

    empty_tables(postgresql_engine)
    bucket = new_bucket(s3)
    standin = SlackStandIn()
    standin.start()
    set_up_workspace(standin)
    base = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BRIEFWERK_"))}, **s3,
            "BRIEFWERK_DATABASE_URL": postgresql_engine.url.render_as_string(hide_password=False),
            "BRIEFWERK_STORAGE_URL": f"s3://{bucket}/hv", "BRIEFWERK_SLACK_API_URL": standin.api_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "BRIEFWERK_POLL_SECONDS": "2",
            "BRIEFWERK_PRINT_WORKERS": "1", "BRIEFWERK_LOCALE": "de"}
    instances = Instances(base, tmp_path)
    try:
        yield instances, standin, postgresql_engine, bucket
    finally:
        instances.stop()
        standin.stop()


def test_two_instances_without_a_shared_disk(journey, s3: dict[str, str]) -> None:
    instances, standin, engine, bucket = journey
    a, b = instances.serve("a"), instances.serve("b")
    instances.start("worker-1", "worker", "--id", "w1")
    instances.start("worker-2", "worker", "--id", "w2")
    token = instances.run("cli", "api-key", "create", "ERP").stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}

    # the ERP pushes master data to one instance and the serial letter to the other
    assert httpx.post(f"{a}/api/v1/imports", headers=auth, files={"file": ("k.csv", EXAMPLE.read_bytes())}).status_code == 200
    batch = concatenate([unit_letter(["x"], label, 2) for label in ("WE 01", "WE 02", "TG 01", "WE 03")])
    plans = a_zip({f"Plan_{label.replace(' ', '_')}.pdf": unit_letter(["x"], label, 1)
                   for label in ("WE 01", "WE 02", "TG 01", "WE 03")})
    created = httpx.post(f"{b}/api/v1/serial-letters", headers=auth, timeout=120, data={
        "property": "LH12", "title": "Abrechnung 2025", "attachments": '["Einladung.pdf"]',
        "documents": json.dumps([{"type": "Hausgeldabrechnung", "files": ["h.pdf"]},
                                 {"type": "Wirtschaftsplan", "files": ["p.zip"], "split": {"method": "files"}}])},
        files=[("files", ("h.pdf", batch)), ("files", ("p.zip", plans)), ("files", ("Einladung.pdf", attachment(2)))])
    assert created.status_code == 201, created.text
    serial_id = created.json()["id"]
    assert httpx.get(f"{a}/api/v1/serial-letters/{serial_id}", headers=auth).json()["complete"]

    # Slack: the overview on A, the release through B, the dispatch through A, the order through B
    sim_a = SlackClientSim(f"{a}/slack/events", SIGNING_SECRET, standin, team_id=TEAM, timeout=30)
    sim_b = SlackClientSim(f"{b}/slack/events", SIGNING_SECRET, standin, team_id=TEAM, timeout=30)
    top = lambda: (standin.modal_stack(SABINE.user_id) or [{}])[-1]  # noqa: E731
    sim_a.slash_command("/serienbrief", str(serial_id), user_id=SABINE.user_id, channel_id=CHANNEL)
    wait_for(lambda: "Dokumente bearbeiten" in json.dumps(top(), ensure_ascii=False))
    sim_b.click(Action.OPEN_RELEASE, user_id=SABINE.user_id, view_id=top()["id"])
    wait_for(lambda: top().get("callback_id") == "bw_release")
    sim_b.submit(top()["id"], user_id=SABINE.user_id, values={Block.NOTIFY: []})

    def state() -> LetterState:
        with Session(engine) as session:
            return session.get(SerialLetter, serial_id).state

    wait_for(lambda: state() is LetterState.RELEASED)
    wait_for(lambda: Action.OPEN_DISPATCH.value in json.dumps(top()))  # the overview shows the release
    sim_a.click(Action.OPEN_DISPATCH, user_id=SABINE.user_id, view_id=top()["id"])
    wait_for(lambda: "Briefversand beauftragen" in json.dumps(top(), ensure_ascii=False))

    # a download link asked for on A is served by B (from the object storage)
    sim_a.click(Action.REQUEST_LINK, user_id=SABINE.user_id, view_id=top()["id"])
    mail = wait_for(lambda: next((instances.tmp_path / "a" / "mail").glob("*.eml"), None), 120)
    link = re.search(r"/links/([\w-]+)", quopri.decodestring(mail.read_bytes()).decode()).group(1)
    download = httpx.get(f"{b}/links/{link}", follow_redirects=True, timeout=30)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")

    sim_b.click(Action.ORDER, user_id=SABINE.user_id, view_id=top()["id"])

    def shipments() -> list[Shipment]:
        with Session(engine) as session:
            return list(session.exec(select(Shipment).where(Shipment.serial_letter_id == serial_id)))

    wait_for(lambda: shipments() and all(s.state is ShipmentState.SUBMITTED for s in shipments()), 120)
    with Session(engine) as session:
        handed = session.exec(select(Event.shipment_id).where(Event.kind == "shipment_submitted")).all()
    assert sorted(handed) == sorted(s.id for s in shipments())  # each exactly once

    def manifest() -> str | None:  # written when the order is finished, just after the last hand-over
        objects = client(s3).list_objects_v2(Bucket=bucket, Prefix="hv/outbox/").get("Contents", [])
        return next((o["Key"] for o in objects if o["Key"].endswith("manifest.json")), None)

    manifest = wait_for(manifest, 60)
    listed = json.loads(client(s3).get_object(Bucket=bucket, Key=manifest)["Body"].read())
    assert listed["letters"] == len(shipments())
    assert not list((instances.tmp_path / "a").glob("outbox/**/*.pdf"))  # nothing on an instance's own disk

    # a contact signs in to the portal on A and opens a document; no credential reaches a log
    portal = httpx.Client(base_url=a, headers={"Origin": a}, timeout=30)
    assert portal.post("/portal/sign-in", data={"email": "anna.schaefer@example.de"}).status_code == 303

    def sign_in_mail() -> str | None:
        texts = (quopri.decodestring(m.read_bytes()).decode() for m in (instances.tmp_path / "a" / "mail").glob("*.eml"))
        return next((text for text in texts if "/portal/login/" in text), None)

    login_token = re.search(r"/portal/login/([\w-]+)", wait_for(sign_in_mail)).group(1)
    assert portal.get(f"/portal/login/{login_token}").status_code == 200
    assert portal.post("/portal/login", data={"token": login_token}).status_code == 303
    document_ids = re.findall(r"/portal/d/([\w-]+)", portal.get("/portal/documents").text)
    assert document_ids and portal.get(f"/portal/d/{document_ids[0]}").status_code == 200
    httpx.get(f"{a}/slack/oauth_redirect", params={"code": "4711.oauth-code-0815", "state": "state-secret-0815"})
    credentials = [token, link, login_token, portal.cookies["briefwerk_portal"], *document_ids,
                   "4711.oauth-code-0815", "state-secret-0815"]
    logs = "".join(log.read_text(errors="replace") for log in instances.tmp_path.glob("*.log"))
    assert re.search(r'"GET /portal/login/\[…\] HTTP/1.1" 200', logs) and re.search(r'"GET /links/\[…\] HTTP/1.1" 30[37]', logs)
    assert "Logging error" not in logs and "Traceback" not in logs  # every line written as a line
    assert [credential for credential in credentials if credential in logs] == []

    # an instance that does not see this storage refuses to start, saying why
    other = instances.run("stray", "worker", "--once", BRIEFWERK_STORAGE_URL=f"s3://{bucket}/anders")
    assert other.returncode == 2 and "sieht nicht den Speicher der anderen" in other.stderr, other.stderr
    local = instances.run("stray-local", "worker", "--once", BRIEFWERK_STORAGE_URL="")
    assert local.returncode == 2 and "BRIEFWERK_STORAGE_URL" in local.stderr
