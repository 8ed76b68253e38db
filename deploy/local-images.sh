#!/usr/bin/env bash
# Builds, from Debian's packages, local equivalents of the upstream images deploy/compose.yaml pulls, for a
# machine that reaches a Debian archive but no image registry. Needs root, debootstrap and a Docker engine.
#
#   sudo deploy/local-images.sh            # builds what is missing, then prints the settings to use
#   sudo deploy/local-images.sh --rebuild  # builds all four again
#
# The compose file and the Dockerfile take their base images from variables whose defaults are the
# upstream images; put the lines this script prints into deploy/.env to use the local ones instead:
#   PYTHON_IMAGE      python:3.11-slim         -> newsflow-local/python:3.11      (Debian's python3 3.11)
#   REDIS_IMAGE       redis:7.4-alpine         -> newsflow-local/redis:7          (Debian's redis-server 7.0)
#   POSTGRES_IMAGE    postgres:16-alpine       -> newsflow-local/postgres:15      (Debian's PostgreSQL 15 + RUM)
#   PROMETHEUS_IMAGE  prom/prometheus:v3.5.0   -> newsflow-local/prometheus:2     (Debian's Prometheus 2.42)
# Grafana is not packaged by Debian, so the monitoring profile's Grafana still needs its upstream image.
#
# Each image behaves as its upstream counterpart does where compose relies on it: the same command names,
# data paths, users and environment (POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB initialise an empty
# data volume, as the official postgres image's entrypoint does).
#
# Settings (environment): DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_SUITE (bookworm).
# The host's own extra CA certificates (/usr/local/share/ca-certificates) are trusted inside the Python
# image too, so pip works behind the same TLS-inspecting proxy as the host does.
set -euo pipefail
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=${DEBIAN_SUITE:-bookworm}
PREFIX=newsflow-local
REBUILD=false
[ "${1:-}" = "--rebuild" ] && REBUILD=true

die() { echo "local-images: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot)"
command -v debootstrap >/dev/null || die "needs debootstrap (apt-get install debootstrap)"
docker info >/dev/null 2>&1 || die "needs a running Docker engine"

WORK=$(mktemp -d /var/tmp/newsflow-images.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

exists() { docker image inspect "$1" >/dev/null 2>&1; }

base() {
    if [ ! -d "$WORK/base" ]; then
        echo "local-images: debootstrap $SUITE from $MIRROR" >&2
        debootstrap --variant=minbase "$SUITE" "$WORK/base" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
            || { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
        # Services never start inside the chroot while packages install.
        printf '#!/bin/sh\nexit 101\n' >"$WORK/base/usr/sbin/policy-rc.d"
        chmod +x "$WORK/base/usr/sbin/policy-rc.d"
    fi
}

# rootfs NAME PACKAGE...: a copy of the base with the packages installed; prints its folder.
rootfs() {
    local name=$1 dir="$WORK/$1"
    shift
    base
    cp -a "$WORK/base" "$dir"
    chroot "$dir" apt-get install -y -q --no-install-recommends "$@" >"$WORK/$name.log" 2>&1 \
        || { tail -20 "$WORK/$name.log" >&2; die "apt-get install $* failed"; }
    echo "$dir"
}

# import DIR IMAGE CHANGE...: the folder, trimmed of what an image does not need, as a Docker image.
import() {
    local dir=$1 image=$2
    shift 2
    chroot "$dir" apt-get clean
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* \
        "$dir"/usr/share/info/* "$dir"/var/log/*.log "$dir"/usr/sbin/policy-rc.d
    find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'C.*' -exec rm -rf {} + 2>/dev/null || true
    local changes=()
    for c in "$@"; do changes+=(--change "$c"); done
    tar -C "$dir" -c . | docker import "${changes[@]}" - "$image" >/dev/null
    rm -rf "$dir"
    echo "local-images: built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))" >&2
}

python_image() {
    local image=$PREFIX/python:3.11 dir
    if $REBUILD || ! exists "$image"; then
        dir=$(rootfs python python3 python3-venv ca-certificates)
        if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
            cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
            chroot "$dir" update-ca-certificates >/dev/null 2>&1
        fi
        # pip trusts certifi's bundle, not the system's, unless told otherwise.
        printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$dir/etc/pip.conf"
        import "$dir" "$image" 'ENV LANG=C.UTF-8' 'CMD ["python3"]'
    fi
    echo "PYTHON_IMAGE=$image"
}

redis_image() {
    local image=$PREFIX/redis:7 dir
    if $REBUILD || ! exists "$image"; then
        dir=$(rootfs redis redis-server)
        mkdir -p "$dir/data"
        chroot "$dir" chown redis:redis /data
        import "$dir" "$image" 'WORKDIR /data' 'USER redis' 'EXPOSE 6379' 'CMD ["redis-server"]'
    fi
    echo "REDIS_IMAGE=$image"
}

postgres_image() {
    local image=$PREFIX/postgres:15 dir here
    here=$(cd "$(dirname "$0")" && pwd)
    if $REBUILD || ! exists "$image"; then
        base
        # Debian creates and starts a cluster on install; the entrypoint makes one in the volume instead.
        mkdir -p "$WORK/base/etc/postgresql-common"
        echo "create_main_cluster = false" >"$WORK/base/etc/postgresql-common/createcluster.conf"
        dir=$(rootfs postgres postgresql-15 postgresql-15-rum)
        rm "$WORK/base/etc/postgresql-common/createcluster.conf"
        mkdir -p "$dir/var/lib/postgresql/data" "$dir/run/postgresql"
        chroot "$dir" chown -R postgres:postgres /var/lib/postgresql /run/postgresql
        chmod 0700 "$dir/var/lib/postgresql/data"
        install -m 0755 "$here/local/postgres-entrypoint.sh" "$dir/usr/local/bin/docker-entrypoint.sh"
        import "$dir" "$image" 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin' \
            'ENV PGDATA=/var/lib/postgresql/data' 'ENV LANG=C.UTF-8' 'USER postgres' 'EXPOSE 5432' \
            'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]'
    fi
    echo "POSTGRES_IMAGE=$image"
}

prometheus_image() {
    local image=$PREFIX/prometheus:2 dir
    if $REBUILD || ! exists "$image"; then
        dir=$(rootfs prometheus prometheus)
        mkdir -p "$dir/prometheus"
        chroot "$dir" chown nobody:nogroup /prometheus
        import "$dir" "$image" 'WORKDIR /prometheus' 'USER nobody' 'EXPOSE 9090' \
            'ENTRYPOINT ["/usr/bin/prometheus"]' \
            'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]'
    fi
    echo "PROMETHEUS_IMAGE=$image"
}

python_image
redis_image
postgres_image
prometheus_image
