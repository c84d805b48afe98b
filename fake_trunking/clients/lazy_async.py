"""``LazyAsyncTwilioHttpClient``: an ``AsyncTwilioHttpClient`` that can be made outside a loop.

``AsyncTwilioHttpClient()`` opens an ``aiohttp.ClientSession`` in its constructor, and aiohttp
needs a running event loop for that, so it cannot be built in a synchronous pytest fixture. This
subclass opens its session on the first request, in the loop that runs it (a new one if a later
request runs in another loop), and can be closed from synchronous code (``close_sync``), which is
what the ``trunking_async_client`` fixture does at teardown. Requests, retries (``max_retries``
through ``aiohttp_retry``), logging and parsing are twilio's own.

Needs aiohttp and aiohttp-retry (``pip install 'fake-trunking[async]'``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

from aiohttp import ClientSession
from twilio.http.async_http_client import AsyncTwilioHttpClient

_logger = logging.getLogger("twilio.async_http_client")


class LazyAsyncTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """An ``AsyncTwilioHttpClient`` whose aiohttp session is opened lazily, in the running loop."""

    def __init__(
        self,
        trace_configs: Any = None,
        timeout: Optional[float] = None,
        logger: logging.Logger = _logger,
        proxy_url: Optional[str] = None,
        max_retries: Optional[int] = None,
    ) -> None:
        super().__init__(
            pool_connections=False,  # no session yet: no loop is needed here
            trace_configs=trace_configs,
            timeout=timeout,
            logger=logger,
            proxy_url=proxy_url,
        )
        self.max_retries = max_retries
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._client_session: Optional[ClientSession] = None  # under a RetryClient, if any

    @property
    def _open(self) -> bool:
        return self._client_session is not None and not self._client_session.closed

    def _session_for(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._open and self._loop is loop:
            return
        self.close_sync()  # a session of another (finished) loop cannot be used in this one
        client_session = ClientSession(trace_configs=self.trace_configs)
        session: Any = client_session
        if self.max_retries is not None:
            from aiohttp_retry import ExponentialRetry, RetryClient

            session = RetryClient(
                client_session=client_session,
                retry_options=ExponentialRetry(attempts=self.max_retries),
            )
        self.session, self._client_session, self._loop = session, client_session, loop

    async def request(self, *args: Any, **kwargs: Any) -> Any:
        """twilio's ``request``, on this loop's session."""
        self._session_for(asyncio.get_running_loop())
        return await super().request(*args, **kwargs)

    async def close(self) -> None:
        """Close the session (twilio's ``close``); the next request opens a new one."""
        session, was_open = self.session, self._open
        self.session, self._client_session, self._loop = None, None, None
        if session is not None and was_open:
            await session.close()

    async def __aexit__(self, *excinfo: Any) -> None:
        await self.close()

    def close_sync(self) -> None:
        """Close the session from synchronous code (a fixture's teardown); idempotent."""
        session, loop, was_open = self.session, self._loop, self._open
        self.session, self._client_session, self._loop = None, None, None
        if session is None or not was_open:
            return
        if loop is not None and not loop.is_closed() and not _in_a_loop():
            loop.run_until_complete(session.close())
            return
        # The loop is gone (or busy): a session that never opened a socket (the fake answers
        # in memory) closes without waiting, so drive the coroutine by hand.
        closing = session.close()
        try:
            closing.send(None)
        except StopIteration:
            return
        closing.close()  # it had real connections to wait for: leave them to the GC


def _in_a_loop() -> bool:
    """Is an event loop running in this thread (so no other loop can be run here)?"""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
