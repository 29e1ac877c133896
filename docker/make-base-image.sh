#!/bin/sh
# A Python base image made from Debian's own repositories, for hosts that reach no image registry:
#   sudo docker/make-base-image.sh                     # -> osaa-base:bookworm (Python 3.11)
#   DOCKER_BUILDKIT=1 docker build --build-arg BASE_IMAGE=osaa-base:bookworm -t osaa-mvp .
# Needs root, debootstrap and a running engine (DOCKER_HOST is honoured). The root filesystem is
# kept as a tarball in $OSAA_DOCKER_CACHE (default ~/.cache/osaa-docker) and imported from there
# on later runs; its name carries a hash of this recipe, so an edited recipe makes a new one.
# Environment: OSAA_BASE_SUITE (bookworm), OSAA_DEBIAN_MIRROR (http://deb.debian.org/debian).
set -eu

tag="${1:-osaa-base:${OSAA_BASE_SUITE:-bookworm}}"
suite="${OSAA_BASE_SUITE:-bookworm}"
mirror="${OSAA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${OSAA_DOCKER_CACHE:-${HOME:-/root}/.cache/osaa-docker}"
packages="python3,python3-venv,ca-certificates"
docker="${DOCKER:-docker}"

recipe=$( { printf '%s\n' "$suite" "$mirror" "$packages"; cat "$0"; } | sha256sum | cut -c1-12)
tarball="$cache/debian-$suite-python3-$recipe.tar"

if [ "$("$docker" image inspect --format '{{ index .Config.Labels "org.osaa.base.recipe" }}' \
    "$tag" 2>/dev/null || true)" = "$recipe" ]; then
    echo "$tag is up to date (recipe $recipe)"
    exit 0
fi

if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || {
        echo "debootstrap is missing: apt-get install debootstrap" >&2
        exit 1
    }
    mkdir -p "$cache"
    work=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$work"' EXIT INT TERM
    echo "debootstrap --variant=minbase $suite from $mirror (about 2 minutes)"
    debootstrap --variant=minbase --include="$packages" "$suite" "$work/rootfs" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || {
        tail -20 "$work/debootstrap.log" >&2
        exit 1
    }
    # What an image never needs: downloaded packages, package lists, documentation, translations.
    (
        cd "$work/rootfs"
        rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* \
            usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/* var/log/*
    )
    tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" .
    mv "$work/rootfs.tar" "$tarball"
fi

echo "importing $tarball as $tag"
"$docker" import \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL org.osaa.base.recipe=$recipe org.osaa.base.suite=$suite" \
    --change 'CMD ["python3"]' \
    "$tarball" "$tag" >/dev/null
echo "$tag ready ($("$docker" image inspect --format '{{ .Size }}' "$tag") bytes)"
