# A throwaway PostgreSQL cluster for the test suite: sourced by .ci/run.
# pg_start creates it in a temp dir, owned by the postgres user, listening
# on 127.0.0.1 only, and exports TEST_DATABASE_URL; pg_stop removes it.

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_start() {
  local bin port
  bin=$(pg_bin)
  PG_TMP=$(mktemp -d /tmp/blog-pg.XXXXXX)
  chown postgres "$PG_TMP"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  su postgres -s /bin/sh -c "'$bin/initdb' -D '$PG_TMP/data' -U postgres -A trust -E UTF8 --no-locale" >/dev/null
  su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$PG_TMP/data' -l '$PG_TMP/server.log' -w \
    -o \"-c listen_addresses=127.0.0.1 -p $port -k '$PG_TMP' -c fsync=off\" start" >/dev/null
  su postgres -s /bin/sh -c "'$bin/createdb' -h 127.0.0.1 -p $port -U postgres blog_test"
  export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/blog_test"
  # For the test that restarts the database between two requests.
  export TEST_PG_RESTART="su postgres -s /bin/sh -c \"'$bin/pg_ctl' -D '$PG_TMP/data' -w -m fast restart\""
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($PG_TMP)"
}

pg_stop() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/data" ]; then
    su postgres -s /bin/sh -c "'$(pg_bin)/pg_ctl' -D '$PG_TMP/data' -w -m fast stop" >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
