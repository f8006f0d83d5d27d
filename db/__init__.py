"""Persistence: tables, sessions, migrations and the store's operations.

db.store.Store is the one entry point: its writes in db.store, its reads in db.reads, the
meeting's record in db.record, the undo handlers in db.undo, ballot secrecy in db.secrecy,
database errors as Chinese refusals in db.refusals.
"""
