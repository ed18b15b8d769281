"""The LetterXpress client against the local LXP stand-in, over real HTTP on loopback."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest

from bot.integrations.http import CredentialsRefused, RetryPolicy, Throttle
from bot.providers.letterxpress.client import (
    BERLIN,
    LetterXpressConfig,
    LetterXpressProvider,
    cancel_deadline,
    read_answer,
)
from domain.addresses import PostalAddress
from domain.errors import InvalidInput
from domain.ports import (
    LetterStatus,
    PrintOptions,
    ProviderLetter,
    ProviderUnavailable,
    ShipmentRequest,
)
from bot.providers.loopback import Fault
from bot.providers.letterxpress.standin import LetterXpressStandIn

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
FAST = RetryPolicy(attempts=6, base_delay=0.001, max_delay=0.005, max_retry_after=0.005, jitter=0)
MORNING = datetime(2026, 3, 10, 9, 30, tzinfo=BERLIN)  # a Tuesday, well before the 14:00 hand-over


class Clock:
    """One clock for stand-in and client, moved by the tests."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Ticks:
    """A monotonic clock the tests move, for the lookup cache."""

    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def standin(clock: Clock) -> Iterator[LetterXpressStandIn]:
    with LetterXpressStandIn(slow_seconds=0.6, now=clock) as server:
        yield server


def config_for(standin: LetterXpressStandIn, **overrides: object) -> LetterXpressConfig:
    settings: dict[str, object] = {
        "username": standin.username, "api_key": standin.api_key, "mode": "live", "api_url": standin.base_url,
        "timeout": 0.25, "min_interval": 0.0, "retry": FAST,
    }
    return LetterXpressConfig(**{**settings, **overrides})


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def lxp(standin: LetterXpressStandIn, clock: Clock, ticks: Ticks, sleeps: list[float]) -> Iterator[LetterXpressProvider]:
    with LetterXpressProvider(config_for(standin), sleep=sleeps.append, clock=clock, monotonic=ticks) as provider:
        yield provider


def shipment(tmp_path: Path, reference: str = "BW12-3-00007", *, country: str = "DE", colour: bool = False,
             duplex: bool = True, registered: bool = False, pdf: bytes = PDF) -> ShipmentRequest:
    path = tmp_path / f"{reference}.pdf"
    path.write_bytes(pdf)
    recipient = PostalAddress(name="Anna Müller", street="Lindenallee 12a", postcode="10115" if country == "DE" else "1010",
                              city="Berlin" if country == "DE" else "Wien", country=country)
    return ShipmentRequest(
        reference=reference, order_key=reference.rsplit("-", 1)[0], recipient=recipient, pdf_path=path,
        sha256=hashlib.sha256(pdf).hexdigest(), pages=1,
        options=PrintOptions(colour=colour, duplex=duplex, registered=registered),
    )


def hand_over(provider: LetterXpressProvider, request: ShipmentRequest, again: bool = True) -> ProviderLetter:
    """What the hand-over does: a letter an earlier attempt may have created is looked up first."""
    found = provider.lookup(request.reference, since=MORNING - timedelta(minutes=10)) if again else None
    return found or provider.submit(request)


def calls(standin: LetterXpressStandIn, route: str) -> int:
    return sum(1 for name, _ in standin.calls if name == route)


# --- authentication ------------------------------------------------------------------------------


def test_credentials_travel_in_every_body(lxp: LetterXpressProvider, standin: LetterXpressStandIn, tmp_path: Path) -> None:
    letter = lxp.submit(shipment(tmp_path))
    assert lxp.lookup("BW12-3-00007").provider_ref == letter.provider_ref  # list, show and create all authenticated
    assert lxp.status(letter).provider_ref == letter.provider_ref
    assert {route for route, _ in standin.calls} == {"list", "create", "show"}


def test_wrong_credentials_are_refused_with_a_clear_error(standin: LetterXpressStandIn, tmp_path: Path) -> None:
    with LetterXpressProvider(config_for(standin, api_key="wrong"), clock=standin.now) as provider, \
            pytest.raises(CredentialsRefused) as refused:
        provider.submit(shipment(tmp_path))
    assert "LetterXpress" in str(refused.value) and "Unauthorized" in str(refused.value)
    assert standin.jobs == {}


def test_an_unauthorized_answer_is_not_retried(lxp: LetterXpressProvider, standin: LetterXpressStandIn) -> None:
    standin.faults.queue("list", Fault.UNAUTHORIZED)
    with pytest.raises(CredentialsRefused):
        lxp.lookup("BW12-3-00007")
    assert calls(standin, "list") == 1  # credentials live in the body: there is no token to renew


# --- submit and its options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "duplex", "registered", "country", "expected"),
    [
        (False, True, False, "DE", {"color": "1", "mode": "duplex", "shipping": "national", "registered": None}),
        (True, False, False, "DE", {"color": "4", "mode": "simplex", "shipping": "national", "registered": None}),
        (False, False, True, "DE", {"color": "1", "mode": "simplex", "shipping": "national", "registered": "r1"}),
        (True, True, False, "AT", {"color": "4", "mode": "duplex", "shipping": "international", "registered": None}),
    ],
)
def test_submit_maps_every_print_option(lxp: LetterXpressProvider, standin: LetterXpressStandIn, tmp_path: Path,
                                        colour: bool, duplex: bool, registered: bool, country: str,
                                        expected: dict[str, str | None]) -> None:
    letter = lxp.submit(shipment(tmp_path, colour=colour, duplex=duplex, registered=registered, country=country))
    job = standin.job_for("BW12-3-00007")
    assert {name: job[name] for name in expected} == expected
    assert (job["filename_original"], job["status"]) == ("BW12-3-00007.pdf", "queue")
    assert standin.files[job["id"]] == PDF
    assert (letter.provider_ref, letter.state, letter.sha256) == (str(job["id"]), LetterStatus.ACCEPTED, shipment(tmp_path).sha256)


def test_registered_mail_abroad_is_refused_before_any_request(lxp: LetterXpressProvider, standin: LetterXpressStandIn,
                                                              tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        lxp.submit(shipment(tmp_path, country="AT", registered=True))
    assert refused.value.message.key == "provider.registered_abroad"
    assert standin.calls == []


def test_test_mode_parks_jobs_in_the_postbox_where_lookup_finds_them(standin: LetterXpressStandIn, tmp_path: Path) -> None:
    with LetterXpressProvider(config_for(standin, mode="test"), clock=standin.now) as provider:
        letter = provider.submit(shipment(tmp_path))
        assert letter.status == "draft"
        with LetterXpressProvider(config_for(standin, mode="test"), clock=standin.now) as fresh:  # a new process: empty index
            found = fresh.lookup("BW12-3-00007")
    assert found is not None and found.provider_ref == letter.provider_ref


def test_a_second_attempt_finds_the_job_from_the_lists_without_downloading_a_pdf(
        lxp: LetterXpressProvider, standin: LetterXpressStandIn, tmp_path: Path) -> None:
    first = lxp.submit(shipment(tmp_path))
    found = lxp.lookup("BW12-3-00007", since=MORNING - timedelta(minutes=10))
    assert found is not None and found.provider_ref == first.provider_ref
    assert standin.references() == {"BW12-3-00007": 1}
    assert calls(standin, "show") == 0 and standin.pdf_bytes_served == 0  # a job's answer carries its PDF


# --- lookup --------------------------------------------------------------------------------------


def test_lookup_reads_every_list_and_page(standin: LetterXpressStandIn, clock: Clock, tmp_path: Path) -> None:
    with LetterXpressProvider(config_for(standin), clock=clock) as writer:
        sent = writer.submit(shipment(tmp_path, "BW1-1-00001"))
        queued = writer.submit(shipment(tmp_path, "BW1-1-00002"))
    standin.advance(int(sent.provider_ref), "done")
    standin.add_jobs(40, status="done")  # three pages of other jobs after ours
    standin.add_jobs(20, status="queue")
    with LetterXpressProvider(config_for(standin), clock=clock) as reader:  # a new process: empty index
        found_sent, found_queued = reader.lookup("BW1-1-00001"), reader.lookup("BW1-1-00002")
        assert reader.lookup("BW1-1-00003") is None
    assert found_sent is not None and (found_sent.provider_ref, found_sent.state) == (sent.provider_ref, LetterStatus.POSTED)
    assert found_queued is not None and found_queued.provider_ref == queued.provider_ref


def test_a_lookup_that_cannot_read_everything_refuses_to_guess(standin: LetterXpressStandIn) -> None:
    standin.add_jobs(40, status="done")
    with LetterXpressProvider(config_for(standin, lookup_max_pages=2), clock=standin.now) as provider, \
            pytest.raises(ProviderUnavailable, match="inconclusive"):
        provider.lookup("BW12-3-00007")


def test_a_lookup_reads_one_page_per_list_however_long_the_history(standin: LetterXpressStandIn, clock: Clock,
                                                                    tmp_path: Path) -> None:
    standin.add_history(100_000, before=MORNING - timedelta(days=1))
    with LetterXpressProvider(config_for(standin), clock=clock) as provider:
        letter = provider.submit(shipment(tmp_path))
        standin.calls.clear()
        found = provider.lookup("BW12-3-00007", since=MORNING - timedelta(minutes=10))
        assert provider.lookup("BW12-3-00008", since=MORNING - timedelta(minutes=10)) is None
    assert found is not None and found.provider_ref == letter.provider_ref
    assert calls(standin, "list") == 10  # queue, hold, draft, done, canceled: one page each, twice


@pytest.mark.parametrize(
    ("status", "state"),
    [("queue", LetterStatus.ACCEPTED), ("hold", LetterStatus.WAITING_FOR_CREDIT), ("draft", LetterStatus.ACCEPTED),
     ("done", LetterStatus.POSTED), ("canceled", LetterStatus.CANCELLED)],
)
def test_lookup_reports_the_current_status(lxp: LetterXpressProvider, standin: LetterXpressStandIn, tmp_path: Path,
                                           status: str, state: LetterStatus) -> None:
    letter = lxp.submit(shipment(tmp_path))
    standin.advance(int(letter.provider_ref), status)
    found = lxp.lookup("BW12-3-00007")
    assert found is not None and (found.status, found.state) == (status, state)


# --- cancel --------------------------------------------------------------------------------------


def test_cancel_inside_the_window_is_accepted(lxp: LetterXpressProvider, standin: LetterXpressStandIn, clock: Clock,
                                              tmp_path: Path) -> None:
    letter = lxp.submit(shipment(tmp_path))
    clock.now += timedelta(minutes=14)
    assert lxp.cancel(letter) is True
    assert standin.job_for("BW12-3-00007")["status"] == "canceled"
    found = lxp.lookup("BW12-3-00007")
    assert found is not None and found.state is LetterStatus.CANCELLED


def test_cancel_after_the_window_is_refused_without_asking(lxp: LetterXpressProvider, standin: LetterXpressStandIn,
                                                           clock: Clock, tmp_path: Path) -> None:
    letter = lxp.submit(shipment(tmp_path))
    clock.now += timedelta(minutes=15)  # LXP's window: 15 minutes after the upload
    assert lxp.cancel(letter) is False
    assert calls(standin, "cancel") == 0 and standin.job_for("BW12-3-00007")["status"] == "queue"


def test_cancel_refused_by_letterxpress_is_false(lxp: LetterXpressProvider, standin: LetterXpressStandIn,
                                                 tmp_path: Path) -> None:
    letter = lxp.submit(shipment(tmp_path))
    standin.locked.add(int(letter.provider_ref))  # LXP started production early
    assert lxp.cancel(letter) is False
    assert calls(standin, "cancel") == 1


def test_a_posted_job_cannot_be_cancelled(lxp: LetterXpressProvider, standin: LetterXpressStandIn, tmp_path: Path) -> None:
    letter = lxp.submit(shipment(tmp_path))
    standin.advance(int(letter.provider_ref), "done")
    assert lxp.cancel(letter) is False
    assert calls(standin, "cancel") == 0


def test_a_cancel_whose_answer_got_lost_is_checked_not_repeated(lxp: LetterXpressProvider, standin: LetterXpressStandIn,
                                                                tmp_path: Path) -> None:
    letter = lxp.submit(shipment(tmp_path))
    standin.faults.queue("cancel", Fault.CRASH_AFTER_ACCEPT)
    assert lxp.cancel(letter) is True
    assert calls(standin, "cancel") == 1


def test_cancel_during_an_outage_is_unavailable_not_refused(lxp: LetterXpressProvider, standin: LetterXpressStandIn,
                                                            tmp_path: Path) -> None:
    letter = lxp.submit(shipment(tmp_path))
    standin.faults.queue("cancel", *[Fault.SERVER_ERROR] * FAST.attempts)
    with pytest.raises(ProviderUnavailable):
        lxp.cancel(letter)


def test_cancelling_a_cancelled_letter_asks_nobody(lxp: LetterXpressProvider, standin: LetterXpressStandIn) -> None:
    assert lxp.cancel(ProviderLetter("BW1-1-00001", "1", "canceled", state=LetterStatus.CANCELLED)) is True
    assert standin.calls == []


@pytest.mark.parametrize(
    ("created", "deadline"),
    [
        (time(9, 30), datetime(2026, 3, 10, 9, 45, tzinfo=BERLIN)),  # fifteen minutes
        (time(15, 45), datetime(2026, 3, 10, 16, 0, tzinfo=BERLIN)),
        (time(15, 52), datetime(2026, 3, 10, 16, 0, tzinfo=BERLIN)),  # after 15:45: until the 16:00 hand-over
        (time(16, 30), datetime(2026, 3, 10, 16, 45, tzinfo=BERLIN)),  # after today's hand-over: fifteen minutes
        (time(23, 50), datetime(2026, 3, 11, 0, 5, tzinfo=BERLIN)),
    ],
)
def test_the_cancel_deadline_follows_the_window_and_the_cut_off(created: time, deadline: datetime) -> None:
    config = LetterXpressConfig(username="u", api_key="k")
    created_at = datetime.combine(MORNING.date(), created, tzinfo=BERLIN).astimezone(UTC)
    assert cancel_deadline(created_at, config) == deadline
    moved = config.model_copy(update={"handover_cutoff": time(14, 0)})  # LXP has moved it before: a setting
    assert cancel_deadline(datetime(2026, 3, 10, 13, 55, tzinfo=BERLIN), moved) == datetime(2026, 3, 10, 14, 0, tzinfo=BERLIN)


# --- events --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "state"),
    [("queue", LetterStatus.ACCEPTED), ("done", LetterStatus.POSTED), ("canceled", LetterStatus.CANCELLED)],
)
def test_events_report_the_jobs_status(lxp: LetterXpressProvider, standin: LetterXpressStandIn, clock: Clock,
                                       tmp_path: Path, status: str, state: LetterStatus) -> None:
    letter = lxp.submit(shipment(tmp_path, registered=True))
    clock.now += timedelta(hours=5)
    standin.advance(int(letter.provider_ref), status, tracking_code="RR123456789DE" if status == "done" else None)
    [event] = lxp.events(letter)
    assert (event.provider_ref, event.state) == (letter.provider_ref, state)
    assert event.at == clock.now.astimezone(UTC)
    assert event.detail.startswith(status)
    if status == "done":
        assert "RR123456789DE" in event.detail


def test_events_of_an_unknown_job_are_empty(lxp: LetterXpressProvider) -> None:
    assert lxp.events(ProviderLetter("BW1-1-00001", "999", "queue")) == []


# --- error answers -------------------------------------------------------------------------------


def test_a_refusal_fails_that_letter_with_letterxpress_words(lxp: LetterXpressProvider, standin: LetterXpressStandIn,
                                                             tmp_path: Path) -> None:
    standin.faults.queue("create", Fault.VALIDATION)
    with pytest.raises(InvalidInput) as refused:
        lxp.submit(shipment(tmp_path))
    assert refused.value.message.key == "provider.rejected"
    assert "A4" in refused.value.render("de") and "LetterXpress" in refused.value.render("en")
    assert standin.references() == {}


def test_a_file_that_is_no_pdf_is_refused_by_letterxpress(lxp: LetterXpressProvider, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="keine PDF"):
        lxp.submit(shipment(tmp_path, pdf=b"Hello, not a PDF"))


def test_rate_limits_wait_as_long_as_letterxpress_asks(standin: LetterXpressStandIn, tmp_path: Path) -> None:
    sleeps: list[float] = []
    policy = FAST.model_copy(update={"max_retry_after": 60.0})
    with LetterXpressProvider(config_for(standin, retry=policy), clock=standin.now, sleep=sleeps.append) as provider:
        standin.faults.queue("create", Fault.RATE_LIMITED)
        provider.submit(shipment(tmp_path))
    assert sleeps == [1.0]
    assert standin.references() == {"BW12-3-00007": 1}


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.SLOW, Fault.CRASH_AFTER_ACCEPT])
def test_an_unclear_create_is_looked_up_before_anything_is_resent(lxp: LetterXpressProvider, standin: LetterXpressStandIn,
                                                                  tmp_path: Path, fault: Fault) -> None:
    standin.faults.queue("create", fault)
    letter = lxp.submit(shipment(tmp_path))
    assert standin.references() == {"BW12-3-00007": 1}
    assert letter.provider_ref == str(standin.job_for("BW12-3-00007")["id"])
    assert calls(standin, "create") == (2 if fault is Fault.SERVER_ERROR else 1)


def test_a_lasting_outage_raises_provider_unavailable(lxp: LetterXpressProvider, standin: LetterXpressStandIn) -> None:
    standin.faults.queue("list", *[Fault.SERVER_ERROR] * FAST.attempts)
    with pytest.raises(ProviderUnavailable, match="gave up after 6 attempts"):
        lxp.lookup("BW12-3-00007")


@pytest.mark.parametrize("same_process", [True, False])
def test_a_create_lost_in_a_lasting_outage_is_found_on_the_next_run(standin: LetterXpressStandIn, tmp_path: Path,
                                                                    same_process: bool) -> None:
    provider = LetterXpressProvider(config_for(standin), clock=standin.now, sleep=lambda _: None)
    standin.faults.queue("create", Fault.CRASH_AFTER_ACCEPT)
    standin.faults.queue("list", *[Fault.SERVER_ERROR] * FAST.attempts)  # the lookup after the lost answer fails
    with pytest.raises(ProviderUnavailable):
        provider.submit(shipment(tmp_path))
    assert calls(standin, "create") == 1
    # the next run knows its first attempt began, and looks before it sends
    rerun = provider if same_process else LetterXpressProvider(config_for(standin), clock=standin.now)
    assert hand_over(rerun, shipment(tmp_path)).provider_ref == str(standin.job_for("BW12-3-00007")["id"])
    assert standin.references() == {"BW12-3-00007": 1}
    provider.close()
    rerun.close()


def test_an_error_reported_inside_an_http_200_counts() -> None:
    request = httpx.Request("POST", "https://api.letterxpress.de/v3/printjobs")
    answer = read_answer(httpx.Response(200, json={"status": 400, "message": "Prüfsumme falsch"}, request=request))
    assert (answer.ok, answer.status, answer.message) == (False, 400, "Prüfsumme falsch")
    assert read_answer(httpx.Response(200, json={"status": 200, "message": "OK", "data": {"id": 1}}, request=request)).ok


def test_the_throttle_keeps_letterxpress_request_rate() -> None:
    waits: list[float] = []
    ticks = Ticks()
    throttle = Throttle(0.5, waits.append, ticks)
    throttle.wait()
    ticks.value += 0.2
    throttle.wait()
    assert waits == [pytest.approx(0.3)]


# --- exactly once --------------------------------------------------------------------------------


def test_two_hundred_letters_through_a_flaky_letterxpress_arrive_exactly_once(standin: LetterXpressStandIn,
                                                                              tmp_path: Path) -> None:
    standin.faults.chaos(
        {"create": 0.3, "list": 0.05, "show": 0.1},
        [Fault.SERVER_ERROR, Fault.RATE_LIMITED, Fault.CRASH_AFTER_ACCEPT], seed=20240607,
    )
    references = [f"BW7-1-{number:05d}" for number in range(1, 201)]
    with LetterXpressProvider(config_for(standin, retry=FAST.model_copy(update={"attempts": 4})), clock=standin.now, sleep=lambda _: None) as provider:
        for reference in references:
            request = shipment(tmp_path, reference)
            for _run in range(10):  # what the dispatch run does on ProviderUnavailable: try again later
                try:
                    hand_over(provider, request, again=_run > 0)
                    break
                except ProviderUnavailable:
                    continue
            else:
                pytest.fail(f"{reference} never got through")
    counts = standin.references()
    assert set(counts) == set(references)
    assert set(counts.values()) == {1}
    assert {fault for _, fault in standin.faults.injected} == {Fault.SERVER_ERROR, Fault.RATE_LIMITED, Fault.CRASH_AFTER_ACCEPT}


def test_capabilities_describe_letterxpress(lxp: LetterXpressProvider) -> None:
    capabilities = lxp.capabilities
    assert (capabilities.profile, capabilities.registered, capabilities.colour, capabilities.duplex) == (
        "letterxpress", True, True, True)
    assert capabilities.countries is None and "16:00" in capabilities.cancel_window.render("de")
    assert "15 Minuten" in capabilities.cancel_window.render("de") and "15 minutes" in capabilities.cancel_window.render("en")
    lxp.finish_order("BW12-3")  # nothing to close


def test_a_404_page_that_is_not_letterxpress_is_no_empty_list(standin: LetterXpressStandIn) -> None:
    with LetterXpressProvider(config_for(standin, api_url=standin.base_url + "/wrong"), clock=standin.now) as provider, \
            pytest.raises(ProviderUnavailable, match="refused to list"):
        provider.lookup("BW12-3-00007")


def test_a_list_that_is_not_newest_first_is_no_answer(lxp: LetterXpressProvider, standin: LetterXpressStandIn,
                                                       clock: Clock, tmp_path: Path) -> None:
    lxp.submit(shipment(tmp_path, "BW1-1-00001"))
    clock.now += timedelta(minutes=1)
    lxp.submit(shipment(tmp_path, "BW1-1-00002"))
    standin.newest_first = False  # stopping at the first old job would then miss the newer ones
    with pytest.raises(ProviderUnavailable, match="did not list newest first"):
        lxp.lookup("BW1-1-00003", since=MORNING - timedelta(minutes=10))
