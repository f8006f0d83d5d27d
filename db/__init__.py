"""Persistence: tables, sessions, migrations and the store's operations."""
