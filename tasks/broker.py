"""kombu's Redis transport with restore logs that tell the truth.

kombu logs "Restoring N unacknowledged message(s)" before it tries, and on a connection loss the
try fails (Redis is gone) with nothing said. The messages are not lost: they stay in Redis's
``unacked`` hash and the visibility timeout brings them back. This QoS says which of the two
happened, per message count. Selected by ``broker_transport`` in ``tasks.factory``.
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
            restored, kept = 0, 0
            with self.channel.conn_or_acquire() as client:
                for tag in list(state):
                    try:
                        self.restore_by_tag(tag, client=client)  # type: ignore[no-untyped-call]
                        restored += 1
                    except self.channel.connection_errors:
                        kept += 1
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
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel
