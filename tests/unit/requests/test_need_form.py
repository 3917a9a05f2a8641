"""The portal's request form without I/O: its fields make the API's body and back, a refusal is
put beside the form's own field, and each office is offered the changes it may make now."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.requests.api.need_form import need_body, need_fields, placed
from services.requests.api.schemas import NeedIn
from services.requests.domain.model import InKind
from services.requests.domain.policy import changes_open_to
from shared.portal.forms import Form, Refusal
from shared.principal import Principal
from tests.factories import NOW, draft_request

LAO = Principal.national("LAO")
CENTRE = Principal.regional("south-eastern-asia")


def test_a_request_drawn_in_the_form_makes_the_same_need_again() -> None:
    request = draft_request(
        deadline=date.today() + timedelta(days=365),
        in_kind=(InKind("expert-days", Decimal("120"), "Survey experts"),),
    )

    body, moved = need_body(need_fields(request))

    assert NeedIn.model_validate(body).to_need() == request.need
    assert moved == {"in_kind.0": "in_kind.0", "evidence.0": "evidence.0"}


def test_blank_rows_are_left_out_and_a_refusal_is_put_beside_the_row_it_concerns() -> None:
    form = Form(
        {
            "in_kind.2.unit": ["expert-days"],
            "in_kind.2.quantity": ["0"],
            "in_kind.1.description": [""],
            "areas": ["CCM/survey-and-clearance", "CCM/no-such-area"],
            "contact.email": ["nobody"],
        }
    )
    body, moved = need_body(form)
    with pytest.raises(ValidationError) as refused:
        NeedIn.model_validate({**body, "convention": "CCM"})

    refusal = placed(Refusal.of(refused.value), moved)

    assert body["in_kind"] == [{"unit": "expert-days", "quantity": "0"}]
    assert body["areas"] == ["survey-and-clearance", "no-such-area"]
    assert "amount" not in body
    assert {"in_kind.2.quantity", "in_kind.2.description", "areas", "title"} <= set(refusal.fields)
    assert refusal.fields["contact.email"].startswith("not an e-mail address")
    assert "Help in kind, row 3: quantity" in refusal.detail


def test_each_office_is_offered_the_changes_it_may_make_now() -> None:
    request = draft_request()
    offered = {"draft": changes_open_to(LAO, request)}
    request.submit("national:LAO", NOW)
    offered["submitted"] = changes_open_to(CENTRE, request)
    request.endorse("regional:south-eastern-asia", NOW)

    assert offered == {"draft": ["amend", "submit", "withdraw"], "submitted": ["endorse", "return"]}
    assert changes_open_to(Principal.national("KHM"), request) == []
    assert changes_open_to(Principal.operator(), request) == []
    assert changes_open_to(Principal.secretariat(), request) == ["withdraw", "return", "publish"]
