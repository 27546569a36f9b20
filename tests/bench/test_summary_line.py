"""The store benchmark's last line: the exact form the issue fixes, ratios against nginx of the same run."""

from __future__ import annotations

import re

from bench import run, wrk


def result(rps: float, p99_ms: float = 5.0) -> wrk.WrkResult:
    return wrk.WrkResult(
        requests_per_second=rps,
        p50_ms=1.0,
        p75_ms=2.0,
        p90_ms=3.0,
        p99_ms=p99_ms,
        requests=int(rps * 10),
        duration_s=10.0,
        bytes_read=1000,
        non_2xx_3xx=0,
        socket_errors=0,
    )


def test_the_summary_line_has_exactly_the_fixed_form() -> None:
    line = run.summary_line(result(2400.4, p99_ms=21.456), result(900.0), result(95.2), result(12000.0))
    assert line == (
        "store-page cached_rps=2400 stored_rps=900 uncached_rps=95 nginx_rps=12000"
        " ratio=0.200 stored_ratio=0.075 p99_ms=21.46"
    )
    form = (
        r"store-page cached_rps=\d+ stored_rps=\d+ uncached_rps=\d+ nginx_rps=\d+"
        r" ratio=\d+\.\d+ stored_ratio=\d+\.\d+ p99_ms=\d+\.\d+"
    )
    assert re.fullmatch(form, line)
