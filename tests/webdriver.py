"""Just enough of the W3C WebDriver protocol, spoken over HTTP to Debian's chromedriver with
httpx, to drive headless Chromium in the portal tests — no Selenium needed.

Chromium starts with the flags this machine's closed network needs (no background networking,
no component updates, no sync, no QUIC) and a fresh profile folder per browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Self

import httpx

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference
# What chromedriver says about an element of a page that navigation has replaced (the wording
# depends on how far the new page has got).
PAGE_GONE = ("stale element reference", "no such element", "does not belong to the document")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1100,900",
]


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    for tool, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (tool.is_file() and os.access(tool, os.X_OK)):
            return f"{tool} is missing: install Debian's {package} package to run the browser tests"
    return None


class WebDriverError(AssertionError):
    pass


class ChromeDriver:
    """The chromedriver process, on a free loopback port, for as long as the `with` lasts."""

    def __init__(self, port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self._log = log.open("wb")
        self._process = subprocess.Popen([str(CHROMEDRIVER), f"--port={port}", "--allowed-ips=127.0.0.1"],
                                         stdout=self._log, stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def __enter__(self) -> Self:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.http.get("/status").json()["value"]["ready"]:
                    return self
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        self.__exit__()
        raise WebDriverError("chromedriver did not become ready within 20 s")

    def __exit__(self, *exc_info: object) -> None:
        self.http.close()
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._log.close()

    def browser(self, profile: Path, downloads: Path, accept_language: str = "de-DE,de") -> Browser:
        return Browser(self.http, profile, downloads, accept_language)


class Browser:
    """One Chromium with its own profile (its own cookies): a person on their own computer."""

    def __init__(self, http: httpx.Client, profile: Path, downloads: Path, accept_language: str) -> None:
        self.http = http
        self.profile = profile
        downloads.mkdir(parents=True, exist_ok=True)
        options = {
            "binary": str(CHROMIUM),
            "args": [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--lang={accept_language.split(',')[0]}"],
            "prefs": {"intl.accept_languages": accept_language, "download.default_directory": str(downloads),
                      "download.prompt_for_download": False},
        }
        answer = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options, "pageLoadStrategy": "normal"}}})
        self.session = answer["value"]["sessionId"]
        try:
            self._command("POST", "/goog/cdp/execute", {"cmd": "Browser.setDownloadBehavior",
                                                        "params": {"behavior": "allow", "downloadPath": str(downloads)}})
        except BaseException:
            self.quit()  # never leave a browser running behind a failed start
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.quit()

    def quit(self) -> None:
        try:
            self._command("DELETE", "")
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # --- navigation and reading ---------------------------------------------------------------

    def get(self, url: str) -> None:
        self._command("POST", "/url", {"url": url})

    @property
    def url(self) -> str:
        return self._command("GET", "/url")

    @property
    def source(self) -> str:
        return self._command("GET", "/source")

    def text(self, css: str = "body") -> str:
        return self._command("GET", f"/element/{self.find(css)}/text")

    def find(self, css: str) -> str:
        return self._command("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def find_all(self, css: str) -> list[str]:
        return [found[ELEMENT] for found in self._command("POST", "/elements", {"using": "css selector", "value": css})]

    def attribute(self, element: str, name: str) -> str | None:
        return self._command("GET", f"/element/{element}/attribute/{name}")

    def property(self, element: str, name: str) -> Any:
        return self._command("GET", f"/element/{element}/property/{name}")

    def element_text(self, element: str) -> str:
        return self._command("GET", f"/element/{element}/text")

    def cookies(self) -> list[dict[str, Any]]:
        return self._command("GET", "/cookie")

    def script(self, source: str) -> Any:
        return self._command("POST", "/execute/sync", {"script": source, "args": []})

    # --- acting -------------------------------------------------------------------------------

    def click(self, css: str) -> None:
        self._command("POST", f"/element/{self.find(css)}/click", {})

    def submit(self, css: str, timeout: float = 10) -> None:
        """Click a button that loads a new page, and wait until it has replaced the old one."""
        old_page = self.find("html")
        self.click(css)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._command("GET", f"/element/{old_page}/name")
            except WebDriverError as error:
                if not any(sign in str(error) for sign in PAGE_GONE):
                    raise
                self._wait_until_loaded(deadline)
                return
            time.sleep(0.02)
        raise WebDriverError(f"clicking {css} loaded no new page within {timeout} s")

    def _wait_until_loaded(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if self.script("return document.readyState") == "complete":
                    return
            except WebDriverError:  # the new document's context is not there yet
                pass
            time.sleep(0.02)
        raise WebDriverError("the new page did not finish loading")

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        self._command("POST", f"/element/{element}/clear", {})
        self._command("POST", f"/element/{element}/value", {"text": text})

    def _command(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", payload)["value"]

    def _call(self, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        response = self.http.request(method, path, json=payload)
        answer = response.json()
        if response.status_code >= 400:
            value = answer.get("value", {})
            raise WebDriverError(f"{method} {path}: {value.get('error')}: {value.get('message', '')[:400]}")
        return answer
