"""Parse LESSOR_DATABASE_URL into what the event store and the views need."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from domain.model.errors import InvalidValue

# The recorder that saves in one round trip (adapters/one_trip_recorder.py), named as a
# topic: the library imports it only when the store is PostgreSQL.
ONE_TRIP_RECORDER = "adapters.one_trip_recorder:OneTripRecorder"


POOL_SIZE = 5  # the event store's connections kept open (more on demand, up to 15)
AGGREGATE_CACHE_SIZE = 10_000  # aggregates per process (LRU); each a few kB


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
        env = {
            "CREATE_TABLE": "y" if create_table else "n",
            "IS_SNAPSHOTTING_ENABLED": "y",
            # Loaded aggregates stay in memory; a load then reads only the events after the
            # cached version (one SELECT, fresh across processes): ADR 0049.
            "AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE_SIZE),
            "AGGREGATE_CACHE_FASTFORWARD": "y",
        }
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
                "POSTGRES_POOL_SIZE": str(POOL_SIZE),
                "POSTGRES_MAX_OVERFLOW": "10",
                # No pre-ping per checkout: the recorder retries a broken connection itself
                # (InterfaceError, OperationalError), so a ping is a round trip for nothing.
                "POSTGRES_PRE_PING": "n",
                "APPLICATION_RECORDER_TOPIC": ONE_TRIP_RECORDER,
            }
        else:
            env |= {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": self.sqlite_path}
        return env
