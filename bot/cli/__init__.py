"""The `balcao` command line: `main` parses, each module registers one command group.

    program.py        the parser, settings flags, error-to-exit-code translation
    server.py         serve, seed-demo          shop.py    data import
    agents.py         agents add|list           admin.py   kb check|test|export, customer ...
    understanding.py  nlu eval, kb import|eval  scale.py   migrate-to-postgres
    logs.py           logging setup

May import anything in `bot`; builds no adapter itself (it asks `bot.app`).
"""

from bot.cli.program import main

__all__ = ["main"]
