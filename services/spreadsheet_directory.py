"""The authorities and places a spreadsheet's rows name, by name (any case) or id, read
once per import; and the stored records an external id names, so that a row finds the
record it updates whoever drafted it (an earlier import, or the API, projected or not).
Checking a row reads nothing from the database but what this reads once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.domain import Aggregate

from domain.authority import Authority
from domain.place import Place
from services.spreadsheet_problems import RowError


class Directory:
    """Authorities and places by name (case-insensitive) or id, read once per import from
    the status view, and their aggregates loaded once each: checking a row reads nothing
    from the database."""

    def __init__(
        self,
        authorities: dict[str, list[str]],
        places: dict[str, list[str]],
        load: Callable[[type[Aggregate], UUID], Aggregate] | None = None,
        find_external_ids: Callable[[Sequence[str]], dict[str, list[UUID]]] | None = None,
    ) -> None:
        self.names = {"authority": authorities, "place": places}
        self._load = load
        #: the stored records with these external ids (the status view), whoever drafted
        #: them: how an import finds a record made through the API
        self.find_external_ids = find_external_ids
        #: the aggregates rows refer to, loaded on first use (and authorities staged by
        #: --create-authorities): every row's staging sees them first
        self.loaded: dict[UUID, Aggregate] = {}
        #: each name's or id's one record, as resolved (a row names one of a few)
        self._resolved: dict[tuple[str, str], UUID] = {}

    @classmethod
    def load(
        cls,
        database_url: str,
        schema: str,
        load: Callable[[type[Aggregate], UUID], Aggregate] | None = None,
        unprojected: Callable[[int], dict[UUID, str | None]] | None = None,
    ) -> Directory:
        """The names of the status view; the external ids from the view, and from the
        log after the view's position (`unprojected`, read once: records drafted moments
        before, or given another external id, that the view has not projected yet)."""
        with psycopg.connect(database_url, autocommit=True) as conn:
            authorities = conn.execute(
                f'SELECT authority_id, name FROM "{schema}".status_authorities'
            ).fetchall()
            places = conn.execute(f'SELECT place_id, name FROM "{schema}".status_places').fetchall()
            # before the view is read: what the view projects meanwhile is in both
            tracked = conn.execute(
                f'SELECT max(notification_id) FROM "{schema}".status_tracking'
            ).fetchone()
        position = int(tracked[0] or 0) if tracked else 0
        tail: dict[UUID, str | None] | None = None

        def find_external_ids(external_ids: Sequence[str]) -> dict[str, list[UUID]]:
            nonlocal tail
            with psycopg.connect(database_url, autocommit=True) as conn:
                found = conn.execute(
                    f"SELECT external_id, recommendation_id "
                    f'FROM "{schema}".status_recommendations WHERE external_id = ANY(%s)',
                    (list(external_ids),),
                ).fetchall()
            if tail is None:
                tail = unprojected(position) if unprojected is not None else {}
            by_id: dict[str, list[UUID]] = {}
            for external_id, recommendation_id in found:
                record = UUID(str(recommendation_id))
                if tail.get(record, external_id) == external_id:  # not since given another
                    by_id.setdefault(str(external_id), []).append(record)
            wanted = set(external_ids)
            for record, now in tail.items():
                if now is not None and now in wanted:
                    ids = by_id.setdefault(now, [])
                    if record not in ids:
                        ids.append(record)
            return by_id

        return cls(_index(authorities), _index(places), load, find_external_ids)

    def add(self, kind: str, name: str, aggregate: Aggregate) -> None:
        """A record registered (or staged) during this import."""
        for key in (name.strip().lower(), str(aggregate.id)):
            self.names[kind].setdefault(key, []).append(str(aggregate.id))
        self.loaded[aggregate.id] = aggregate
        self._resolved.clear()  # a name resolved before may name two records now

    def knows(self, kind: str, value: str) -> bool:
        return bool(self.names[kind].get(value.strip().lower()))

    def resolve(self, kind: str, value: str) -> UUID:
        """The id of the authority or place (`kind`, which is also the row's column)."""
        found = self._resolved.get((kind, value))
        if found is not None:
            return found
        matches = self.names[kind].get(value.strip().lower(), [])
        if not matches:
            raise RowError((kind, f"no {kind} is registered under this name or id: {value!r}"))
        count = len(set(matches))
        if count > 1:
            raise RowError((kind, f"{count} {kind} records are named {value!r}: give the id"))
        found = UUID(matches[0])
        if found not in self.loaded and self._load is not None:
            self.loaded[found] = self._load(Authority if kind == "authority" else Place, found)
        self._resolved[kind, value] = found
        return found


def _index(rows: Iterable[tuple[Any, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item_id, name in rows:
        found.setdefault(str(name).strip().lower(), []).append(str(item_id))
        found.setdefault(str(item_id), []).append(str(item_id))
    return found
