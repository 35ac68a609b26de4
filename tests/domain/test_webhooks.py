"""The webhook endpoint decider, without a database: registering, who may change an endpoint,
updates that merge and clear, enabling and disabling, URLs refused."""

from __future__ import annotations

import pytest

from server.domain import webhooks
from server.domain.errors import Invalid, NotFound
from server.events import Event
from server.events.types import REGISTRY
from server.events.types.webhooks import (
    WebhookDisabled,
    WebhookEnabled,
    WebhookRegistered,
    WebhookUpdated,
)

ENDPOINT = "00000000-0000-4000-8000-0000000000e1"
TOKEN, OTHER_TOKEN = "00000000-0000-4000-8000-0000000000f1", "00000000-0000-4000-8000-0000000000f2"
ADA = "00000000-0000-4000-8000-00000000000a"
COMMUNITY = "00000000-0000-4000-8000-0000000000c1"
SALT = "s" * 32


def run(
    state: webhooks.Endpoint, command: webhooks.Command
) -> tuple[list[Event], webhooks.Endpoint]:
    """Decide, check every event can be stored, and fold the events in."""
    events = webhooks.decide(state, command)
    for event in events:
        REGISTRY.encode(event)
        state = webhooks.evolve(state, event)
    return events, state


def registered(**settings: object) -> webhooks.Endpoint:
    command = webhooks.Register(
        endpoint_id=ENDPOINT,
        token_id=TOKEN,
        member_id=ADA,
        settings=webhooks.Settings(url="https://hooks.example.org/in", **settings),  # type: ignore[arg-type]
        salt=SALT,
    )
    _, state = run(webhooks.initial(ENDPOINT), command)
    return state


def test_registering_records_the_settings_without_repeated_types() -> None:
    command = webhooks.Register(
        endpoint_id=ENDPOINT,
        token_id=TOKEN,
        member_id=ADA,
        settings=webhooks.Settings(
            url="https://hooks.example.org/in",
            types=("post.*", "post.*", "member.followed"),
            community=COMMUNITY,
            description="  CRM  ",
        ),
        salt=SALT,
    )
    [event], state = run(webhooks.initial(ENDPOINT), command)
    assert isinstance(event, WebhookRegistered)
    assert event.types == ["post.*", "member.followed"] and event.description == "CRM"
    assert state.exists and state.enabled and state.token_id == TOKEN


def test_only_the_token_that_registered_it_may_touch_an_endpoint() -> None:
    state = registered()
    for command in (
        webhooks.Update(token_id=OTHER_TOKEN, member_id=ADA, changes={"description": "x"}),
        webhooks.RotateSecret(token_id=OTHER_TOKEN, member_id=ADA, salt=SALT),
        webhooks.Delete(token_id=OTHER_TOKEN, member_id=ADA),
    ):
        with pytest.raises(NotFound) as refused:
            webhooks.decide(state, command)
        assert refused.value.field == "webhook_id"
    with pytest.raises(NotFound):
        webhooks.decide(webhooks.initial(ENDPOINT), webhooks.Delete(token_id=TOKEN, member_id=ADA))


def test_a_deleted_endpoint_is_gone_for_good() -> None:
    _, state = run(registered(), webhooks.Delete(token_id=TOKEN, member_id=ADA))
    with pytest.raises(NotFound):
        webhooks.decide(state, webhooks.Update(token_id=TOKEN, member_id=ADA, enabled=True))
    assert webhooks.decide(state, webhooks.Disable(reason="failing")) == []


def test_an_update_merges_what_is_given_and_none_clears_a_filter() -> None:
    state = registered(community=COMMUNITY, types=("post.*",))
    update = webhooks.Update(
        token_id=TOKEN, member_id=ADA, changes={"community": None, "description": "new"}
    )
    [event], state = run(state, update)
    assert isinstance(event, WebhookUpdated)
    assert event.community is None and event.types == ["post.*"] and event.description == "new"
    assert run(state, update)[0] == []  # the same again changes nothing


def test_enabling_and_disabling_change_only_what_differs() -> None:
    state = registered()
    [disabled], state = run(state, webhooks.Disable(reason="HTTP 410 Gone"))
    assert isinstance(disabled, WebhookDisabled) and disabled.by is None
    assert state.disabled_reason == "HTTP 410 Gone"
    assert webhooks.decide(state, webhooks.Disable(reason="again")) == []
    [enabled], state = run(state, webhooks.Update(token_id=TOKEN, member_id=ADA, enabled=True))
    assert isinstance(enabled, WebhookEnabled) and state.enabled
    assert (
        webhooks.decide(state, webhooks.Update(token_id=TOKEN, member_id=ADA, enabled=True)) == []
    )
    [by_owner], state = run(state, webhooks.Update(token_id=TOKEN, member_id=ADA, enabled=False))
    assert isinstance(by_owner, WebhookDisabled) and by_owner.by == ADA


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.org/",
        "https://",
        "https://user:pass@hooks.example.org/",
        "https://hooks.example.org/in#part",
        "https://hooks.example.org:99999/",
        "https://hooks.example.org/a b",
        "https://hôte.example.org/",
        "https://hooks.example.org/" + "a" * 2000,
        "javascript:alert(1)",
    ],
)
def test_urls_deliveries_cannot_go_to_are_refused_naming_url(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        webhooks.check_url(url)
    assert refused.value.field == "url"


def test_http_and_https_urls_with_ports_and_queries_are_accepted() -> None:
    for url in ("http://hooks.example.org:8080/in?x=1", "https://[2001:db8::1]/in"):
        assert webhooks.check_url(url) == url
