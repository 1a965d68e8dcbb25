"""kombu's Redis transport with restore logs that tell the truth, and acks that survive a reconnect.

kombu logs "Restoring N unacknowledged message(s)" before it tries, and on a connection loss the
try fails (Redis is gone) with nothing said. The messages are not lost: they stay in Redis's
``unacked`` hash and the visibility timeout brings them back. This QoS says which of the two
happened, per message count. A task still running when the connection dropped acknowledges on the
channel that delivered it, closed by then: the channel reconnects with the parameters it remembers
(kombu would need its gone connection and crash the worker). Selected by ``broker_transport`` in
``tasks.factory``.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis as kombu_redis

__all__ = ["Transport"]

log = logging.getLogger("tasks.broker")


class QoS(kombu_redis.QoS):
    """Restores held messages at channel close one by one and logs what really happened."""

    def restore_unacked_once(self, stderr: Any = None) -> None:
        self._on_collect.cancel()
        self._flush()  # type: ignore[no-untyped-call]
        state = self._delivered
        if not self.restore_at_shutdown or not self.channel.do_restore:
            return
        if getattr(state, "restored", None):
            return
        try:
            if not state:
                return
            restored, kept = 0, len(state)
            try:
                with self.channel.conn_or_acquire() as client:
                    for tag in list(state):
                        try:
                            self.restore_by_tag(tag, client=client)  # type: ignore[no-untyped-call]
                        except Exception as exc:  # Redis gone: the message stays in 'unacked'
                            log.debug("restore of %s failed: %r", tag, exc)
                            continue
                        restored += 1
                        kept -= 1
            except Exception as exc:  # no client at all (the connection is already torn down)
                log.debug("no Redis client to restore with: %r", exc)
            state.clear()
            if restored:
                log.info("Restored %d unacknowledged message(s) to their queues", restored)
            if kept:
                log.warning(
                    "%d held message(s) not restored now (Redis unreachable): they stay in 'unacked' "
                    "and come back within the visibility timeout (%d s), or are acknowledged by the "
                    "task still running them",
                    kept,
                    self.visibility_timeout,
                )
        finally:
            state.restored = True  # type: ignore[attr-defined]


class Channel(kombu_redis.Channel):
    """Remembers how it connected, so a message it delivered can still be acknowledged after the
    channel was closed by a connection loss (the task kept running; see tasks.factory)."""

    QoS = QoS

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        cache: dict[bool, dict[str, Any]] = self.__dict__.setdefault("_enricher_connparams", {})
        if self.connection is None and asynchronous in cache:
            # Closed: kombu's own method reads the (gone) connection and raises AttributeError,
            # which Celery takes for an unrecoverable error and stops the worker.
            return dict(cache[asynchronous])
        params: dict[str, Any] = super()._connparams(asynchronous=asynchronous)  # type: ignore[no-untyped-call]
        cache[asynchronous] = dict(params)
        return params


class Transport(kombu_redis.Transport):
    Channel = Channel
