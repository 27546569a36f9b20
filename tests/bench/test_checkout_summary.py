"""The checkout benchmark's last line: the exact form the issue fixes, from the run's numbers and the audit."""

from __future__ import annotations

import re

from bench import checkout

FORM = r"checkout orders=\d+ orders_per_s=\d+ p99_ms=\d+ lost=\d+ double_paid=\d+ undelivered=\d+"


def test_the_summary_line_has_exactly_the_fixed_form() -> None:
    audit = checkout.Audit(paid_at_gateway=200, paid_orders=200, lost=0, double_paid=0, undelivered=0)
    latencies = [float(n) for n in range(1, 101)]
    line = checkout.summary_line(200, 4.0, latencies, audit)
    assert line == "checkout orders=200 orders_per_s=50 p99_ms=99 lost=0 double_paid=0 undelivered=0"
    assert re.fullmatch(FORM, line)


def test_the_audit_counts_appear_as_counted() -> None:
    audit = checkout.Audit(paid_at_gateway=10, paid_orders=8, lost=2, double_paid=1, undelivered=3)
    line = checkout.summary_line(8, 0.0, [], audit)
    assert line == "checkout orders=8 orders_per_s=0 p99_ms=0 lost=2 double_paid=1 undelivered=3"
    assert re.fullmatch(FORM, line)


def test_percentiles_take_the_nearest_rank() -> None:
    assert checkout.percentile([5.0], 99) == 5.0
    assert checkout.percentile([float(n) for n in range(1, 11)], 50) == 5.0
    assert checkout.percentile([float(n) for n in range(1, 11)], 99) == 10.0
