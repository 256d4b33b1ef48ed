"""Failed sign-ins and refused tokens, counted per client address and per account name.

Only failures count, so a busy dashboard with a good token is never slowed. Once an address or
an account is over its limit every attempt is refused with 429, the right credential included:
guessing on must cost the guesser the whole window, not one more request. The counts live in
the process (the ``limits`` library's moving window): each API replica counts its own, so the
limit a deployment gets is the setting times its replicas.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from lineage.errors import ConfigError, TooManyAttemptsError
from lineage.settings import Settings


def _rate(setting: str, value: str) -> RateLimitItem:
    try:
        return parse(value)
    except ValueError:
        raise ConfigError(f"{setting} is not a rate such as 20/10minutes") from None


class FailedAttempts:
    """The two windows of failures; :meth:`check` before a credential is looked at, :meth:`failed`
    after one is refused."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_address = _rate("LINEAGE_API_FAILED_AUTH_PER_ADDRESS", settings.api.failed_auth_per_address)
        self._per_account = _rate("LINEAGE_API_FAILED_AUTH_PER_ACCOUNT", settings.api.failed_auth_per_account)

    def check(self, address: str, account: str | None = None) -> None:
        """Raises :class:`TooManyAttemptsError` while the address or the account is over its limit."""
        for limit, key in self._windows(address, account):
            if not self._limiter.test(limit, key):
                reset_at = self._limiter.get_window_stats(limit, key).reset_time
                raise TooManyAttemptsError(
                    "too many failed attempts: wait before trying again",
                    retry_after_s=max(1, math.ceil(reset_at - time.time())),
                )

    def failed(self, address: str, account: str | None = None) -> None:
        for limit, key in self._windows(address, account):
            self._limiter.hit(limit, key)

    def _windows(self, address: str, account: str | None) -> list[tuple[RateLimitItem, str]]:
        windows = [(self._per_address, f"address:{address}")]
        if account:
            windows.append((self._per_account, f"account:{account.strip().lower()}"))
        return windows
