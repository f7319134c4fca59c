"""SQLite adapters: one file, one writer thread, migrations applied on open (`database`)."""
