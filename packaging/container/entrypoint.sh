#!/bin/sh
# The container's entrypoint: acsemu on 0.0.0.0 (ACSEMU_BIND) with the admin
# API behind a token. Arguments are acsemu's (docker run IMAGE --log-format json).
set -eu
if [ -z "${ACSEMU_ADMIN_TOKEN:-}" ]; then
    echo "acsemu container: set ACSEMU_ADMIN_TOKEN (docker run -e ACSEMU_ADMIN_TOKEN=...):" \
         "acsemu listens on all interfaces here, and /_emu/ then needs Authorization: Bearer <token>" >&2
    exit 2
fi
export ACSEMU_ADMIN_TOKEN
exec /usr/bin/acsemu "$@"
