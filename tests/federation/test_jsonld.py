"""Inbound activities read in our context: what Mastodon, Pleroma and Misskey send
(tests/fixtures/activitypub/, shaped as each sends them) comes out with plain ActivityStreams
keys, and our own objects come back as they were served. Contexts come from schemas/contexts/
only: an unknown one is empty, and nothing is fetched."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.federation import state
from server.federation.jsonld import (
    BUNDLED,
    LEARNWORK,
    LEARNWORK_TERMS,
    PUBLIC,
    ContextRejected,
    load_document,
    normalise,
)
from server.federation.objects import CONTEXT
from server.federation.urls import Urls
from tests.api.conftest import Client, register, settle
from tests.api.test_paths import _community, _path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "activitypub"
ADA = "https://learn.example/ap/members/0193a5c4-7b1e-7c3a-9f0e-2d4b6a8c0e12"


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "@context"}


def test_a_mastodon_create_of_a_note_reads_as_plain_activitystreams() -> None:
    create = normalise(_fixture("mastodon-create-note"))
    assert create["type"] == "Create" and create["actor"] == "https://mastodon.example/users/bob"
    assert create["to"] == [PUBLIC]
    assert create["cc"] == ["https://mastodon.example/users/bob/followers", ADA]
    note = create["object"]  # embedded, as sent
    assert note["type"] == "Note" and note["id"].endswith("/statuses/113402871029384756")
    assert note["attributedTo"] == create["actor"]
    assert (
        note["inReplyTo"] == "https://learn.example/ap/posts/0193a5c4-8f2d-7a41-b3c5-6e7f8091a2b3"
    )
    assert note["content"].startswith('<p><span class="h-card">')
    assert note["contentMap"] == {"en": note["content"]}
    assert note["sensitive"] is False
    assert "summary" not in note  # null: no value
    assert [tag["type"] for tag in note["tag"]] == ["Mention", "Hashtag"]
    [image] = note["attachment"]
    assert image["type"] == "Document" and image["width"] == 1200
    assert image["http://joinmastodon.org/ns#blurhash"].startswith("UBL_")
    assert note["http://ostatus.org#conversation"].startswith("tag:mastodon.example")


def test_a_mastodon_follow_is_unchanged_but_for_its_context() -> None:
    follow = _fixture("mastodon-follow")
    assert _plain(normalise(follow)) == _plain(follow)


def test_pleroma_with_its_unknown_litepub_context_and_undetermined_language(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="server.federation.jsonld"):
        create = normalise(_fixture("pleroma-create-note"))
    assert create["to"] == [PUBLIC]  # written "Public"
    assert create["directMessage"] is False  # a litepub term: its name kept
    assert create["context"].startswith("https://pleroma.example/contexts/")
    note = create["object"]
    assert note["content"] == "Spaced repetition, week three: still going."  # not `und`-keyed
    assert note["summary"] == "" and note["tag"] == [] and note["attachment"] == []
    assert note["source"] == {
        "content": "Spaced repetition, week three: still going.",
        "mediaType": "text/plain",
    }


def test_misskey_with_its_inline_map() -> None:
    create = normalise(_fixture("misskey-create-note"))
    assert create["to"] == [PUBLIC]
    note = create["object"]
    assert note["content"] == "<p>Three card formats compared: cloze wins.</p>"
    assert note["https://misskey-hub.net/ns#_misskey_content"].startswith("Three card formats")
    assert "inReplyTo" not in note and note["sensitive"] is False


def test_one_value_is_a_value_and_addressing_is_always_a_list() -> None:
    note = normalise({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://x.example/notes/1", "type": "Note", "to": "as:Public",
        "cc": "https://x.example/followers", "audience": "https://x.example/groups/g",
        "tag": {"type": "Hashtag", "name": "#sql"}, "name": ["one"],
    })  # fmt: skip
    assert note["to"] == [PUBLIC] and note["cc"] == ["https://x.example/followers"]
    assert note["audience"] == ["https://x.example/groups/g"]
    assert note["tag"] == [{"type": "Hashtag", "name": "#sql"}]
    assert note["name"] == "one"


def test_a_document_without_a_context_is_read_as_activitystreams() -> None:
    undo = {"id": "https://x.example/undo/1", "type": "Undo", "actor": "https://x.example/u",
            "object": {"id": "https://x.example/follows/1", "type": "Follow"}}  # fmt: skip
    assert _plain(normalise(undo)) == undo


@pytest.mark.parametrize(
    "context",
    [
        5,
        {"skills": {"@id": 5}},
        {"@version": 1.0},
        ["https://w3id.org/security/data-integrity/v2", {"proof": "https://x.example/p"}],
    ],
    ids=["a number", "a term with a bad id", "a bad version", "a protected term redefined"],
)
def test_a_context_the_processor_refuses_is_rejected(context: Any) -> None:
    with pytest.raises(ContextRejected):
        normalise({"@context": context, "id": "https://x.example/1", "type": "Note"})


def test_the_loader_serves_the_bundled_documents_and_an_empty_one_for_any_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for url in BUNDLED:
        assert load_document(url)["document"]["@context"]
    assert load_document(LEARNWORK)["document"]["@context"] == LEARNWORK_TERMS
    unknown = "https://unknown.example/ns/never-fetched.jsonld"
    with caplog.at_level(logging.INFO, logger="server.federation.jsonld"):
        for _ in range(3):
            normalise({"@context": [unknown], "id": "https://x.example/1", "type": "Note"})
        assert load_document(unknown)["document"] == {"@context": {}}
    # pyld keeps what it resolved: the first document asked, and the direct call above.
    assert [r.getMessage() for r in caplog.records].count(
        f"unknown JSON-LD context {unknown}: read as an empty context"
    ) == 2


def test_objects_carry_learnworks_terms_inline_from_the_bundled_context() -> None:
    assert CONTEXT[1] == LEARNWORK_TERMS
    with_url = {"@context": ["https://www.w3.org/ns/activitystreams", LEARNWORK],
                "id": "https://x.example/a/1", "type": "Article", "skills": "sql"}  # fmt: skip
    inline = {**with_url, "@context": CONTEXT}
    assert normalise(with_url) == normalise(inline)
    assert normalise(inline)["skills"] == ["sql"]


async def test_our_own_objects_come_back_as_they_were_served(client: Client) -> None:
    ada = await register(client, "ada")
    sql = await _community(ada, "sql")
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    post = await ada.expect("POST", "/api/v1/posts", 201,
                            json={"body": "Hello *world*", "community_id": sql})  # fmt: skip
    body = {"title": "Query plans", "summary": "What <EXPLAIN> says", "body": "Read **it**",
            "skills": ["SQL tuning"], "links": ["https://example.org/plan"]}  # fmt: skip
    made = await ada.expect("POST", "/api/v1/artefacts", 201, json=body)
    path_id = await _path(ada, "sql", steps=2)
    await settle(client)

    for url in (urls.post(post["id"]), urls.artefact(made["id"]), urls.path(path_id)):
        response = await client.get(
            url.removeprefix(urls.base), headers={"Accept": "application/activity+json"}
        )
        served = await response.json(content_type=None)
        expected = copy.deepcopy(_plain(served))
        if "audience" in expected:  # always a list once normalised
            expected["audience"] = [expected["audience"]]
        assert _plain(normalise(served)) == expected, url


_KEYS = st.sampled_from([
    "@context", "@id", "@type", "@value", "@language", "@list", "@set", "@graph", "@reverse",
    "@index", "@vocab", "@base", "@container", "@protected", "@import", "@included", "@json",
    "id", "type", "to", "content", "object", "skills", "steps", "as:x", "_:b", "http://a.example/p",
])  # fmt: skip
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
    st.sampled_from(["@id", "@type", "@list", "@json", "@none", "Public", "as:Public", "und",
                     "https://www.w3.org/ns/activitystreams", "_:x", "http://a.example/"]),
)  # fmt: skip
_JSON = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5)
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=6))
def test_any_json_object_normalises_or_is_rejected(document: dict[str, Any]) -> None:
    try:
        assert isinstance(normalise(document), dict)
    except ContextRejected:
        pass
