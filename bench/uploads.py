"""The store page while creators upload: ``python -m bench.run uploads`` (part of ``make bench``).

A buyer must never wait behind a creator's upload. The app runs as in production (bench/servers.py, one worker);
``UPLOADERS`` threads log in as the demo creator and upload a 12 MP PNG as the store's picture (an avatar, as a phone
sends its camera's photo), one after another, while wrk drives ``GET /@demo``. Each upload re-encodes the photo
(about a second of a core). An avatar changes only the draft, so buyers' page stays cached and what is measured is
the event loop alone; a cover would also start a new page version and a re-render per upload. The run is made
twice: with slow work in worker threads (the default) and with ``WINDSURF_OFFLOAD=0`` (the same work on the event
loop), and once without uploads as the baseline. What it reports is the store page's p99 in each case.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import threading
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import httpx

from bench import servers, wrk

STORE_PATH = "/@demo"
DEMO_LOGIN = {"email": "demo@windsurf.et", "password": "demo-store-2026"}
UPLOADERS = 2
MODES = {"offloaded": {}, "inline": {"WINDSURF_OFFLOAD": "0"}}


def twelve_megapixel_png() -> bytes:
    from PIL import Image

    gradient = Image.linear_gradient("L").resize((4000, 3000))
    photo = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient))
    buffer = io.BytesIO()
    photo.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


class Creator:
    """The demo creator's browser, over plain http: production cookies are ``Secure`` and ``__Host-``, which
    httpx's jar would not send to http://127.0.0.1, so the cookies are kept by hand."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=60.0, follow_redirects=False)
        self.cookies: dict[str, str] = {}

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def _headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}

    def get(self, path: str) -> httpx.Response:
        return self._keep(self.client.get(path, headers=self._headers()))

    def post(self, path: str, data: dict[str, str], files: dict[str, Any] | None = None) -> httpx.Response:
        token = next(value for name, value in self.cookies.items() if name.endswith("csrftoken"))
        return self._keep(
            self.client.post(path, data={**data, "_csrf_token": token}, files=files, headers=self._headers())
        )

    def log_in(self) -> None:
        self.get("/login")
        response = self.post("/login", DEMO_LOGIN)
        if response.status_code != 303:
            raise RuntimeError(f"demo login answered {response.status_code}: {response.text[:300]}")


@dataclasses.dataclass
class UploadTally:
    done: int = 0
    failed: list[str] = dataclasses.field(default_factory=list)


@contextlib.contextmanager
def uploading(base_url: str, photo: bytes) -> Iterator[UploadTally]:
    """``UPLOADERS`` creators' browsers uploading covers back to back until the block ends."""
    stop = threading.Event()
    tally = UploadTally()
    lock = threading.Lock()

    def loop() -> None:
        try:
            creator = Creator(base_url)
            creator.log_in()
            while not stop.is_set():
                response = creator.post(
                    "/dashboard/avatar", {}, files={"avatar": ("me.png", photo, "image/png")}
                )
                with lock:
                    if response.status_code == 303:
                        tally.done += 1
                    else:
                        tally.failed.append(f"{response.status_code}: {response.text[:200]}")
        except Exception as exc:  # reported by the run, not lost in a thread
            with lock:
                tally.failed.append(repr(exc))

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(UPLOADERS)]
    for thread in threads:
        thread.start()
    try:
        yield tally
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)


def checked(result: wrk.WrkResult, label: str) -> wrk.WrkResult:
    """An error page would measure something else; socket errors (wrk's 2 s timeouts among them) are what a
    stalled loop looks like, so they are reported, not refused."""
    if result.non_2xx_3xx:
        raise RuntimeError(f"{label}: {result.non_2xx_3xx} non-2xx/3xx responses; command: {result.command}")
    return result


def report_line(label: str, result: wrk.WrkResult, uploads: int) -> str:
    return (
        f"{label:<28} rps={result.requests_per_second:>8.1f} p50_ms={result.p50_ms:.2f}"
        f" p99_ms={result.p99_ms:.2f} socket_errors={result.socket_errors} uploads={uploads}"
    )


def bench_uploads(load: Any, workers: int) -> dict[str, Any]:
    """Runs the three measurements; returns what bench.run saves. The last line printed is the summary."""
    photo = twelve_megapixel_png()
    results: dict[str, Any] = {}
    with servers.production_deployment() as deployment:
        for mode, extra_env in MODES.items():
            with deployment.serve(workers=workers, extra_env=extra_env) as base_url:
                url = base_url + STORE_PATH
                if mode == "offloaded":
                    quiet = checked(load.drive(url), "no uploads")
                    print(report_line("store page, no uploads", quiet, 0), flush=True)
                    results["no_uploads"] = {"wrk": quiet.as_dict(), "uploads": 0}
                with uploading(base_url, photo) as tally:
                    busy = checked(load.drive(url), mode)
                if tally.failed or not tally.done:
                    raise RuntimeError(f"{mode}: uploads failed: {tally.failed[:3]}")
                print(report_line(f"store page, uploads {mode}", busy, tally.done), flush=True)
                results[mode] = {"wrk": busy.as_dict(), "uploads": tally.done, "env": extra_env}
        results["setup"] = deployment.commands
    print(
        "store-page-with-uploads"
        f" p99_ms_no_uploads={results['no_uploads']['wrk']['p99_ms']:.2f}"
        f" p99_ms_offloaded={results['offloaded']['wrk']['p99_ms']:.2f}"
        f" p99_ms_inline={results['inline']['wrk']['p99_ms']:.2f}"
        f" uploaders={UPLOADERS} photo_bytes={len(photo)}"
    )
    return {"photo_bytes": len(photo), "uploaders": UPLOADERS, "results": results}
