"""Work that must not run on Bolt's small listener pool: building thousands of PDFs, preflight,
mass email. pdfium is not thread-safe, so everything touching PDFs runs on one lane; views that
only read the database render on their own lane, so a long print job never holds them up, and a
view renders only the latest state asked for (a page click overtaken by the next is dropped)."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self, io_workers: int = 4, render_workers: int = 4) -> None:
        self._pdf = ThreadPoolExecutor(1, thread_name_prefix="briefwerk-pdf")
        self._io = ThreadPoolExecutor(io_workers, thread_name_prefix="briefwerk-io")
        self._render = ThreadPoolExecutor(render_workers, thread_name_prefix="briefwerk-render")
        self._latest: dict[str, int] = {}  # view id -> the newest render asked for
        self._requests = itertools.count()
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self.listeners = _TrackedExecutor(self, 8)  # Bolt's listener pool, so `drain` sees it too

    def pdf(self, work: Callable[..., Any], *args: Any, on_failure: Failure | None = None) -> Future[Any]:
        """Runs `work` on the single PDF lane (preflight, print files, summaries); `on_failure`
        tells the user when it raises."""
        return self._track(self._pdf.submit(_logged, work, on_failure, *args))

    def io(self, work: Callable[..., Any], *args: Any, on_failure: Failure | None = None) -> Future[Any]:
        """Runs `work` on the I/O lane (Slack posts, email)."""
        return self._track(self._io.submit(_logged, work, on_failure, *args))

    def render(self, view_id: str, work: Callable[..., Any], *args: Any, on_failure: Failure | None = None) -> Future[Any]:
        """Renders a view without PDFs on the render lane; when it starts, a newer request for
        the same view makes it pointless, and it is dropped."""
        with self._lock:
            request = self._latest[view_id] = next(self._requests)
        return self._track(self._render.submit(self._if_latest, view_id, request, work, on_failure, *args))

    def _if_latest(self, view_id: str, request: int, work: Callable[..., Any], on_failure: Failure | None,
                   *args: Any) -> Any:
        with self._lock:
            if self._latest.get(view_id) != request:
                return None
            del self._latest[view_id]
        return _logged(work, on_failure, *args)

    def _track(self, future: Future[Any]) -> Future[Any]:
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 60) -> None:
        """Waits until nothing is pending, including work queued by finished work."""
        while True:
            with self._lock:
                pending = set(self._pending)
            if not pending:
                return
            done, not_done = wait(pending, timeout=timeout)
            if not_done:
                raise TimeoutError(f"{len(not_done)} background jobs still running")

    def shutdown(self) -> None:
        self.listeners.shutdown(wait=True)
        self._pdf.shutdown(wait=True)
        self._render.shutdown(wait=True)
        self._io.shutdown(wait=True)


class _TrackedExecutor(ThreadPoolExecutor):
    def __init__(self, background: Background, workers: int) -> None:
        super().__init__(workers, thread_name_prefix="briefwerk-listener")
        self._background = background

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._background._track(super().submit(fn, *args, **kwargs))


Failure = Callable[[BaseException], None]


def _logged(work: Callable[..., Any], on_failure: Failure | None, *args: Any) -> Any:
    try:
        return work(*args)
    except Exception as error:
        log.exception("background job %s failed", getattr(work, "__name__", work))
        if on_failure is not None:
            try:
                on_failure(error)
            except Exception:  # noqa: BLE001 - telling failed too (Slack away): the log has both
                log.exception("could not tell the user that %s failed", getattr(work, "__name__", work))
        raise
