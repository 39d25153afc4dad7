#!/bin/sh
# The container's entrypoint. Before gunicorn starts, `flask init-db` brings
# the database up to date: the migrations, then the shipped articles that
# are missing (it does nothing on a database that is already current).
# Any other command (flask ..., sh) runs as given.
set -eu
if [ "${1:-}" = gunicorn ]; then
    flask init-db
fi
exec "$@"
