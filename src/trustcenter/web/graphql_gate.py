"""The GraphQL transport gate: what a ``POST /graphql`` body must be before GraphQL sees it.

The body arrives already bounded in size (``BodySizeLimit``: the GraphQL limit, or the
anonymous one without an Authorization header) and from a caller whose token, if any, was
checked from the headers. The gate then does only cheap, bounded work, in this order, and
refuses with a GraphQL-shaped 4xx body (``{"errors": [{"message", "extensions": {"code"}}]}``):

1. the body is UTF-8 (strictly) — else 400 ``BAD_REQUEST``;
2. arrays and objects nest at most ``max_json_depth`` deep, counted by scanning the brackets
   outside strings before anything is parsed — else 400 ``JSON_TOO_DEEP``;
3. it is one JSON object with ``query`` (string), ``variables`` and ``extensions`` (objects) and
   ``operationName`` (string) — else 400 ``BAD_REQUEST`` (batches included);
4. the query text is at most ``max_query_bytes`` and at most ``max_tokens`` lexical tokens,
   counted with graphql-core's lexer, which stops one token past the limit — else 413
   ``QUERY_TOO_LARGE``. Counting costs a tenth of parsing and validating, which is what a
   document of many thousand fields would otherwise cost while holding the event loop; the
   count of a recent text within the limit is remembered (``token_count``);
5. no string anywhere (query text, variables, keys) holds NUL or a lone surrogate, and no string
   literal in the query text escapes NUL — else 400 ``BAD_USER_INPUT``. PostgreSQL cannot store
   either and SQLite would, so both backends refuse them here alike.

The parsed payload is handed to strawberry as it is: the body is parsed once.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from graphql import GraphQLError
from graphql.language import Lexer, Source, TokenKind
from starlette.responses import JSONResponse
from starlette.types import Receive

BAD_REQUEST = "BAD_REQUEST"
JSON_TOO_DEEP = "JSON_TOO_DEEP"
QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
BAD_USER_INPUT = "BAD_USER_INPUT"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"

#: a JSON string, escapes included (unrolled, so long strings cost no backtracking)
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
#: JSON escapes that can decode to NUL or a surrogate; without one, no string can hold either
#: (a literal NUL is a control character JSON refuses, and strict UTF-8 has no surrogates)
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_FORBIDDEN_CHAR = re.compile("[\x00\ud800-\udfff]")
#: a GraphQL string escape for NUL (``\u0000`` or ``\u{0}``) not itself escaped
_GRAPHQL_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u(?:0000|\{0+\})")


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> JSONResponse:
        return refusal(self.status, self.code, self.message)


class ClientGone(Exception):
    """The client disconnected before its body was complete."""


def refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status
    )


@dataclass(frozen=True, slots=True)
class GateLimits:
    max_json_depth: int
    max_query_bytes: int
    max_tokens: int


async def read_body(receive: Receive) -> bytes:
    """The whole body; its size is bounded by ``BodySizeLimit`` around the app."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def json_depth(text: str) -> int:
    """How deep arrays and objects nest, counting brackets outside strings, without recursion."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def admit(body: bytes, limits: GateLimits) -> dict[str, Any]:
    """The parsed operation, or ``Refused``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, BAD_REQUEST, "the request body is not valid UTF-8") from None
    if json_depth(text) > limits.max_json_depth:
        raise Refused(
            400, JSON_TOO_DEEP, f"the JSON nests deeper than {limits.max_json_depth} levels"
        )
    try:
        payload = json.loads(text)
    except ValueError:  # JSONDecodeError, and integers too long to convert
        raise Refused(400, BAD_REQUEST, "the request body is not valid JSON") from None
    operation = _check_shape(payload)
    query = operation.get("query")
    if query is not None and len(query.encode("utf-8", "surrogatepass")) > limits.max_query_bytes:
        raise Refused(
            413, QUERY_TOO_LARGE, f"the query is longer than {limits.max_query_bytes} bytes"
        )
    if query is not None and token_count(query, limits.max_tokens) > limits.max_tokens:
        raise Refused(413, QUERY_TOO_LARGE, f"the query has more than {limits.max_tokens} tokens")
    if _SUSPECT_ESCAPE.search(text) and _holds_forbidden(operation):
        raise Refused(
            400, BAD_USER_INPUT, "text must not contain NUL characters or lone surrogates"
        )
    if query is not None and _GRAPHQL_NUL_ESCAPE.search(query):
        raise Refused(400, BAD_USER_INPUT, "text must not contain NUL characters")
    return operation


#: texts counted within their limit, least recently used first: ``(text, limit) -> count``.
#: A client sends the same few texts again and again; counting one costs a lexer pass over it
#: (about a tenth of parsing it), remembering it a dictionary lookup. Texts past the limit are
#: not kept: each is counted again (and refused) every time.
_COUNTED: OrderedDict[tuple[str, int], int] = OrderedDict()
COUNTED_TEXTS = 128


def token_count(query: str, limit: int) -> int:
    """The lexical tokens of ``query`` (comments not counted), at most ``limit + 1``: the
    count stops there. A text the lexer refuses counts what came before the fault; the parser
    refuses it at the same place, after no more than that many tokens."""
    key = (query, limit)
    known = _COUNTED.get(key)
    if known is not None:
        _COUNTED.move_to_end(key)
        return known
    count = _lexed(query, limit)
    if count <= limit:
        _COUNTED[key] = count
        while len(_COUNTED) > COUNTED_TEXTS:
            _COUNTED.popitem(last=False)
    return count


def _lexed(query: str, limit: int) -> int:
    lexer = Lexer(Source(query))
    count = 0
    try:
        while count <= limit and lexer.advance().kind is not TokenKind.EOF:
            count += 1
    except GraphQLError:
        pass
    return count


_SHAPE = {
    "query": (str, "a string"),
    "operationName": (str, "a string"),
    "variables": (dict, "an object"),
    "extensions": (dict, "an object"),
}


def _check_shape(payload: object) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Refused(400, BAD_REQUEST, "send one GraphQL operation as a JSON object")
    for key, (kind, name) in _SHAPE.items():
        value = payload.get(key)
        if value is not None and not isinstance(value, kind):
            raise Refused(400, BAD_REQUEST, f"'{key}' must be {name}")
    return payload


def _holds_forbidden(value: object) -> bool:
    """Depth is already capped, so the recursion is bounded."""
    if isinstance(value, str):
        return _FORBIDDEN_CHAR.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_forbidden(k) or _holds_forbidden(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_forbidden(v) for v in value)
    return False


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
#: the document's first operation keyword, after any leading comments
_FIRST_KEYWORD = re.compile(r"(?:\s|,|#[^\n]*)*(query|mutation|subscription)\b")
#: the first operation's name in a document (an operation type, then its name)
_FIRST_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]{0,99})")


def operation_name(payload: dict[str, Any]) -> str | None:
    """The name a request's operation goes by in the logs: the ``operationName`` sent, when it
    is a GraphQL name, or else the first operation named in the document (looked for in its
    first kilobyte only); None for an anonymous operation."""
    given = payload.get("operationName")
    if isinstance(given, str):
        return given if _NAME.fullmatch(given) else None
    query = payload.get("query")
    if isinstance(query, str):
        found = _FIRST_OPERATION.search(query, 0, 1024)
        return found.group(1) if found else None
    return None


def operation_type(payload: dict[str, Any]) -> str:
    """``query``, ``mutation`` or ``subscription``: the type of the document's first
    operation (a shorthand ``{ … }`` is a query), for the operation's trace span."""
    query = payload.get("query")
    found = _FIRST_KEYWORD.match(query, 0, 1024) if isinstance(query, str) else None
    return found.group(1) if found else "query"
