"""The emf module's own store tables (applied by ``Store.migrate_module``).

Each script is one schema version; a new version is appended at the end, never inserted.
"""

MIGRATIONS: list[str] = [
]
