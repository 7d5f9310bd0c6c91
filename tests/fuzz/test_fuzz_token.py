"""Fuzz ``POST /oauth/token``: forms of real and forged credentials, grant types, scopes and
client assertions, encoded well and badly. Refusals (400, 401, 413, 415, 429: the endpoint's
throttle refuses repeated bad client authentication) are answers; a 5xx, an
INTERNAL_SERVER_ERROR or an ERROR in the server's log is a failure (see ``harness``)."""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import quote_from_bytes

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.harness import Server, bounded, in_thread, scaled
from tests.helpers import AGENCY_SCOPES, STAFF_SCOPES, World

TEXT = st.text(max_size=60)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


JWT_LIKE = st.tuples(
    st.sampled_from([b'{"alg":"RS256","kid":"x"}', b'{"alg":"none"}', b"{}", b"[]", b"\xff"])
    | st.binary(max_size=40),
    st.sampled_from([b'{"iss":"c","sub":"c","aud":"http://localhost/oauth/token","exp":1}'])
    | st.binary(max_size=40),
    st.binary(max_size=40),
).map(lambda parts: ".".join(b64url(p) for p in parts))


def forms(client_ids: list[str], secrets: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    ids = st.sampled_from(client_ids) | TEXT
    field = st.one_of(
        st.tuples(st.just("grant_type"), st.sampled_from(["client_credentials"]) | TEXT),
        st.tuples(
            st.just("scope"),
            st.lists(st.sampled_from(AGENCY_SCOPES + STAFF_SCOPES) | TEXT, max_size=4).map(
                " ".join
            ),
        ),
        st.tuples(st.just("client_id"), ids),
        st.tuples(st.just("client_secret"), st.sampled_from(secrets) | TEXT),
        st.tuples(st.just("client_assertion_type"), st.just(ASSERTION_TYPE) | TEXT),
        st.tuples(st.just("client_assertion"), JWT_LIKE | TEXT),
        st.tuples(TEXT, TEXT),
    )
    grant = st.just([("grant_type", "client_credentials")])
    return st.tuples(grant | st.just([]), st.lists(field, max_size=6)).map(lambda t: t[0] + t[1])


def encoded(form: list[tuple[str, str]], raw: bytes) -> bytes:
    pairs = "&".join(
        f"{quote_from_bytes(k.encode(errors='surrogatepass'))}="
        f"{quote_from_bytes(v.encode(errors='surrogatepass'))}"
        for k, v in form
    )
    return pairs.encode() + raw


def basic(client_id: str, secret: str) -> str:
    return (
        "Basic " + base64.b64encode(f"{client_id}:{secret}".encode(errors="surrogatepass")).decode()
    )


def authorizations(client_ids: list[str], secrets: list[str]) -> st.SearchStrategy[str | None]:
    basics = st.tuples(st.sampled_from(client_ids) | TEXT, st.sampled_from(secrets) | TEXT).map(
        lambda p: basic(*p)
    )
    odd = st.sampled_from(["Basic", "Basic !!!", "Basic " + b64url(b"\xff\xfe:x"), "Bearer x"])
    return st.none() | basics | odd | TEXT.filter(lambda t: t.isprintable() and t.isascii())


FORM = "application/x-www-form-urlencoded"
CONTENT_TYPES = st.just(FORM) | st.sampled_from(
    [
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "",
    ]
)


async def test_token_endpoint_fuzz(
    world: World, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    staff = await world.staff_actor()
    agency = await world.agency_actor()
    client_ids = [staff.client_id, agency.client_id]
    secrets = [staff.client_secret, agency.client_secret]
    server = Server(asyncio.get_running_loop(), http, caplog)

    @bounded(scaled(400))
    @example(
        form=[("grant_type", "client_credentials")],
        raw=b"",
        authorization=basic(agency.client_id, agency.client_secret),
        content_type=FORM,
    )
    @given(
        form=forms(client_ids, secrets),
        raw=st.just(b"") | st.sampled_from([b"&", b"%", b"%zz", b"=\xff\xfe", b"&&==&"]),
        authorization=authorizations(client_ids, secrets),
        content_type=CONTENT_TYPES,
    )
    def fuzz(
        form: list[tuple[str, str]], raw: bytes, authorization: str | None, content_type: str
    ) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        if authorization is not None:
            headers["Authorization"] = authorization
        body = encoded(form, raw)
        server.send(
            f"{headers!r} {body!r}",
            lambda: http.post("/oauth/token", content=body, headers=headers),
        )

    await in_thread(fuzz)
    # the run reached past the form's parsing: clients were authenticated and refused
    assert {200, 400, 401} <= set(server.statuses), server.statuses
