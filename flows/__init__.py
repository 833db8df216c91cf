"""Prefect flows and the cityradar CLI: orchestration only, no parsing or SQL."""
