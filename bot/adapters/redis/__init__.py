"""Redis adapters: the broker and the rate limiter shared by several server processes.

Importing them needs redis (`pip install 'balcao[scale]'`).
"""
