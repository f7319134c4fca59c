"""Count Balcão's own function calls on one message's way (docs/architecture.md).

    python scripts/count_hops.py .              # this checkout
    python scripts/count_hops.py /path/to/old   # another checkout, for a before/after
    python scripts/count_hops.py . --trace      # and list them in order

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
from pathlib import Path
from types import FrameType
from typing import Any

CO_COROUTINE = 0x80


def count(root: Path) -> list[tuple[str, str]]:
    sys.path.insert(0, str(root))
    os.environ["BALCAO_ENCODER"] = "off"
    test_utils = importlib.import_module("aiohttp.test_utils")
    create_app = importlib.import_module("bot.app").create_app
    settings_type = importlib.import_module("bot.config").Settings
    ours = tuple(str(root / d) for d in ("bot", "channels", "actions"))
    # the matcher's insides, and the event-loop monitor's timer (not on the message's way)
    skip = (str(root / "bot" / "understanding"), str(root / "channels" / "loop_monitor.py"))
    calls: list[tuple[str, str]] = []
    seen: set[int] = set()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        name = frame.f_code.co_filename
        if event != "call" or not name.startswith(ours):
            return
        if name.startswith(skip) and not name.endswith("matching.py"):  # the seam counts
            return
        if frame.f_code.co_flags & CO_COROUTINE:
            if id(frame) in seen:
                return
            seen.add(id(frame))
        calls.append((os.path.relpath(name, root), frame.f_code.co_name))

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_type.from_env(
                {},
                db=Path(tmp) / "x.sqlite3",
                kb=root / "tests" / "fixtures" / "kb",
                actions_package="tests.support.echo_actions",
                encoder="off",
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

    asyncio.run(run())
    return calls


def main() -> None:
    calls = count(Path(sys.argv[1]).resolve())
    modules = {module for module, _ in calls}
    print(f"{len(calls)} calls of Balcão's functions over {len(modules)} modules")
    if "--trace" in sys.argv:
        for module, function in calls:
            print(f"  {module} {function}")


if __name__ == "__main__":
    main()
