"""Domain blocks over real HTTP: admins block and unblock remote domains (normalised, never
this instance's own host); members cannot; a blocked domain's activities are refused at the
inbox before anything is fetched from it (tests/federation/test_inbox.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from server.api.keys import OPTIONS
from tests.api.conftest import Client, field_of, register, settle
from tests.api.test_streams import streamer

BLOCKS = "/api/v1/admin/domain_blocks"


async def test_admins_block_and_unblock_domains(client: Client) -> None:
    root = await streamer(client)
    written = await root.expect("POST", BLOCKS, 201, json={"domain": " Spam.EXAMPLE. ",
                                                          "reason": "spam"})  # fmt: skip
    assert written["id"] == "spam.example"
    again = await root.expect("POST", BLOCKS, 201, json={"domain": "spam.example"})
    assert again["position"] is None  # blocked already: nothing changes
    await root.expect("POST", BLOCKS, 201, json={"domain": "bücher.example"})
    root.saw(root)
    listed = await root.expect("GET", BLOCKS, 200)
    assert [b["domain"] for b in listed["items"]] == ["xn--bcher-kva.example", "spam.example"]
    assert listed["items"][1]["reason"] == "spam"

    await root.expect("DELETE", f"{BLOCKS}/spam.example", 200)
    await settle(client)
    assert [b["domain"] for b in (await root.expect("GET", BLOCKS, 200))["items"]] == [
        "xn--bcher-kva.example"
    ]


async def test_what_is_refused(client: Client) -> None:
    root = await streamer(client)
    for bad in ("https://spam.example/", "localhost", "spam..example", "a b.example"):
        problem = await root.expect("POST", BLOCKS, 422, json={"domain": bad})
        assert field_of(problem) == "domain", bad
    own_host = urlsplit(client.server.app[OPTIONS].base_url).netloc
    problem = await root.expect("POST", BLOCKS, 422, json={"domain": own_host})
    assert "this instance" in problem["errors"][0]["detail"]
    member = await register(client, "ada")
    await member.expect("POST", BLOCKS, 403, json={"domain": "spam.example"})
    await member.expect("GET", BLOCKS, 403)
