"""Hostile PDFs against a running `briefwerk serve`: a decompression bomb (a 2 GiB content stream
in about 2 MB), pages of 14,400 pt and 200,000 pt, and an image declaring ten billion pixels,
each sent through the intake API as a batch and as an attachment; then a 300 MiB body streamed
to every route that takes one (Slack events, the Pingen webhook, the portal's sign-in form, the
intake API). Prints one JSON line with, per request, the answer, the seconds until it came, and
the peak memory of the serve process (the PDF gate's worker, a child process under its own cap,
is reported beside it).

    python bench/hostile.py [--bomb-gib 2] [--body-mib 300]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import httpx
import pikepdf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET = {"serve_peak_mb": 400, "seconds": 5}


def letter(edit) -> bytes:
    from tests.factories import attachment

    pdf = pikepdf.open(io.BytesIO(attachment(1)))
    edit(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def bomb(gib: int) -> bytes:
    from tests.factories import letter_with_content, zeros_packed

    return letter_with_content(zeros_packed(gib), ["/FlateDecode"])


def giant(points: int) -> bytes:
    return letter(lambda pdf: setattr(pdf.pages[0].obj, "MediaBox", pikepdf.Array([0, 0, points, points])))


def huge_image() -> bytes:
    def edit(pdf: pikepdf.Pdf) -> None:
        image = pikepdf.Stream(pdf, zlib.compress(b"\0" * 3 * 1000))
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = 100_000, 100_000, 8
        image.ColorSpace, image.Filter = pikepdf.Name.DeviceRGB, pikepdf.Name.FlateDecode
        page = pdf.pages[0]
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(image)))
        page.obj.Contents = pdf.make_stream(b"q 500 0 0 700 50 50 cm /Im0 Do Q")

    return letter(edit)


def status_mb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


class Watch:
    """Samples the RSS of serve and of its children every 10 ms while a request runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.serve, self.children, self._stop = pid, 0, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.serve = max(self.serve, status_mb(self.pid, "VmRSS"))
            self.children = max([self.children] + [status_mb(child, "VmRSS") for child in descendants(self.pid)])
            time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-gib", type=int, default=2)
    parser.add_argument("--body-mib", type=int, default=300)
    arguments = parser.parse_args()
    from bot.slack.local import BOT_TOKEN, SIGNING_SECRET, free_port, set_up_workspace
    from bot.slackstandin import SlackStandIn

    files = {"bombe.pdf": bomb(arguments.bomb_gib), "riesig-14400pt.pdf": giant(14_400),
             "riesig-200000pt.pdf": giant(200_000), "bild-10-gigapixel.pdf": huge_image()}
    results: dict[str, object] = {"sizes_kb": {name: len(data) >> 10 for name, data in files.items()}}
    standin = SlackStandIn()
    standin.start()
    set_up_workspace(standin)
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "BRIEFWERK_HOME": home, "BRIEFWERK_SCHEDULER_IN_PROCESS": "false",
               "BRIEFWERK_SLACK_API_URL": standin.api_url, "SLACK_BOT_TOKEN": BOT_TOKEN,
               "SLACK_SIGNING_SECRET": SIGNING_SECRET}
        cli = [sys.executable, "-m", "bot.cli"]
        subprocess.run([*cli, "import", str(ROOT / "examples" / "kontakte.csv")], env=env, check=True, capture_output=True)
        token = subprocess.run([*cli, "api-key", "create", "bench"], env=env, check=True, capture_output=True,
                               text=True).stdout.split()[-1]
        port = free_port()
        serve = subprocess.Popen([*cli, "serve"], env={**env, "BRIEFWERK_PORT": str(port)},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url)
            results["serve_idle_mb"] = status_mb(serve.pid, "VmRSS")
            http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
            for name, data in files.items():
                for route in ("batch", "attachment"):
                    results[f"{name} as {route}"] = _send(http, serve.pid, name, data, route)
            for path in ("/slack/events", "/webhooks/pingen", "/portal/sign-in", "/api/v1/imports"):
                results[f"{arguments.body_mib} MiB to {path}"] = _flood(http, serve.pid, path, arguments.body_mib)
            results["serve_peak_mb"] = status_mb(serve.pid, "VmHWM")
        finally:
            serve.terminate()
            serve.wait(10)
            standin.stop()
    print(json.dumps({**results, "target": TARGET}))


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("serve did not start")


def _send(http: httpx.Client, pid: int, name: str, data: bytes, route: str) -> dict[str, object]:
    from tests.factories import attachment

    good = ("einladung.pdf", attachment(1), "application/pdf")
    if route == "batch":
        documents = [{"type": "Abrechnung", "files": [name], "split": {"method": "marker"}}]
        form, files = {"attachments": "[]"}, [("files", (name, data, "application/pdf"))]
    else:
        documents = [{"type": "Abrechnung", "files": ["einladung.pdf"], "split": {"method": "pages", "pages_per_unit": 1}}]
        form, files = {"attachments": json.dumps([name])}, [("files", good), ("files", (name, data, "application/pdf"))]
    form.update(property="LH12", title=f"Angriff {name} {route}", documents=json.dumps(documents))
    with Watch(pid) as watch:
        started = time.perf_counter()
        answer = http.post("/api/v1/serial-letters", data=form, files=files)
        seconds = time.perf_counter() - started
    body = answer.json()
    return {"status": answer.status_code, "seconds": round(seconds, 2), "serve_rss_mb": watch.serve,
            "gate_worker_rss_mb": watch.children, "said": str(body.get("detail") or body)[:160]}


def _flood(http: httpx.Client, pid: int, path: str, mib: int) -> dict[str, object]:
    """A body streamed without Content-Length, so only counting it while it arrives can stop it."""
    chunk = b"x" * (1 << 20)

    def body():
        for _ in range(mib):
            yield chunk

    with Watch(pid) as watch:
        started = time.perf_counter()
        try:
            kind = "multipart/form-data; boundary=grenze" if path.startswith("/api/") else "application/x-www-form-urlencoded"
            status = http.post(path, content=body(), headers={"Content-Type": kind}).status_code
        except httpx.HTTPError as error:  # the server closed the connection after answering
            status = type(error).__name__
        seconds = time.perf_counter() - started
    return {"status": status, "seconds": round(seconds, 2), "serve_rss_mb": watch.serve}


if __name__ == "__main__":
    main()
