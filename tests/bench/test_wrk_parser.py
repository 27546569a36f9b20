"""The wrk report parser behind bench/: units, percentiles and the error lines that invalidate a run."""

from __future__ import annotations

import pytest

from bench import wrk

# A login run's report, with percentiles edited to cover every unit wrk prints (us, ms, s).
HEALTHY = """\
Running 10s test @ http://127.0.0.1:41233/login
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    23.54ms   10.02ms   1.02s    91.20%
    Req/Sec     1.36k    98.12     1.52k    71.00%
  Latency Distribution
     50%  812.00us
     75%   25.10ms
     90%   30.55ms
     99%    1.01s
  13542 requests in 10.01s, 75.23MB read
Requests/sec:   1353.20
Transfer/sec:      7.52MB
"""

# A real report of a run that hit a missing page and lost connections: its numbers describe errors.
WITH_ERRORS = """\
Running 1s test @ http://127.0.0.1:18777/missing
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.22ms    3.68ms  20.00ms   82.83%
    Req/Sec     1.10k   574.50     2.01k    60.00%
  Latency Distribution
     50%    2.69ms
     75%    5.43ms
     90%    9.19ms
     99%   16.07ms
  1097 requests in 1.00s, 557.25KB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 1097
Requests/sec:   1095.76
Transfer/sec:    556.62KB
"""


def test_parses_throughput_percentiles_and_totals_in_plain_units() -> None:
    result = wrk.parse(HEALTHY, command="wrk -t1 -c32 -d10s --latency http://127.0.0.1:41233/login")

    assert result.requests_per_second == 1353.20
    assert result.p50_ms == pytest.approx(0.812)
    assert result.p75_ms == pytest.approx(25.10)
    assert result.p90_ms == pytest.approx(30.55)
    assert result.p99_ms == pytest.approx(1010.0)
    assert result.requests == 13542
    assert result.duration_s == pytest.approx(10.01)
    assert result.bytes_read == round(75.23 * 1024 * 1024)
    assert result.non_2xx_3xx == 0 and result.socket_errors == 0
    assert result.bytes_per_response == pytest.approx(result.bytes_read / 13542)
    assert result.as_dict()["command"].startswith("wrk -t1")


def test_counts_error_responses_and_socket_errors() -> None:
    result = wrk.parse(WITH_ERRORS)

    assert result.non_2xx_3xx == 1097
    assert result.socket_errors == 5
    assert result.bytes_read == round(557.25 * 1024)
    assert result.p99_ms == pytest.approx(16.07)


def test_a_report_without_the_latency_distribution_is_refused() -> None:
    without_latency = HEALTHY.split("  Latency Distribution")[0] + HEALTHY.split("     99%    1.01s\n")[1]
    with pytest.raises(wrk.WrkError, match="--latency"):
        wrk.parse(without_latency)


@pytest.mark.parametrize(
    ("text", "milliseconds"), [("812.00us", 0.812), ("5.40ms", 5.4), ("1.02s", 1020.0), ("1.50m", 90_000.0)]
)
def test_time_units(text: str, milliseconds: float) -> None:
    assert wrk.time_to_ms(text) == pytest.approx(milliseconds)


def test_command_line_sends_the_headers_and_asks_for_latency() -> None:
    command = wrk.command_line(
        "http://127.0.0.1:8000/@demo",
        duration_s=10,
        connections=32,
        threads=1,
        headers=["Accept-Encoding: gzip"],
    )
    assert command == [
        "wrk",
        "-t1",
        "-c32",
        "-d10s",
        "--latency",
        "-H",
        "Accept-Encoding: gzip",
        "http://127.0.0.1:8000/@demo",
    ]


def test_only_loopback_servers_are_driven() -> None:
    with pytest.raises(wrk.WrkError, match="loopback"):
        wrk.run("http://example.com/", duration_s=1, warmup_s=0)
