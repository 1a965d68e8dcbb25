#!/usr/bin/env bash
# The whole test suite. Installs what it needs (virtualenv; Debian's chromium and docker-compose), makes sure a
# Redis answers on 127.0.0.1:6379 (starting one if none does), then runs pytest. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

# Debian packages the tests use: Chromium for the review-report browser tests (Playwright drives it),
# docker-compose to validate docker-compose.yml (`config` needs no engine).
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing ${need[*]} for the tests ..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) \
      || echo "warning: could not install ${need[*]}; the tests that need them will fail" >&2
  fi
fi

# A real Redis on 127.0.0.1:6379 for the integration tests.
redis_up() { .venv/bin/python -c 'import redis,sys; redis.Redis(port=6379, socket_timeout=1).ping()' 2>/dev/null; }
if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "no Redis on 127.0.0.1:6379: starting one" >&2
    mkdir -p /tmp/enricher-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/enricher-redis --logfile /tmp/enricher-redis/redis.log
    for _ in $(seq 50); do redis_up && break; sleep 0.1; done
  fi
  redis_up || { echo "Redis is needed on 127.0.0.1:6379 and none could be started (install redis-server)" >&2; exit 2; }
fi

exec .venv/bin/python -m pytest "$@"
