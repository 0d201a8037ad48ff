"""Alerts in the user store (user_0003 tables): rules refused with the field named and nothing
written, memory kept across reopening, events unique per (rule, symbol, bar), history queries,
and the outbox's backoff, give-up and retry - on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from drummond_desktop.store.alert_outbox import RetryPolicy, UnknownDelivery
from drummond_desktop.store.alert_spec import AlertRuleSpec, InvalidAlertRule
from drummond_desktop.store.alerts import (
    AlertRepository,
    AlertRuleUnreadable,
    NewEvent,
    UnknownAlertRule,
)
from drummond_desktop.store.engines import write_transaction
from drummond_desktop.store.schema import user_table
from drummond_desktop.store.stores import UserStore, open_user_store

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
DAY = 86_400


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def user(store_url: str | None) -> Iterator[UserStore]:
    with open_user_store(store_url) as opened:
        yield opened


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo(user: UserStore, clock: Clock) -> AlertRepository:
    return AlertRepository(user.engine, user.where, clock)


def price_rule(**kw: object) -> AlertRuleSpec:
    fields: dict[str, object] = {"name": "AAPL 200", "target_kind": "symbol",
                                 "target": "AAPL.US", "kind": "price_cross",
                                 "params": {"level": 200}, "channels": ["webhook", "email"]}
    fields.update(kw)
    return AlertRuleSpec(**fields)  # type: ignore[arg-type]


def counts(user: UserStore) -> tuple[int, int, int]:
    with user.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(user_table(t))).scalar_one()
                     for t in ("alert_rules", "alert_events", "alert_deliveries"))  # type: ignore[return-value]


def test_a_rule_is_stored_normalised_and_read_back_equal(repo):
    rule = repo.create(price_rule())
    assert dict(rule.params) == {"interval": "1d", "level": 200.0, "direction": "either"}
    assert rule.channels == ("panel", "email", "webhook")  # panel always, in a fixed order
    again = repo.get(rule.id)
    assert again.spec == rule.spec and dict(again.memory) == {}
    assert again.created_at == again.updated_at == int(T0 * 1e6)
    assert [r.id for r in repo.rules()] == [rule.id]


@pytest.mark.parametrize(("change", "field"), [
    ({"name": "  "}, "name"),
    ({"kind": "moon_phase"}, "kind"),
    ({"target_kind": "sector"}, "target_kind"),
    ({"target_kind": "watchlist", "target": "Tech"}, "target"),
    ({"params": {"level": "two hundred"}}, "params.level"),
    ({"params": {"level": -5}}, "params.level"),
    ({"params": {"level": float("inf")}}, "params.level"),
    ({"params": {"level": 1, "direction": "sideways"}}, "params.direction"),
    ({"params": {"level": 1, "colour": "red"}}, "params.colour"),
    ({"params": {"level": 1, "interval": "3d"}}, "params.interval"),
    ({"channels": ["panel", "sms"]}, "channels[1]"),
    ({"channels": "email"}, "channels"),
    ({"kind": "zone", "params": {"event": "approach", "within_ar3": 0}}, "params.within_ar3"),
    ({"kind": "zone", "params": {"event": "hold", "within_ar3": 1}}, "params.within_ar3"),
    ({"kind": "zone", "params": {"event": "touch"}}, "params.event"),
    ({"kind": "zone", "params": {"event": "enter", "min_strength": 0}}, "params.min_strength"),
    ({"kind": "state", "params": {"to": "sleeping"}}, "params.to"),
    ({"kind": "pattern", "params": {"patterns": ["push", "hammer"]}}, "params.patterns[1]"),
    ({"kind": "pattern", "params": {"patterns": []}}, "params.patterns"),
    ({"kind": "mtf", "params": {"higher": "1h"}}, "params.higher"),
    ({"kind": "mtf", "params": {"interval": "1w", "higher": "1M"}}, "params.interval"),
    ({"kind": "scan", "params": {"scan": "a" * 32, "expr": "close > 1"}}, "params.scan"),
    ({"kind": "scan", "params": {}}, "params.scan"),
    ({"enabled": "yes"}, "enabled"),
])
def test_a_bad_rule_names_its_field_and_nothing_is_stored(repo, user, change, field):
    before = counts(user)
    with pytest.raises(InvalidAlertRule) as caught:
        repo.create(price_rule(**change))
    assert caught.value.field == field and field in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert counts(user) == before


def test_targets_and_saved_scans_must_exist_when_saved(repo, user):
    with pytest.raises(InvalidAlertRule) as caught:
        repo.create(price_rule(target_kind="watchlist", target="41"))
    assert caught.value.field == "target"
    with pytest.raises(InvalidAlertRule) as caught:
        repo.create(price_rule(kind="scan", params={"scan": "f" * 32}))
    assert caught.value.field == "params.scan"
    assert counts(user) == (0, 0, 0)
    tech = user.watchlists.create("Tech", ["AAPL.US", "MSFT.US"])
    rule = repo.create(price_rule(target_kind="watchlist", target=str(tech.id)))
    assert rule.spec.target == str(tech.id)


def test_groups_and_defaults_are_expanded(repo):
    rule = repo.create(price_rule(kind="pattern", params={"patterns": ["cwave", "push_up"]}))
    assert rule.params["patterns"] == ["push_up", "cwave_up", "cwave_down"]
    zone = repo.create(price_rule(kind="zone", params={"event": "approach"}))
    assert dict(zone.params) == {"interval": "1d", "event": "approach", "side": "either",
                                 "min_strength": 1, "within_ar3": 0.5}


def test_memory_is_kept_between_runs_and_reopening(store_url, clock):
    with open_user_store(store_url) as user:
        repo = AlertRepository(user.engine, user.where, clock)
        rule = repo.create(price_rule())
        stored = repo.record_evaluation(rule, {"AAPL.US": {"ts": 5 * DAY, "v": -1}}, [])
        assert stored == []
        rule = repo.get(rule.id)
        repo.record_evaluation(rule, {"MSFT.US": {"ts": 6 * DAY, "v": 1}}, [])  # merged
    with open_user_store(store_url) as reopened:
        got = AlertRepository(reopened.engine, reopened.where, clock).get(rule.id)
    assert {k: dict(v) for k, v in got.memory.items()} == {
        "AAPL.US": {"ts": 5 * DAY, "v": -1}, "MSFT.US": {"ts": 6 * DAY, "v": 1}}


def test_editing_what_a_rule_watches_clears_its_memory_renaming_does_not(repo, clock):
    rule = repo.create(price_rule())
    repo.record_evaluation(rule, {"AAPL.US": {"ts": DAY, "v": 1}}, [])
    clock.now += 1
    renamed = repo.update(rule.id, price_rule(name="AAPL two hundred"))
    assert dict(repo.get(rule.id).memory) and renamed.updated_at > rule.updated_at
    moved = repo.update(rule.id, price_rule(params={"level": 210}))
    assert dict(repo.get(rule.id).memory) == {}
    assert moved.updated_at > renamed.updated_at
    assert repo.set_enabled(rule.id, False).enabled is False
    assert repo.rules_for_evaluation()[0] == []  # disabled rules are not evaluated


def test_events_are_unique_per_rule_symbol_and_bar(repo, user):
    rule = repo.create(price_rule())
    ev = NewEvent("AAPL.US", 10 * DAY, "AAPL.US: closed through 200", {"close": 201.0})
    first = repo.record_evaluation(rule, {}, [ev])
    assert [(e.symbol, e.bar_ts, e.rule_name, dict(e.payload)) for e in first] == [
        ("AAPL.US", 10 * DAY, "AAPL 200", {"close": 201.0})]
    assert repo.record_evaluation(rule, {}, [ev, ev]) == []  # the same bar again: nothing
    assert counts(user) == (1, 1, 2)  # one event; an outbox row for e-mail and webhook
    channels = sorted(d.channel for d in repo.outbox.deliveries(event_id=first[0].id))
    assert channels == ["email", "webhook"]


def test_a_run_of_a_rule_edited_meanwhile_writes_nothing(repo, user, clock):
    rule = repo.create(price_rule())
    clock.now += 1
    repo.update(rule.id, price_rule(name="renamed"))
    ev = NewEvent("AAPL.US", DAY, "x", {})
    assert repo.record_evaluation(rule, {"AAPL.US": {"ts": DAY, "v": 1}}, [ev]) is None
    assert counts(user) == (1, 0, 0) and dict(repo.get(rule.id).memory) == {}
    repo.delete(rule.id)
    assert repo.record_evaluation(rule, {}, [ev]) is None
    with pytest.raises(UnknownAlertRule):
        repo.get(rule.id)


def test_history_newest_first_unseen_and_mark_seen(repo, clock):
    rule = repo.create(price_rule(channels=[]))
    ids = []
    for i in range(4):
        clock.now += 60
        (ev,) = repo.record_evaluation(repo.get(rule.id), {}, [
            NewEvent("AAPL.US" if i % 2 else "MSFT.US", i * DAY, f"event {i}", {})])
        ids.append(ev.id)
    assert [e.message for e in repo.latest(3)] == ["event 3", "event 2", "event 1"]
    assert [e.message for e in repo.latest(symbol="MSFT.US")] == ["event 2", "event 0"]
    assert repo.unseen_count() == 4
    assert repo.mark_seen([ids[0], ids[1]]) == 2
    assert repo.unseen_count() == 2
    assert [e.message for e in repo.latest(unseen_only=True)] == ["event 3", "event 2"]
    assert repo.mark_seen() == 2 and repo.unseen_count() == 0
    assert repo.latest(10)[0].seen is True


def test_a_rule_that_no_longer_reads_is_reported_not_skipped(repo, user):
    good = repo.create(price_rule())
    bad = repo.create(price_rule(name="broken"))
    with write_transaction(user.engine, user.where, "test") as conn:
        conn.execute(update(user_table("alert_rules")).where(user_table("alert_rules").c.id
                                                             == bad.id).values(params="{nope"))
    with pytest.raises(AlertRuleUnreadable) as caught:
        repo.rules()
    assert caught.value.rule_id == bad.id and "broken" in caught.value.user_message
    readable, unreadable = repo.rules_for_evaluation()
    assert [r.id for r in readable] == [good.id] and [u.rule_id for u in unreadable] == [bad.id]


# -- the outbox ----------------------------------------------------------------------------------
@pytest.fixture
def delivery_ids(repo) -> dict[str, int]:
    rule = repo.create(price_rule(channels=["email", "webhook", "tray"]))
    (ev,) = repo.record_evaluation(rule, {}, [NewEvent("AAPL.US", DAY, "hello", {})])
    return {d.channel: d.id for d in repo.outbox.deliveries(event_id=ev.id)}


def test_claimed_rows_are_leased_then_sent(repo, clock, delivery_ids):
    box = repo.outbox
    claimed = box.claim(["email", "webhook"], lease_s=300)
    assert sorted(d.channel for d in claimed) == ["email", "webhook"]
    assert claimed[0].message == "hello" and claimed[0].rule_name == "AAPL 200"
    assert box.claim(["email", "webhook"]) == []  # leased to the first sender
    sent = box.mark_sent(delivery_ids["email"])
    assert (sent.status, sent.attempts) == ("sent", 1)
    clock.now += 301  # the webhook sender died: the row comes back after the lease
    assert [d.channel for d in box.claim(["email", "webhook"])] == ["webhook"]
    assert [d.channel for d in box.claim(["tray"])] == ["tray"]


def test_failures_back_off_exponentially_then_give_up_and_are_kept(repo, clock, delivery_ids):
    box, policy = repo.outbox, RetryPolicy(max_attempts=3, base_delay_s=10, max_delay_s=15)
    wid = delivery_ids["webhook"]
    first = box.record_failure(wid, "HTTP 500 from https://hooks.test", permanent=False,
                               policy=policy)
    assert (first.status, first.attempts, first.last_error) == \
        ("pending", 1, "HTTP 500 from https://hooks.test")
    assert first.next_attempt_at == int(T0 * 1e6) + 10_000_000
    clock.now += 10
    second = box.record_failure(wid, "HTTP 502", permanent=False, policy=policy)
    assert second.next_attempt_at - int(clock.now * 1e6) == 15_000_000  # 20 s, capped at 15
    clock.now += 15
    last = box.record_failure(wid, "HTTP 503", permanent=False, policy=policy)
    assert (last.status, last.attempts, last.last_error) == ("failed", 3, "HTTP 503")
    assert box.claim(["webhook"]) == []
    assert [d.id for d in box.deliveries(status="failed")] == [wid]  # kept, not deleted
    again = box.retry(wid)
    assert (again.status, again.attempts) == ("pending", 0)


def test_a_permanent_failure_fails_at_once_and_retry_after_is_honoured(repo, delivery_ids):
    box, policy = repo.outbox, RetryPolicy(base_delay_s=10)
    failed = box.record_failure(delivery_ids["email"], "SMTP login refused: 535",
                                permanent=True, policy=policy)
    assert (failed.status, failed.attempts) == ("failed", 1)
    waited = box.record_failure(delivery_ids["webhook"], "HTTP 429", permanent=False,
                                policy=policy, retry_after_s=120)
    assert waited.next_attempt_at - waited.updated_at == 120_000_000
    with pytest.raises(UnknownDelivery):
        box.get(999_999)


def test_deleting_a_rule_takes_its_history_and_outbox(repo, user, delivery_ids):
    rule_id = repo.rules()[0].id
    repo.delete(rule_id)
    assert counts(user) == (0, 0, 0)
    with pytest.raises(UnknownAlertRule):
        repo.delete(rule_id)
