"""The registry without a database: validation of untrusted JSON, field paths, upcasting."""

from __future__ import annotations

import pytest

from server.events import EventRegistry, InvalidEventPayload, UnknownEventType
from tests.events.sample_events import SAMPLE_REGISTRY, Noted, RenamedV1, RenamedV2


def test_untrusted_json_becomes_its_event_type() -> None:
    event = SAMPLE_REGISTRY.parse("test.noted", b'{"text": "hello", "count": 2}')
    assert event == Noted(text="hello", count=2)
    assert SAMPLE_REGISTRY.parse_tagged(b'{"type": "test.noted", "text": "hi"}') == Noted(text="hi")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b'{"text": 1}', "body.text"),
        (b'{"text": "a", "count": -1}', "body.count"),
        (b'{"count": 1}', "body"),
        (b'{"text": ', "body"),
        (b'{"text": "a\\u0000"}', "body"),
    ],
)
def test_invalid_json_names_the_field(payload: bytes, field: str) -> None:
    with pytest.raises(InvalidEventPayload) as caught:
        SAMPLE_REGISTRY.parse("test.noted", payload, field="body")
    assert caught.value.field == field


def test_unknown_types_are_refused() -> None:
    with pytest.raises(UnknownEventType) as by_name:
        SAMPLE_REGISTRY.parse("test.nope", b"{}", field="body")
    assert by_name.value.field == "body.type"
    with pytest.raises(UnknownEventType):
        SAMPLE_REGISTRY.parse_tagged(b'{"type": "test.nope"}')


def test_an_old_version_is_upcast_when_decoded() -> None:
    stored = b'{"type": "test.renamed", "name": "Ada Lovelace"}'
    assert SAMPLE_REGISTRY.decode("test.renamed", 1, stored) == RenamedV2(
        given="Ada", family="Lovelace"
    )
    current = b'{"type": "test.renamed", "given": "Grace", "family": "Hopper"}'
    assert SAMPLE_REGISTRY.decode("test.renamed", 2, current) == RenamedV2(
        given="Grace", family="Hopper"
    )


def test_a_version_without_its_upcaster_is_refused_at_startup() -> None:
    with pytest.raises(TypeError, match="no upcaster from v1"):
        EventRegistry([RenamedV2])


def test_two_types_with_one_tag_are_refused() -> None:
    with pytest.raises(TypeError, match="two event types"):
        EventRegistry([RenamedV1, RenamedV2])


def test_json_schemas_carry_the_schema_version() -> None:
    schemas = SAMPLE_REGISTRY.json_schemas()
    assert schemas["test.renamed"]["x-learnwork-schema-version"] == 2
    assert schemas["test.noted"]["$defs"]["Noted"]["required"] == ["type", "text"]
