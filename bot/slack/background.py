"""Work that must not run on Bolt's small listener pool: building thousands of PDFs, preflight,
mass email. pdfium is not thread-safe, so everything touching PDFs runs on one lane; views that
only read the database render on their own lane, so a long print job never holds them up, and a
view renders only the latest state asked for (a page click overtaken by the next is dropped)."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

log = logging.getLogger(__name__)

# Which Slack request started the work ("team T…, user U…, block_actions page_next"): set by the
# actor middleware, carried into the listener and every job it queues, named when a job fails.
REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("slack_request", default="")


class Background:
    def __init__(self, io_workers: int = 4, render_workers: int = 4) -> None:
        self._pdf = ThreadPoolExecutor(1, thread_name_prefix="briefwerk-pdf")
        self._io = ThreadPoolExecutor(io_workers, thread_name_prefix="briefwerk-io")
        self._render = ThreadPoolExecutor(render_workers, thread_name_prefix="briefwerk-render")
        self._newest: dict[str, tuple[contextvars.Context, Callable[..., Any], Failure | None, tuple[Any, ...]]] = {}  # view id -> its newest render
        self._rendering: set[str] = set()  # views a render worker is busy with
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self.listeners = _TrackedExecutor(self, 8)  # Bolt's listener pool, so `drain` sees it too

    def pdf(self, work: Callable[..., Any], *args: Any, on_failure: Failure | None = None) -> Future[Any]:
        """Runs `work` on the single PDF lane (preflight, print files, summaries); `on_failure`
        tells the user when it raises."""
        return self._track(self._pdf.submit(_in_context(), _logged, work, on_failure, *args))

    def io(self, work: Callable[..., Any], *args: Any, on_failure: Failure | None = None) -> Future[Any]:
        """Runs `work` on the I/O lane (Slack posts, email)."""
        return self._track(self._io.submit(_in_context(), _logged, work, on_failure, *args))

    def render(self, view_id: str, work: Callable[..., Any], *args: Any, on_failure: Failure | None = None) -> None:
        """Renders a view without PDFs on the render lane. A view renders on one worker at a
        time, always the newest state asked for: requests that come while it renders replace
        each other, so one user clicking fast never takes the lane from another."""
        with self._lock:
            self._newest[view_id] = (contextvars.copy_context(), work, on_failure, args)
            if view_id in self._rendering:
                return
            self._rendering.add(view_id)
        self._track(self._render.submit(self._render_newest, view_id))

    def _render_newest(self, view_id: str) -> None:
        while True:
            with self._lock:
                job = self._newest.pop(view_id, None)
                if job is None:
                    self._rendering.discard(view_id)
                    return
            context, work, on_failure, args = job
            try:
                context.run(_logged, work, on_failure, *args)
            except Exception:  # noqa: BLE001 - logged and told by _logged; the view's next state still renders
                pass

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
        return self._background._track(super().submit(_in_context(), fn, *args, **kwargs))


def _in_context() -> Callable[..., Any]:
    """Runs a job in a copy of the submitting thread's context, so it knows its Slack request."""
    return contextvars.copy_context().run


Failure = Callable[[BaseException], None]


def _logged(work: Callable[..., Any], on_failure: Failure | None, *args: Any) -> Any:
    try:
        return work(*args)
    except Exception as error:
        log.exception("background job %s failed (%s)", getattr(work, "__name__", work), REQUEST.get() or "no Slack request")
        if on_failure is not None:
            try:
                on_failure(error)
            except Exception:  # noqa: BLE001 - telling failed too (Slack away): the log has both
                log.exception("could not tell the user that %s failed", getattr(work, "__name__", work))
        raise
