"""A beat scheduler that sends only while it holds a Redis leader lease.

Two ``enricher beat`` processes started by mistake would each send the nightly job. The one holding
``enricher:lock:beat-leader`` (a lease renewed every tick) sends; the other idles and takes over
within ``LEASE`` seconds if the leader dies. The scheduled tasks are also once-per-window on their own
(``tasks.definitions.nightly``), so even a lease lost at the wrong moment cannot double a run.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from celery.beat import PersistentScheduler

from enricher.state import Keys, sync_redis

__all__ = ["LEASE", "SingleBeatScheduler"]

log = logging.getLogger("tasks.beat")

LEASE = 30
"""Seconds a leader's lease lasts without renewal."""

# Renew our own lease, or take a free one; never steal another holder's.
_CLAIM = """
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""


class SingleBeatScheduler(PersistentScheduler):  # type: ignore[misc]
    """PersistentScheduler that ticks only as the leader (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.app.conf.enricher_settings
        self._redis = sync_redis(settings)
        self._key = Keys(settings.redis_prefix).lock("beat-leader")
        self._me = f"{socket.gethostname()}:{os.getpid()}"
        self._claim = self._redis.register_script(_CLAIM)
        self._leader: bool | None = None  # unknown until the first tick, so both states get logged

    def _is_leader(self) -> bool:
        try:
            leader = bool(self._claim(keys=[self._key], args=[self._me, LEASE]))
        except Exception as exc:  # Redis down: do not send (the broker is down too)
            log.warning("beat: cannot renew the leader lease (%s)", type(exc).__name__)
            leader = False
        if leader != self._leader:
            log.warning("beat: %s", "leading: sending scheduled tasks" if leader else "standing by")
            self._leader = leader
        return leader

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._is_leader():
            return float(LEASE) / 3
        return min(float(super().tick(*args, **kwargs)), float(LEASE) / 3)

    def close(self) -> None:
        if self._leader:
            try:
                if self._redis.get(self._key) == self._me.encode():
                    self._redis.delete(self._key)
            except Exception:  # best effort: the lease expires anyway
                log.debug("beat: lease not released", exc_info=True)
        super().close()
