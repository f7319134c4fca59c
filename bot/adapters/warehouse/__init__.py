"""The analysis warehouse's adapters: reading a store (SQLite or PostgreSQL) and writing
DuckDB or Parquet. The export itself is bot/services/warehouse.py."""
