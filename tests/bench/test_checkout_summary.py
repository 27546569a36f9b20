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


def test_each_step_reports_its_median_and_p99() -> None:
    steps = {name: [float(n) for n in range(1, 101)] for name in checkout.STEPS}
    steps["notify"] = [10.0, 20.0]
    original = dict(checkout.STEP_MS)
    checkout.STEP_MS.update(steps)
    try:
        line = checkout.step_line()
    finally:
        checkout.STEP_MS.update(original)
    assert line.startswith("page_p50_ms=50 page_p99_ms=99 place_p50_ms=50 place_p99_ms=99 ")
    assert line.endswith("notify_p50_ms=10 notify_p99_ms=20")


def test_cpu_seconds_counts_the_children_of_a_process() -> None:
    import os
    import subprocess
    import sys
    import time

    own = checkout.cpu_seconds(os.getpid())
    # A child that burns CPU, then waits: its time must count in its parent's tree while it lives.
    script = "sum(range(20_000_000)); import time; time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while checkout.cpu_seconds(os.getpid()) - own < 0.2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert checkout.cpu_seconds(os.getpid()) - own >= 0.2
        assert checkout.cpu_seconds(child.pid) >= 0.2
    finally:
        child.kill()
        child.wait()
