"""Who holds a bearer token, answered from memory on nearly every request.

A token names its user (`rt_<user id>_<secret>`, domain/user.py), so the cache holds users,
not tokens: per user its roles and the hashes of its live tokens. It is a bounded LRU (the
least recently used user goes first; it is never wiped whole), and a user absent from the
store is remembered too (a negative entry), so a token naming nobody costs one read at
most.

While the UserChanges listener (services/adapters/user_changes.py) is connected, entries
live until that user changes: the store NOTIFYs every user change in its transaction, and
the listener drops the user's entry here, so a revocation made in any process (another API
replica, the CLI) is refused on the next request. The listener also knows which users
exist, so a sprayed well-formed token naming a made-up user is refused without touching the
database at all. While it is not connected, entries live `fallback_ttl_seconds` only.

While it is connected, the answer itself (the Principal) is kept too, per token hash and
day (a token expires at a day's start): the request after the first costs a hash and a
dict look-up. It goes with its user's entry, on the same notices.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.tokens import IssuedToken
from domain.user import User, hash_token, user_id_of_token
from services.api.auth import Principal
from services.application.store import Rectrack


@dataclass(frozen=True)
class _Holder:
    """What authentication needs of a user (None in the cache: no such user)."""

    user_id: UUID
    username: str
    roles: frozenset
    authority_id: UUID | None
    disabled: bool
    tokens: dict[str, IssuedToken]  # by hash
    language: str | None  # chosen in the profile

    @classmethod
    def of(cls, user: User) -> _Holder:
        return cls(
            user_id=user.id,
            username=user.username,
            roles=frozenset(user.roles),
            authority_id=UUID(user.authority_id) if user.authority_id else None,
            disabled=user.disabled,
            tokens={token.token_hash: token for token in user.tokens.values()},
            language=user.language.value if user.language_chosen else None,
        )


class Authenticator:
    def __init__(
        self,
        app: Rectrack,
        *,
        clock: Callable[[], date] = date.today,
        capacity: int = 10_000,
        fallback_ttl_seconds: float = 10.0,
    ) -> None:
        self.app = app
        self.clock = clock
        self.capacity = capacity
        self.fallback_ttl = fallback_ttl_seconds
        self._users: OrderedDict[UUID, tuple[_Holder | None, float]] = OrderedDict()
        #: every user id in the store, while the listener keeps it; None: not known
        self._known: set[UUID] | None = None
        self._lock = threading.Lock()
        #: answers while listening, by token hash: (principal, the day it holds for)
        self._answers: dict[str, tuple[Principal, date]] = {}
        #: store reads made, for the tests and the metrics
        self.loads = 0

    # --- answering -------------------------------------------------------------------------

    def cached(self, token: str) -> tuple[bool, Principal | None]:
        """(answered, principal): from memory only, never touching the store."""
        key = hash_token(token)
        answer = self._answers.get(key)
        if answer is not None and answer[1] == self.clock():
            return True, answer[0]
        user_id = user_id_of_token(token)
        if user_id is None:
            return True, None
        with self._lock:
            if self._known is not None and user_id not in self._known:
                return True, None
            entry = self._users.get(user_id)
            if entry is None:
                return False, None
            holder, expires = entry
            if self._known is None and expires <= time.monotonic():
                del self._users[user_id]
                return False, None
            self._users.move_to_end(user_id)
        return True, self._principal(holder, token, key)

    def authenticate(self, token: str) -> Principal | None:
        """The caller holding `token`, reading the store when memory cannot answer."""
        answered, principal = self.cached(token)
        if answered:
            return principal
        user_id = user_id_of_token(token)
        assert user_id is not None  # cached() answered for anything else
        user = self.app.find(User, user_id)
        self.loads += 1
        holder = _Holder.of(user) if user is not None else None
        with self._lock:
            self._users[user_id] = (holder, time.monotonic() + self.fallback_ttl)
            self._users.move_to_end(user_id)
            while len(self._users) > self.capacity:
                self._users.popitem(last=False)
        return self._principal(holder, token, hash_token(token))

    def _principal(self, holder: _Holder | None, token: str, key: str) -> Principal | None:
        if holder is None or holder.disabled:
            return None
        issued = holder.tokens.get(key)
        today = self.clock()
        if issued is None or not issued.live_on(today):
            return None
        principal = Principal(
            user_id=holder.user_id,
            username=holder.username,
            roles=holder.roles,
            authority_id=holder.authority_id,
            scope=issued.effective_scope,
            token_id=issued.token_id,
            language=holder.language,
        )
        with self._lock:
            # Kept only while notices arrive, and only if no notice dropped the holder
            # since it was read (a revocation between the two must not be outlived).
            entry = self._users.get(holder.user_id)
            if self._known is not None and entry is not None and entry[0] is holder:
                if len(self._answers) >= self.capacity:
                    self._answers.pop(next(iter(self._answers)))
                self._answers[key] = (principal, today)
        return principal

    def __len__(self) -> int:
        return len(self._users)

    # --- keeping it true (called by the UserChanges listener) -------------------------------

    def forget(self, user_id: UUID) -> None:
        """A user changed (or was created): drop what is known of it."""
        with self._lock:
            self._users.pop(user_id, None)
            self._answers = {
                k: answer for k, answer in self._answers.items() if answer[0].user_id != user_id
            }
            if self._known is not None:
                self._known.add(user_id)

    def listening(self, existing: set[UUID]) -> None:
        """The listener (re)connected: notices may have been missed, so start afresh."""
        with self._lock:
            self._users.clear()
            self._answers = {}
            self._known = set(existing)

    def not_listening(self) -> None:
        """The listener lost its connection: back to short-lived entries."""
        with self._lock:
            self._users.clear()
            self._answers = {}
            self._known = None

    def forget_all(self) -> None:
        with self._lock:
            self._users.clear()
            self._answers = {}
