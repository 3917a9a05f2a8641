"""Who hears of each step of an extension request, and how loudly: pure rules, no I/O."""

from __future__ import annotations

from datetime import date

import pytest

from services.notifications.domain.model import Notice, Severity
from services.notifications.domain.notices import Known, notices_for
from shared.events import requests as req
from tests.factories import EXTENSION_GROUP as GROUP
from tests.factories import extension_event


def _audiences(notices: list[Notice]) -> dict[str, Severity]:
    return {n.audience: n.severity for n in notices}


INFO, WARNING = Severity.INFO, Severity.WARNING


@pytest.mark.parametrize(
    ("event_type", "warned"),
    [
        (req.ExtensionSubmitted, set(GROUP)),
        (req.ExtensionQuestionAsked, {"national:LAO"}),
        (req.ExtensionAnswered, set(GROUP)),
        (req.ExtensionAnalysed, {"secretariat"}),
        (req.ExtensionDecided, {"national:LAO"}),
    ],
)
def test_each_step_warns_who_acts_next_and_informs_the_others(
    event_type: type[req.ExtensionEvent], warned: set[str]
) -> None:
    notices = notices_for(extension_event(event_type), Known())
    everyone = {"national:LAO", "regional:south-eastern-asia", "secretariat", "operator", *GROUP}

    assert _audiences(notices) == {a: WARNING if a in warned else INFO for a in everyone}


def test_the_summary_names_the_state_the_article_and_the_outcome() -> None:
    granted = extension_event(req.ExtensionDecided, granted_deadline=date(2029, 8, 1))
    [notice, *_] = notices_for(granted, Known())

    assert "Lao" in notice.summary
    assert "Article 4 deadline 2025-08-01 granted to 2029-08-01" in notice.summary
    assert notice.request_id == granted.request_id
    assert notice.subject == str(granted.extension.extension_id)


def test_a_state_no_centre_covers_tells_no_centre() -> None:
    notices = notices_for(extension_event(req.ExtensionQuestionAsked, centre=None), Known())

    assert not any(n.audience.startswith("regional:") for n in notices)
