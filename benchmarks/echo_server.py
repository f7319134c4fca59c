"""A bare aiohttp WebSocket server speaking the widget's protocol minimally: the baseline.

    python benchmarks/echo_server.py --port 8090

`bench_load.py` puts the same load on it as on Balcão and prints the ratio: what the
framework alone costs (accept, parse a JSON frame, answer one JSON frame) against the
full path (understanding, dialogue, SQLite, broker, five frames per message).

GET /ws: `hello` -> `welcome`; `message {id}` -> `ack {id, seq, duplicate: false}`;
`ping` -> `pong`. GET /health -> {"status": "ok"}. Same heartbeat and frame limit as
the widget's socket; the default asyncio loop, as `balcao serve` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import secrets

from aiohttp import WSMsgType, web

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "echo": True})


@routes.get("/ws")
async def socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=64 * 1024)
    await ws.prepare(request)
    seq = 0
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        try:
            frame = json.loads(msg.data)
        except ValueError:
            await ws.send_str(json.dumps({"type": "error", "code": "invalid_json"}))
            continue
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "message":
            seq += 1
            reply = {"type": "ack", "id": frame.get("id"), "seq": seq, "duplicate": False}
        elif kind == "hello":
            reply = {
                "type": "welcome",
                "session_id": secrets.token_urlsafe(24),
                "resumed": False,
                "language": frame.get("language") or "en",
                "greeting": "",
                "history": [],
            }
        elif kind == "ping":
            reply = {"type": "pong"}
        else:
            continue
        await ws.send_str(json.dumps(reply, ensure_ascii=False))
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):  # one file descriptor per connection
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    app = web.Application()
    app.add_routes(routes)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
