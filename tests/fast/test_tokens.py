"""API tokens: scope, expiry, tokens from before scopes, and the authentication cache (a
bounded LRU of users, with negative entries, answering sprayed tokens from memory)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from domain.errors import InvalidInput
from domain.tokens import TokenScope
from domain.user import User, hash_token, user_id_for
from domain.values import Role
from services.api.auth import SCOPE_NEEDED, Ability, Principal
from services.api.token_cache import Authenticator
from services.application.commands.users import IssueToken, RevokeToken
from services.application.executor import Executor
from services.application.handlers.users import NewToken
from services.application.store import Rectrack
from tests.builders import DAY, Commander
from tests.fast.states import task_worker


def issue(run: Commander, user_id: object, **options: object) -> NewToken:
    result = run(IssueToken(label="bot", **options), user_id)  # type: ignore[arg-type]
    assert isinstance(result.detail, NewToken)
    return result.detail


def test_scopes_are_ordered() -> None:
    assert TokenScope.ADMIN.covers(TokenScope.WRITE) and TokenScope.WRITE.covers(TokenScope.READ)
    assert not TokenScope.READ.covers(TokenScope.WRITE)
    assert not TokenScope.WRITE.covers(TokenScope.ADMIN)


def test_every_ability_names_the_scope_it_needs() -> None:
    assert set(SCOPE_NEEDED) == set(Ability)
    assert SCOPE_NEEDED[Ability.READ] is TokenScope.READ
    assert SCOPE_NEEDED[Ability.DRAFT] is TokenScope.WRITE
    assert SCOPE_NEEDED[Ability.MANAGE_USERS] is TokenScope.ADMIN
    assert SCOPE_NEEDED[Ability.MINT_OWN_TOKENS] is TokenScope.ADMIN


def test_a_read_scope_caps_the_roles() -> None:
    principal = Principal(user_id_for("ada"), "ada", frozenset({Role.ADMIN}), None)
    read = dataclasses.replace(principal, scope=TokenScope.READ)
    assert principal.role_for(Ability.DRAFT) is Role.ADMIN
    assert read.role_for(Ability.READ) is Role.ADMIN
    assert read.role_for(Ability.DRAFT) is None
    assert read.role_for(Ability.MANAGE_USERS) is None
    assert Ability.DRAFT not in read.abilities


def test_a_token_is_issued_with_a_scope_and_a_default_expiry(
    store: Rectrack, run: Commander
) -> None:
    user_id = task_worker(run, "bot")
    new = issue(run, user_id)
    assert (new.scope, new.expires_on) == ("read", DAY + timedelta(days=90))
    token = store.get(User, user_id).tokens[new.token_id]
    assert (token.scope, token.expires_on) == (TokenScope.READ, new.expires_on)
    assert token.issued_on == DAY
    written = issue(run, user_id, scope=TokenScope.WRITE, days=7)
    assert (written.scope, written.expires_on) == ("write", DAY + timedelta(days=7))


def test_a_token_longer_than_the_maximum_is_refused_and_appends_nothing(
    store: Rectrack, run: Commander
) -> None:
    user_id = task_worker(run, "bot")
    version = store.get(User, user_id).version
    with pytest.raises(InvalidInput) as refused:
        issue(run, user_id, days=366)
    assert refused.value.field == "days" and "at most 365" in str(refused.value)
    assert store.get(User, user_id).version == version


def test_an_expired_token_no_longer_authenticates(store: Rectrack, run: Commander) -> None:
    user_id = task_worker(run, "bot")
    new = issue(run, user_id, days=2)
    today = {"date": DAY}
    authenticator = Authenticator(store, clock=lambda: today["date"])
    assert authenticator.authenticate(new.token) is not None
    today["date"] = DAY + timedelta(days=1)
    assert authenticator.authenticate(new.token) is not None
    today["date"] = DAY + timedelta(days=2)  # its expiry day: no longer
    assert authenticator.authenticate(new.token) is None


def test_a_token_from_before_scopes_replays_as_full_scope_without_expiry(
    store: Rectrack, run: Commander
) -> None:
    """A TokenIssued stored before scopes existed carries neither key: it still loads."""
    user_id = task_worker(run, "old")
    new = issue(run, user_id)
    user = store.repository.get(user_id, version=2)  # before the token
    recorded = next(e for e in store.events.get(user_id) if isinstance(e, User.TokenIssued))
    stored = store.mapper.to_stored_event(recorded)
    state = store.mapper.transcoder.decode(stored.state)
    del state["scope"], state["expires_on"]
    old_stored = dataclasses.replace(stored, state=store.mapper.transcoder.encode(state))
    old_event = store.mapper.to_domain_event(old_stored)
    old_event.mutate(user)  # type: ignore[attr-defined]
    token = user.tokens[new.token_id]
    assert token.legacy and token.scope is None and token.expires_on is None
    assert token.effective_scope is TokenScope.ADMIN
    assert token.live_on(date(2099, 1, 1))


def test_the_cache_answers_a_known_user_from_memory(store: Rectrack, run: Commander) -> None:
    user_id = task_worker(run, "bot")
    new = issue(run, user_id, scope=TokenScope.WRITE)
    authenticator = Authenticator(store, clock=lambda: DAY)
    principal = authenticator.authenticate(new.token)
    assert principal is not None and principal.scope is TokenScope.WRITE
    assert principal.token_id == new.token_id
    for _ in range(5):
        assert authenticator.authenticate(new.token) == principal
    # A wrong secret for the same user is refused from the same entry.
    assert authenticator.authenticate(new.token[:-4] + "AAAA") is None
    assert authenticator.loads == 1


def test_sprayed_tokens_read_the_store_at_most_once_per_user(
    store: Rectrack, executor: Executor, run: Commander
) -> None:
    user_id = task_worker(run, "bot")
    new = issue(run, user_id)
    authenticator = Authenticator(store, clock=lambda: DAY)
    fake_user = user_id_for("nobody")
    for i in range(50):
        fake = f"rt_{fake_user.hex}_{'x' * 40}{i:04d}"
        assert authenticator.authenticate(fake) is None
    assert authenticator.loads == 1  # one negative entry for the made-up user
    # Once the listener says who exists, a made-up user costs no read at all.
    authenticator.listening({user_id})
    for i in range(50):
        assert authenticator.authenticate(f"rt_{user_id_for(f'x{i}').hex}_{'y' * 40}") is None
    assert authenticator.loads == 1
    assert authenticator.authenticate(new.token) is not None
    assert authenticator.loads == 2


def test_the_cache_is_a_bounded_lru_not_wiped_whole(store: Rectrack, run: Commander) -> None:
    tokens = [issue(run, task_worker(run, f"user{i}")).token for i in range(5)]
    authenticator = Authenticator(store, clock=lambda: DAY, capacity=3)
    for token in tokens[:3]:
        authenticator.authenticate(token)
    authenticator.authenticate(tokens[0])  # used again: now the most recent
    authenticator.authenticate(tokens[3])  # evicts user1, the least recently used
    assert len(authenticator) == 3
    loads = authenticator.loads
    authenticator.authenticate(tokens[0])
    assert authenticator.loads == loads  # still held
    authenticator.authenticate(tokens[1])
    assert authenticator.loads == loads + 1  # was evicted, read again


def test_a_change_notice_makes_the_next_request_see_a_revocation(
    store: Rectrack, run: Commander
) -> None:
    user_id = task_worker(run, "bot")
    new = issue(run, user_id)
    authenticator = Authenticator(store, clock=lambda: DAY)
    authenticator.listening({user_id})
    assert authenticator.authenticate(new.token) is not None
    run(RevokeToken(token_id=new.token_id), user_id)
    assert authenticator.authenticate(new.token) is not None  # no notice yet: cached
    authenticator.forget(user_id)  # what the listener does on NOTIFY
    assert authenticator.authenticate(new.token) is None


def test_the_hash_is_what_is_kept(store: Rectrack, run: Commander) -> None:
    user_id = task_worker(run, "bot")
    new = issue(run, user_id)
    token = store.get(User, user_id).tokens[new.token_id]
    assert token.token_hash == hash_token(new.token) and new.token not in repr(token)
