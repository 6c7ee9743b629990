"""A small in-process sliding-window limiter (per client address) for sign-in attempts."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from market.errors import TooManyRequests


class SlidingWindowLimiter:
    def __init__(self, max_events: int, window_s: float) -> None:
        self.max_events = max_events
        self.window_s = window_s
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            q = self._events[key]
            while q and now - q[0] > self.window_s:
                q.popleft()
            if len(q) >= self.max_events:
                raise TooManyRequests("登录尝试过于频繁，请一分钟后再试")
            q.append(now)

    def reset(self) -> None:
        with self._lock:
            self._events.clear()


login_limiter = SlidingWindowLimiter(max_events=20, window_s=60.0)
