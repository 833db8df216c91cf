"""DuckDB: numbered migrations, the single-writer loader, analyst views as SQL files."""
