"""Builders for test documents (kept in code, so fixtures stay readable)."""
