"""Property tests (hypothesis): under any interleaving of awards, charges, refunds and
retries of the same causes, the journal balances, applies each cause at most once, keeps
every account above its overdraft limit, and ``verify`` finds nothing wrong."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nacc.ledger.accounts import (
    DEFAULT_OVERDRAFT,
    FUNDING,
    USAGE,
    Account,
    InsufficientCredits,
    InvalidEntry,
    credit_sum,
    program,
    project,
    to_credits,
    usage_credits,
)
from nacc.ledger.journal import Journal, PostResult, usage_cause
from nacc.ledger.verify import verify

PROGRAMS = ["g1", "g2"]
PROJECTS = ["p1", "p2", "p3"]
JOBS = {f"j{k}": PROJECTS[k % 3] for k in range(6)}  # each job belongs to one project


@dataclass(frozen=True)
class Op:
    """One distinct posting the service might (re)try: its cause, legs and metering."""

    kind: str
    cause: str
    at: float
    source: Account
    dest: Account
    amount: Decimal
    job: str | None = None

    def post(self, j: Journal) -> PostResult:
        if self.kind == "fund":
            return j.fund_program(self.dest.id, self.amount, self.cause, at=self.at)
        if self.kind == "award":
            return j.award(self.source.id, self.dest.id, self.amount, self.cause, at=self.at)
        if self.kind == "charge":
            assert self.job is not None
            return j.charge_usage(self.source.id, self.amount, self.cause, job=self.job, at=self.at)
        return j.refund(self.dest.id, self.amount, self.cause, job=self.job, at=self.at)


nanos = st.integers(0, 50 * 10**9).map(lambda n: Decimal(n).scaleb(-9))
times = st.integers(0, 20).map(float)


@st.composite
def ops(draw: st.DrawFn) -> list[Op]:
    found: list[Op] = []
    for i in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["fund", "award", "award", "charge", "charge", "refund"]))
        at = draw(times)
        g, p = program(draw(st.sampled_from(PROGRAMS))), draw(st.sampled_from(PROJECTS))
        job = draw(st.sampled_from(sorted(JOBS)))
        if kind == "fund":
            found.append(Op(kind, f"fund:{g.id}:{i}", at, FUNDING, g, draw(nanos)))
        elif kind == "award":
            found.append(Op(kind, f"award:{i}:tranche:1", at, g, project(p), draw(nanos)))
        elif kind == "charge":
            count = draw(st.sampled_from([1, 2, 8]))
            seconds = draw(st.floats(0, 3600, allow_nan=False))
            rate = draw(st.sampled_from([0.5, 1.0, 1.37, 2.25]))
            amount = usage_credits(count, seconds, rate)
            cause = usage_cause(job, 100 * i, 100 * i + seconds)
            found.append(Op(kind, cause, at, project(JOBS[job]), USAGE, amount, job))
        else:
            amount = to_credits(draw(nanos) / 10)
            found.append(
                Op(kind, f"job:{job}:refund:{i}", at, USAGE, project(JOBS[job]), amount, job)
            )
    return found


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Op], list[int], dict[Account, Decimal]]:
    distinct = draw(ops())
    retries = draw(st.lists(st.integers(0, len(distinct) - 1), max_size=3 * len(distinct)))
    order = draw(st.permutations([*range(len(distinct)), *retries]))
    overdrafts = {project(p): Decimal(draw(st.sampled_from([0, 0, 5]))) for p in PROJECTS}
    return distinct, [*order, *range(len(distinct))], overdrafts


def _limit(j: Journal, account: Account) -> Decimal | None:
    return j.overdraft(account)


def _check_invariants(j: Journal) -> None:
    balances = j.balances()
    assert credit_sum(balances.values()) == 0
    for account, balance in balances.items():
        limit = _limit(j, account)
        assert limit is None or balance >= -limit, (account, balance, limit)
    causes = [e.cause for e in j.entries()]
    assert len(causes) == len(set(causes))


def _run(distinct: list[Op], order: list[int], j: Journal) -> list[Op]:
    """Post ops in ``order`` (retries included); return the distinct ops that took effect."""
    accepted: list[Op] = []
    for index in order:
        op = distinct[index]
        before = (j.entries(), j.balances())
        try:
            result = op.post(j)
        except (InsufficientCredits, InvalidEntry):
            assert (j.entries(), j.balances()) == before  # refused: nothing changed
            continue
        if result.applied:
            accepted.append(op)
        else:
            assert (j.entries(), j.balances()) == before  # a retry: nothing changed
            assert result.entry.cause == op.cause
        _check_invariants(j)
    return accepted


def _model_balances(accepted: list[Op]) -> dict[Account, Decimal]:
    """Balances from applying each accepted distinct cause once, computed without the journal."""
    model: dict[Account, Decimal] = defaultdict(lambda: Decimal(0))
    for op in accepted:
        model[op.source] -= op.amount
        model[op.dest] += op.amount
    return dict(model)


def _metered(accepted: list[Op]) -> dict[str, Decimal]:
    metered: dict[str, Decimal] = defaultdict(lambda: Decimal(0))
    for op in accepted:
        if op.kind == "charge" and op.job is not None:
            metered[op.job] += op.amount
    return dict(metered)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_any_interleaving_of_retries_applies_each_cause_once(
    scenario: tuple[list[Op], list[int], dict[Account, Decimal]],
) -> None:
    distinct, order, overdrafts = scenario
    j = Journal(overdrafts)
    accepted = _run(distinct, order, j)

    assert len({op.cause for op in accepted}) == len(accepted) == len(j)
    assert {e.cause for e in j.entries()} == {op.cause for op in accepted}
    model = _model_balances(accepted)
    assert {a: b for a, b in j.balances().items()} == {a: model.get(a, 0) for a in j.balances()}
    assert all(b == 0 for a, b in model.items() if a not in j.balances())

    metered = _metered(accepted)
    report = verify(j, metered)
    assert report.ok, str(report)
    again = Journal.restore(j.entries(), overdrafts)  # what a store adapter would rebuild
    assert again.balances() == j.balances()
    assert verify(again, metered).ok


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_balances_never_go_below_the_limit_at_any_time(
    scenario: tuple[list[Op], list[int], dict[Account, Decimal]],
) -> None:
    distinct, order, overdrafts = scenario
    j = Journal(overdrafts)
    _run(distinct, order, j)
    for account in j.balances():
        limit = overdrafts.get(account, DEFAULT_OVERDRAFT[account.kind])
        if limit is None:
            continue
        for t in range(-1, 22):
            assert j.balance(account, at=float(t)) >= -limit, (account, t)


@given(
    st.integers(0, 64),
    st.lists(st.integers(0, 10**7), min_size=1, max_size=12),
    st.decimals(min_value=0, max_value=10, places=4),
)
def test_metering_in_intervals_is_exact_per_interval(
    count: int, millis: list[int], rate: Decimal
) -> None:
    parts = [Decimal(m).scaleb(-3) for m in millis]
    charges = [usage_credits(count, s, rate) for s in parts]
    for s, c in zip(parts, charges, strict=True):
        exact = Fraction(count) * Fraction(s) * Fraction(rate) / 3600
        assert abs(Fraction(c) - exact) <= Fraction(1, 2 * 10**9)
        assert c == c.quantize(Decimal("1e-9"))
    whole = usage_credits(count, credit_sum(parts), rate)
    assert abs(credit_sum(charges) - whole) <= Decimal("0.5e-9") * (len(parts) + 1)
