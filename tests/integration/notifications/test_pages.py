"""The portal's notifications page: what each kind of principal sees of the same events, that
nothing of another state, region or donor shows, the filters (each refusal beside its field) and
the pages of the feed's cursor."""

from __future__ import annotations

from urllib.parse import urljoin
from uuid import uuid4

from lxml import html

from shared.events import EventPayload
from shared.events import matching as mat
from shared.events import requests as req
from shared.principal import Principal
from shared.topics import Stream
from tests.factories import envelope, match, request_event
from tests.integration.notifications.conftest import (
    BALKANS,
    KHM,
    LAO,
    MNE,
    NORWAY,
    OPERATOR,
    PER,
    SECRETARIAT,
    SOUTH_EAST_ASIA,
    SWEDEN,
    deliver,
    signed_in,
)
from tests.integration.notifications.sse import read_events
from tests.service_api import Api

TITLES = {state: f"Clearance in {state}, phase one" for state in ("LAO", "KHM", "MNE", "PER")}
CENTRES = {"LAO": "south-eastern-asia", "KHM": "south-eastern-asia", "MNE": "western-balkans"}


def _envelope(payload: EventPayload, stream: Stream) -> object:
    return envelope(payload, str(uuid4()), f"/clearinghouse/{stream}")


async def _requests_and_a_proposal(api: Api) -> None:
    """A request of each state submitted, and Norway proposed for Lao PDR's."""
    submitted = {
        state: request_event(
            req.RequestSubmitted, state, CENTRES.get(state), title=title, version=2
        )
        for state, title in TITLES.items()
    }
    await deliver(
        api, Stream.REQUESTS, *(_envelope(e, Stream.REQUESTS) for e in submitted.values())
    )
    proposal = match(submitted["LAO"].request.request_id, donor="norway")
    proposed = mat.MatchProposed(match=proposal, score=0.8, explanation={})
    await deliver(api, Stream.MATCHES, _envelope(proposed, Stream.MATCHES))


def _lines(page: str) -> list[tuple[str, str]]:
    """The notifications a page lists: (type, summary)."""
    items = html.fromstring(page).xpath("//ol[@id='feed']/li")
    return [(li.get("data-type"), li.xpath("string(.//span[@class='summary'])")) for li in items]


def _ids(page: str) -> list[str]:
    return [str(i) for i in html.fromstring(page).xpath("//ol[@id='feed']/li/@id")]


def _about(lines: list[tuple[str, str]]) -> set[str]:
    """The states whose requests the lines tell of."""
    return {state for state, title in TITLES.items() for _, s in lines if title in s}


async def _page(api: Api, who: Principal, **params: str) -> tuple[int, str]:
    async with signed_in(api, who) as client:
        answer = await client.get("/portal/notifications", params=params)
    return answer.status_code, answer.text


async def test_each_principal_sees_its_own_notifications_and_nothing_of_others(
    service: Api,
) -> None:
    await _requests_and_a_proposal(service)
    seen = {}
    for who in (LAO, KHM, MNE, PER, SOUTH_EAST_ASIA, BALKANS, NORWAY, SWEDEN, SECRETARIAT):
        status, page = await _page(service, who)
        assert status == 200, page
        assert "<h1>Notifications</h1>" in page
        if who is not SECRETARIAT:
            assert "/dashboard/requests/" not in page  # journeys are the offices' pages
        seen[who] = _lines(page)
    status, operators = await _page(service, OPERATOR)

    assert _about(seen[LAO]) == {"LAO"}
    assert {t for t, _ in seen[LAO]} == {"request.submitted", "match.proposed"}
    assert _about(seen[KHM]) == {"KHM"}
    assert _about(seen[MNE]) == {"MNE"}
    assert _about(seen[PER]) == {"PER"}
    assert _about(seen[SOUTH_EAST_ASIA]) == {"LAO", "KHM"}
    assert len(seen[SOUTH_EAST_ASIA]) == 3  # its own line of each event, not its states' too
    assert _about(seen[BALKANS]) == {"MNE"}
    assert seen[NORWAY] == [("match.proposed", seen[NORWAY][0][1])]
    assert _about(seen[NORWAY]) == {"LAO"}
    assert seen[SWEDEN] == []
    assert _about(seen[SECRETARIAT]) == {"PER", "LAO"}  # reviews Peru's, hears of proposals
    assert ("request.submitted", seen[PER][0][1]) in seen[SECRETARIAT]
    assert status == 200
    assert _about(_lines(operators)) == set(TITLES)
    assert len(_lines(operators)) == 5  # every event once
    assert "/dashboard/requests/" in operators


async def test_the_filters_narrow_the_page_and_never_widen_it(service: Api) -> None:
    await _requests_and_a_proposal(service)
    _, proposals = await _page(service, LAO, type="match.proposed")
    _, warnings = await _page(service, SOUTH_EAST_ASIA, severity="warning")
    _, cambodia = await _page(service, SOUTH_EAST_ASIA, state="KHM")
    _, other_state = await _page(service, LAO, state="KHM")
    _, other_donor = await _page(service, SWEDEN, type="match.proposed")

    assert [t for t, _ in _lines(proposals)] == ["match.proposed"]
    assert {t for t, _ in _lines(warnings)} == {"request.submitted"}  # the centre reviews them
    assert _about(_lines(warnings)) == {"LAO", "KHM"}
    assert _about(_lines(cambodia)) == {"KHM"}
    assert _lines(other_state) == []
    assert "No notifications with these filters" in other_state
    assert _lines(other_donor) == []


async def test_a_bad_filter_is_told_beside_its_field(service: Api) -> None:
    await _requests_and_a_proposal(service)
    cases = {
        "type": {"type": "request.vanished"},
        "state": {"state": "laos"},
        "severity": {"severity": "loud"},
    }
    for name, params in cases.items():
        status, page = await _page(service, LAO, **params)
        tree = html.fromstring(page)
        assert status == 422, page
        assert tree.xpath(f"//*[@id='f-{name}-error']"), name
        assert tree.xpath(f"//*[@id='f-{name}'][@aria-invalid='true']"), name
        assert tree.xpath("//*[@role='alert']")
        assert _lines(page) == []
    status, page = await _page(service, LAO, cursor="not-a-cursor")
    assert status == 422
    assert "next page" in page


async def test_the_pages_follow_the_feeds_cursor(service: Api) -> None:
    events = [
        request_event(req.RequestSubmitted, "LAO", title=f"Request number {n:02}")
        for n in range(30)
    ]
    await deliver(service, Stream.REQUESTS, *(_envelope(e, Stream.REQUESTS) for e in events))
    async with signed_in(service, LAO) as client:
        first = await client.get("/portal/notifications", params={"type": "request.submitted"})
        link = html.fromstring(first.text).xpath("//a[@rel='next']/@href")
        second = await client.get(urljoin("/portal/notifications", link[0]))
        last_link = html.fromstring(second.text).xpath("//a[@rel='next']/@href")

    firsts, seconds = _lines(first.text), _lines(second.text)
    assert len(firsts) == 25
    assert "type=request.submitted" in link[0]
    assert len(seconds) == 5
    assert last_link == []
    summaries = {s for _, s in firsts} | {s for _, s in seconds}
    assert len(summaries) == 30  # every request once
    ids = [int(i.removeprefix("n")) for page in (first, second) for i in _ids(page.text)]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert "sse-connect" in first.text
    assert "sse-connect" not in second.text  # an earlier page stays as it is


async def test_the_page_asks_for_a_sign_in(service: Api) -> None:
    answer = await service.client.get("/portal/notifications?type=match.proposed")
    assert answer.status_code == 303
    assert (
        answer.headers["location"]
        == "/portal/sign-in?next=/portal/notifications%3Ftype%3Dmatch.proposed"
    )


async def test_the_pages_stream_sends_the_principals_own_notifications_alone(
    service: Api,
) -> None:
    others = [request_event(req.RequestSubmitted, s, CENTRES[s]) for s in ("KHM", "MNE")]
    await deliver(service, Stream.REQUESTS, *(_envelope(e, Stream.REQUESTS) for e in others))
    lao = request_event(req.RequestSubmitted, "LAO", title=TITLES["LAO"])
    await deliver(service, Stream.REQUESTS, _envelope(lao, Stream.REQUESTS))
    stream = "/portal/notifications/stream"
    async with signed_in(service, LAO) as client:
        [(lao_id, item)] = await read_events(
            client, 1, headers={}, path=stream, decode=str, after=0
        )
    async with signed_in(service, KHM) as client:
        refused = await client.get(stream, params={"after": lao_id})

    assert TITLES["LAO"] in item
    assert 'data-type="request.submitted"' in item
    assert refused.status_code == 404  # Cambodia's stream may not start at Lao PDR's line
