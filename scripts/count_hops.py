"""Count Balcão's own function calls on one message's way (docs/architecture.md).

    python scripts/count_hops.py .              # this checkout
    python scripts/count_hops.py /path/to/old   # another checkout, for a before/after
    python scripts/count_hops.py . --trace      # and list them in order
    python scripts/count_hops.py . --cpu 2000   # and CPU ms per message over 2000 messages

One REST message ("how much is shipping?") to a new conversation, after a warm-up message,
through a real app (a temporary SQLite file, the tests' knowledge base, the lexical engine).
Calls inside bot/understanding are left out but for its seam, matching.py (the matcher
is one hop; matching.py sat at bot/'s root before the re-lay); a coroutine counts
once, not once per resume.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

CO_GENERATOR = 0x20
CO_COROUTINE = 0x80
CO_ASYNC_GENERATOR = 0x200
RESUMABLE = CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR


def count(root: Path, cpu_messages: int = 0) -> tuple[list[tuple[str, str]], float]:
    sys.path.insert(0, str(root))
    os.environ["BALCAO_ENCODER"] = "off"
    test_utils = importlib.import_module("aiohttp.test_utils")
    create_app = importlib.import_module("bot.app").create_app
    settings_type = importlib.import_module("bot.config").Settings
    ours = tuple(str(root / d) for d in ("bot", "channels", "actions"))
    # the matcher's insides, and the event-loop monitor's timer (not on the message's way)
    skip = (str(root / "bot" / "understanding"), str(root / "channels" / "loop_monitor.py"))
    calls: list[tuple[str, str]] = []
    # a resumable frame is held, so that its id is not reused by a later frame
    seen: dict[int, FrameType] = {}
    cpu: list[float] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        name = frame.f_code.co_filename
        if event != "call" or not name.startswith(ours):
            return
        if name.startswith(skip) and not name.endswith("matching.py"):  # the seam counts
            return
        if frame.f_code.co_flags & RESUMABLE:
            if id(frame) in seen:
                return
            seen[id(frame)] = frame
        calls.append((os.path.relpath(name, root), frame.f_code.co_name))

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_type.from_env(
                {},
                db=Path(tmp) / "x.sqlite3",
                kb=root / "tests" / "fixtures" / "kb",
                actions_package="tests.support.echo_actions",
                encoder="off",
                # --cpu sends thousands from one address: the limiter still counts each one
                messages_per_minute=10**6,
                ip_messages_per_minute=10**9,
            )
            server = test_utils.TestServer(create_app(settings))
            async with test_utils.TestClient(server) as client:
                body = {"sender": "warm", "message": "hello"}
                await client.post("/webhooks/rest/webhook", json=body)
                sys.setprofile(profile)
                body = {"sender": "s1", "message": "how much is shipping?"}
                response = await client.post("/webhooks/rest/webhook", json=body)
                sys.setprofile(None)
                assert response.status == 200
                if cpu_messages:  # the same way, unprofiled: server and client in one process
                    started = time.process_time()
                    for i in range(cpu_messages):
                        body = {"sender": f"c{i % 50}", "message": "how much is shipping?"}
                        response = await client.post("/webhooks/rest/webhook", json=body)
                        assert response.status == 200
                    cpu.append((time.process_time() - started) / cpu_messages)

    asyncio.run(run())
    return calls, cpu[0] if cpu else 0.0


def main() -> None:
    cpu_messages = int(sys.argv[sys.argv.index("--cpu") + 1]) if "--cpu" in sys.argv else 0
    calls, cpu = count(Path(sys.argv[1]).resolve(), cpu_messages)
    modules = {module for module, _ in calls}
    print(f"{len(calls)} calls of Balcão's functions over {len(modules)} modules")
    if cpu_messages:
        print(f"{cpu * 1000:.3f} ms CPU per message ({cpu_messages} messages, client included)")
    if "--trace" in sys.argv:
        for module, function in calls:
            print(f"  {module} {function}")


if __name__ == "__main__":
    main()
