"""Run wrk against a loopback URL and read its ``--latency`` report.

wrk prints human units (``812.00us``, ``5.40ms``, ``1.02s``, ``5.80k`` requests, ``1.21MB``); everything here
is converted to plain numbers (milliseconds, requests, bytes) so results can be compared and stored as JSON.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

_TIME_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_SIZE_TO_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_TIME = r"([\d.]+)(us|ms|s|m|h)"


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed a report this parser does not understand."""


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    duration_s: float
    bytes_read: int
    non_2xx_3xx: int
    socket_errors: int
    command: str = ""

    @property
    def bytes_per_response(self) -> float:
        """Average bytes read per response (headers included): shows whether the body came compressed."""
        return self.bytes_read / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "bytes_per_response": round(self.bytes_per_response, 1)}


def time_to_ms(text: str) -> float:
    match = re.fullmatch(_TIME, text.strip())
    if not match:
        raise WrkError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _TIME_TO_MS[match.group(2)]


def size_to_bytes(text: str) -> int:
    match = re.fullmatch(r"([\d.]+)(B|KB|MB|GB|TB)", text.strip())
    if not match:
        raise WrkError(f"not a wrk size: {text!r}")
    return round(float(match.group(1)) * _SIZE_TO_BYTES[match.group(2)])


def parse(output: str, command: str = "") -> WrkResult:
    """Parse the report of ``wrk --latency``; raises WrkError when a required line is missing."""

    def required(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise WrkError(f"wrk output has no line matching {pattern!r}:\n{output}")
        return match

    percentiles = _percentiles(output)
    for needed in (50, 75, 90, 99):
        if needed not in percentiles:
            raise WrkError(f"wrk output has no {needed}% latency (was --latency given?):\n{output}")
    totals = required(r"^\s*(\d+) requests in ([\d.]+\w+), ([\d.]+\w?B) read")
    rps = required(r"^Requests/sec:\s+([\d.]+)")
    non_2xx = re.search(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", output, re.MULTILINE)
    socket = re.search(
        r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output, re.MULTILINE
    )
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=percentiles[50],
        p75_ms=percentiles[75],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        requests=int(totals.group(1)),
        duration_s=time_to_ms(totals.group(2)) / 1000,
        bytes_read=size_to_bytes(totals.group(3)),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
        command=command,
    )


def _percentiles(output: str) -> dict[int, float]:
    section = output.split("Latency Distribution", 1)
    if len(section) < 2:
        return {}
    found: dict[int, float] = {}
    for line in section[1].splitlines():
        match = re.fullmatch(rf"\s*(\d+(?:\.\d+)?)%\s+{_TIME}\s*", line)
        if not match:
            if found:
                break  # the distribution block ended
            continue
        found[round(float(match.group(1)))] = time_to_ms(match.group(2) + match.group(3))
    return found


def command_line(
    url: str, *, duration_s: int, connections: int, threads: int, headers: Sequence[str] = ()
) -> list[str]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    return [*command, url]


def run(
    url: str,
    *,
    duration_s: int = 10,
    warmup_s: int = 2,
    connections: int = 32,
    threads: int = 1,
    headers: Sequence[str] = ("Accept-Encoding: gzip",),
) -> WrkResult:
    """Warm up (result discarded: first requests fill caches and connection pools), then measure."""
    if not url.startswith(("http://127.0.0.1:", "http://[::1]:", "http://localhost:")):
        raise WrkError(f"benchmarks only drive loopback servers, not {url}")
    if not shutil.which("wrk"):
        raise WrkError("wrk is not installed (Debian: apt-get install wrk)")
    if warmup_s > 0:
        _wrk(
            command_line(url, duration_s=warmup_s, connections=connections, threads=threads, headers=headers)
        )
    command = command_line(
        url, duration_s=duration_s, connections=connections, threads=threads, headers=headers
    )
    return parse(_wrk(command), command=shlex.join(command))


def _wrk(command: list[str]) -> str:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    if completed.returncode != 0:
        raise WrkError(
            f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr or completed.stdout}"
        )
    return completed.stdout
