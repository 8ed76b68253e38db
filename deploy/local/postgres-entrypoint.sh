#!/bin/sh
# The entrypoint of deploy/local-images.sh's PostgreSQL image: what the official postgres image's entrypoint
# does for compose. An empty $PGDATA is initialised with POSTGRES_USER (its password POSTGRES_PASSWORD,
# required) and POSTGRES_DB; network clients must give the password (scram-sha-256), the local socket
# is trusted. Then `postgres ARGS` runs as PID 1, so docker stop reaches it.
set -eu
if [ "${1:-}" = "postgres" ]; then
    shift
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set to initialise the database}"
        user=${POSTGRES_USER:-postgres}
        db=${POSTGRES_DB:-$user}
        pwfile=$(mktemp)
        printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
        initdb -D "$PGDATA" --username="$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
            --auth-local=trust --auth-host=scram-sha-256 >/dev/null
        rm -f "$pwfile"
        printf "host all all all scram-sha-256\n" >>"$PGDATA/pg_hba.conf"
        printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.auto.conf"
        if [ "$db" != postgres ]; then
            # A server on the socket only, so no client reaches a half-made database.
            pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
            createdb --username="$user" "$db"
            pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
        fi
        echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db)"
    fi
    exec postgres "$@"
fi
exec "$@"
