"""The benchmark's webhook receiver: a tiny ASGI app under uvicorn, run as its own process.

``POST /hook/...`` answers 204 at once and remembers the ``webhook-id``; one request in
``--verify-every`` is verified with the ``standardwebhooks`` library (a failure answers 400 and
is counted). ``GET /ids`` returns every ``webhook-id`` received so far, one a line;
``GET /stats`` the counts; ``POST /reset`` forgets them.

Usage: python bench/webhook_receiver.py --port P --secret whsec_... [--verify-every 100]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import uvicorn
from standardwebhooks import Webhook, WebhookVerificationError


def make_app(secret: str, verify_every: int) -> Any:
    webhook = Webhook(secret)
    ids: list[str] = []
    stats = {"verified": 0, "bad_signatures": 0}

    async def read_body(receive: Any) -> bytes:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                return body

    async def answer(send: Any, status: int, body: bytes = b"") -> None:
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        if method == "POST" and path.startswith("/hook"):
            body = await read_body(receive)
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            ids.append(headers.get("webhook-id", ""))
            if verify_every and len(ids) % verify_every == 0:
                try:
                    webhook.verify(body, headers)
                    stats["verified"] += 1
                except WebhookVerificationError:
                    stats["bad_signatures"] += 1
                    await answer(send, 400)
                    return
            await answer(send, 204)
        elif path == "/ids":
            await answer(send, 200, "".join(f"{i}\n" for i in ids).encode())
        elif path == "/stats":
            await answer(send, 200, json.dumps({"received": len(ids), **stats}).encode())
        elif method == "POST" and path == "/reset":
            ids.clear()
            stats.update(verified=0, bad_signatures=0)
            await answer(send, 204)
        else:
            await answer(send, 404)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--verify-every", type=int, default=100)
    args = parser.parse_args()
    uvicorn.run(
        make_app(args.secret, args.verify_every),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
