# A throwaway Redis for the test suite: sourced by .ci/run.
# redis_start runs redis-server in a temp dir, on a free port of 127.0.0.1
# only, keeping nothing on disk, and exports TEST_REDIS_URL; redis_stop
# stops it and removes the dir.

redis_start() {
  local port
  REDIS_TMP=$(mktemp -d /tmp/blog-redis.XXXXXX)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
    --save "" --appendonly no --dir "$REDIS_TMP" \
    --daemonize yes --pidfile "$REDIS_TMP/redis.pid" --logfile "$REDIS_TMP/server.log"
  local tries=0
  until redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ]; then
      echo "redis-server did not start:" >&2
      cat "$REDIS_TMP/server.log" >&2
      return 1
    fi
    sleep 0.1
  done
  export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
  echo "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$port ($REDIS_TMP)"
}

redis_stop() {
  if [ -n "${REDIS_TMP:-}" ] && [ -d "$REDIS_TMP" ]; then
    if [ -f "$REDIS_TMP/redis.pid" ]; then
      local pid tries=0
      pid=$(cat "$REDIS_TMP/redis.pid")
      kill "$pid" 2>/dev/null || true
      # Bounded wait for it to exit before its directory goes.
      while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do
        tries=$((tries + 1))
        sleep 0.1
      done
    fi
    rm -rf "$REDIS_TMP"
  fi
}
