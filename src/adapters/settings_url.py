"""Parse LESSOR_DATABASE_URL into what the event store and the views need."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from domain.model.errors import InvalidValue


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    url: str

    def __post_init__(self) -> None:
        if not (self.is_postgres or self.url.startswith("sqlite:///")):
            raise InvalidValue(
                "LESSOR_DATABASE_URL must be sqlite:///relative/path.db, sqlite:////absolute/path.db"
                " or postgresql://user[:password]@host[:port]/dbname."
            )

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> str:
        return self.url.removeprefix("sqlite:///")

    @property
    def parts(self) -> dict[str, str]:
        split = urlsplit(self.url)
        return {
            "host": split.hostname or "127.0.0.1",
            "port": str(split.port or 5432),
            "user": unquote(split.username or "postgres"),
            "password": unquote(split.password or ""),
            "dbname": split.path.lstrip("/") or "postgres",
        }

    def conninfo(self) -> str:
        p = self.parts
        info = f"host={p['host']} port={p['port']} user={p['user']} dbname={p['dbname']}"
        return info + (f" password={p['password']}" if p["password"] else "")

    def eventsourcing_env(self, *, create_table: bool) -> dict[str, str]:
        """The explicit env for the eventsourcing Application (no stray shell variables)."""
        env = {"CREATE_TABLE": "y" if create_table else "n", "IS_SNAPSHOTTING_ENABLED": "y"}
        if self.is_postgres:
            p = self.parts
            env |= {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_HOST": p["host"],
                "POSTGRES_PORT": p["port"],
                "POSTGRES_USER": p["user"],
                "POSTGRES_PASSWORD": p["password"],
                "POSTGRES_DBNAME": p["dbname"],
                "POSTGRES_LOCK_TIMEOUT": "5",
                "POSTGRES_POOL_SIZE": "5",
                "POSTGRES_MAX_OVERFLOW": "10",
                "POSTGRES_PRE_PING": "y",
            }
        else:
            env |= {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": self.sqlite_path}
        return env
