"""Promotion wake-ups read each partner's spans by bisection and a running maximum: the
same as looking at every span for every promotion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hypothesis import example, given
from hypothesis import strategies as st

from accord.reports import lifecycle_model as rules
from accord.reports.lifecycle import PartnerSpans, Span, _wakeups

T0 = datetime(2025, 1, 1, tzinfo=UTC)
#: 15 days apart: a promotion's dormancy threshold (90 days before it) falls on a cut.
STEP = 15
CUTS = [T0 + timedelta(days=STEP * k) for k in range(20)]


def _reference(partners, periods, at):
    woke = []
    for p in partners:
        for i, (starts_at, ends_at) in enumerate(periods):
            start, end = at[starts_at], at[ends_at]
            before = max((s.last_at for s in p.spans if s.index <= start and s.last_at),
                         default=None)  # fmt: skip
            first_in = min((s.first_at for s in p.spans
                            if start < s.index <= end and s.first_at), default=None)  # fmt: skip
            if rules.woke_in(starts_at, first_in, before):
                woke.append((i, rules.Wakeup(p.partner_id, first_in, before)))
    return woke


span_days = st.dictionaries(
    st.integers(0, len(CUTS)),
    st.tuples(st.integers(0, STEP - 1), st.integers(0, STEP - 1)),
    max_size=12,
)


@given(
    st.lists(span_days, min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 18), st.integers(1, 8)), min_size=1, max_size=5),
)
# dormant exactly 90 days: the last conversion before the promotion on its threshold, a cut
@example([{1: (0, 0), 7: (0, 0)}], [(6, 1)])
def test_wakeups_are_those_of_every_span_looked_at(partners_spans, promotions):
    partners = []
    for n, spans in enumerate(partners_spans):
        rows = []
        for index, (a, b) in sorted(spans.items()):
            lo = CUTS[index - 1] if index else CUTS[0] - timedelta(days=STEP)
            first, last = sorted((lo + timedelta(days=a), lo + timedelta(days=b)))
            rows.append(Span(index, 1, 1, 1, 1, first, last))
        partners.append(PartnerSpans(f"p{n}", "P", "affiliate", "approved", T0, tuple(rows)))
    periods = [(CUTS[s], CUTS[min(s + w, len(CUTS) - 1)]) for s, w in promotions]
    at = {cut: i for i, cut in enumerate(CUTS)}
    assert _wakeups(partners, periods, SimpleNamespace(at=at, cuts=CUTS)) == _reference(
        partners, periods, at
    )
