"""Write-through persistence of the sandbox state in one small SQLite file.

One table, one row per object, keyed by kind and id, holding a pickle of the object. Every
mutation worth keeping writes its object's row (never the whole state), so a 20,000-row
queue is written twice: when accepted and when finished. Loaded once at start.

Without a file (``SandboxConfig.state_file`` None, the default in code and in tests) the
``MemoryStore`` keeps nothing and costs nothing.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (kind, key)
)
"""


class MemoryStore:
    """No persistence: every call is a no-op."""

    path: str | None = None

    def put(self, kind: str, key: object, obj: Any) -> None:
        return None

    def delete(self, kind: str, key: object) -> None:
        return None

    def load(self, kind: str) -> list[Any]:
        return []

    def clear(self) -> None:
        return None

    def close(self) -> None:
        return None


class SqliteStore(MemoryStore):
    def __init__(self, path: str) -> None:
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        # The sandbox's event loop may run in another thread than the one that built it;
        # only that loop ever uses the connection.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(SCHEMA)

    def put(self, kind: str, key: object, obj: Any) -> None:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        self._db.execute(
            "INSERT OR REPLACE INTO objects (kind, key, data) VALUES (?, ?, ?)",
            (kind, str(key), data),
        )

    def delete(self, kind: str, key: object) -> None:
        self._db.execute("DELETE FROM objects WHERE kind = ? AND key = ?", (kind, str(key)))

    def load(self, kind: str) -> list[Any]:
        rows = self._db.execute("SELECT data FROM objects WHERE kind = ?", (kind,)).fetchall()
        return [pickle.loads(row[0]) for row in rows]  # noqa: S301 - our own file

    def clear(self) -> None:
        self._db.execute("DELETE FROM objects")

    def close(self) -> None:
        self._db.close()


def open_store(path: str | None) -> MemoryStore:
    return SqliteStore(path) if path else MemoryStore()
