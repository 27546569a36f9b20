"""The one HTTP client every provider adapter uses: timeouts, and retries only where repeating is safe.

A call is retried (with exponential backoff) only when the caller says it is safe to repeat (``safe=True``:
status queries, token requests) and only on transient failures: the connection could not be made or broke
(connection errors, connect timeouts) or the provider's edge answered 502, 503 or 504. Starting a payment or a
transfer is never repeated here: a timeout there leaves the outcome unknown, and the caller decides.

Failures become coded ``PaymentError``s: ``provider_timeout`` (no answer in time), ``provider_unavailable``
(connection failures and 5xx, once retries are spent) and ``provider_misconfigured`` (401/403: our keys). Every
other answer is returned for the adapter to read, since providers put business errors in 2xx and 4xx bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from windsurf.payments.providers.base import ErrorCode, PaymentError

TRANSIENT_STATUS = frozenset({502, 503, 504})
_log = logging.getLogger("windsurf.payments")


class ProviderHttp:
    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        timeout: float,
        retries: int,
        backoff: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self._timeout = httpx.Timeout(timeout)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Created on first use, in the event loop that uses it (an app's, a worker's, a test's).
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=self._timeout,
                transport=self._transport,
                follow_redirects=False,
                headers={"User-Agent": "stan-store-windsurf/1", "Accept": "application/json"},
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        safe: bool,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        attempts = 1 + (self.retries if safe else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http().request(
                    method, path, json=json_body, params=params, headers=dict(headers or {})
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                # The request did not reach the provider, or the connection broke before an answer.
                if last:
                    raise PaymentError(ErrorCode.PROVIDER_UNAVAILABLE, self.provider, _describe(exc)) from exc
            except httpx.TimeoutException as exc:
                # Sent but unanswered: the provider may have acted on it. Not repeated, even when safe.
                raise PaymentError(ErrorCode.PROVIDER_TIMEOUT, self.provider, _describe(exc)) from exc
            except httpx.HTTPError as exc:
                raise PaymentError(ErrorCode.PROVIDER_UNAVAILABLE, self.provider, _describe(exc)) from exc
            else:
                if response.status_code in {401, 403}:
                    raise PaymentError(
                        ErrorCode.PROVIDER_MISCONFIGURED,
                        self.provider,
                        f"{method} {path}: {response.status_code}",
                    )
                if response.status_code in TRANSIENT_STATUS and not last:
                    _log.info(
                        "provider transient error, retrying",
                        extra={
                            "provider": self.provider,
                            "status": response.status_code,
                            "attempt": attempt + 1,
                        },
                    )
                elif response.status_code >= 500:
                    raise PaymentError(
                        ErrorCode.PROVIDER_UNAVAILABLE,
                        self.provider,
                        f"{method} {path}: {response.status_code}",
                    )
                else:
                    return response
            await asyncio.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def json_of(self, response: httpx.Response) -> dict[str, Any]:
        """The response's JSON object, or ``provider_bad_response``."""
        try:
            data = json.loads(response.content)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise PaymentError(
                ErrorCode.PROVIDER_BAD_RESPONSE,
                self.provider,
                f"{response.status_code}: not a JSON object: {response.content[:200]!r}",
            )
        return data


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
