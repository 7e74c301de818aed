# acsemu in a container: Debian 12, non-root, one port (8780) for HTTP and HTTPS.
#
#   docker build -t acsemu .
#   docker run --rm -p 8780:8780 -e ACSEMU_ADMIN_TOKEN=change-me acsemu
#   curl -s -H 'Authorization: Bearer change-me' http://127.0.0.1:8780/_emu/health
#
# World: the seed world is baked in (/usr/share/acsemu/world.json, the default).
# Mount your own and point at it:
#   docker run -v "$PWD/world.json:/worlds/world.json:ro" -e ACSEMU_WORLD=/worlds/world.json ...
# or bake it into a derived image (COPY world.json /worlds/world.json + ENV ACSEMU_WORLD).
# State: --data-dir is /var/lib/acsemu/data, a volume: changes survive a restart
# of the container (POST /_emu/reset goes back to the world file).
# Admin: acsemu binds 0.0.0.0 here, so the entrypoint requires ACSEMU_ADMIN_TOKEN
# (acsemu's --admin-token from the environment); /_emu/ calls send
# Authorization: Bearer <token>.
#
# scripts/test-image checks this file's contract and runs the runtime stage's
# file layout (no container engine needed).

# ---- build stage ------------------------------------------------------------------
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libuv1-dev libcjson-dev libssl-dev libcmocka-dev \
      libprotobuf-c-dev protobuf-c-compiler node-llhttp libxml2-dev libunistring-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt README.md ./
COPY cmake cmake
COPY emulator emulator
COPY include include
COPY data data
COPY docs docs
# EMU_HOST_HAS_SSE42=OFF: the image runs on any amd64 host, not only the builder's.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DEMU_HOST_HAS_SSE42=OFF \
 && cmake --build /build -j"$(nproc)" --target acsemu \
 && DESTDIR=/rootfs cmake --install /build --prefix /usr

# ---- runtime stage -------------------------------------------------------------------
FROM debian:12-slim
# The libraries acsemu links (the .deb's Depends) and curl for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libuv1 libcjson1 libssl3 libprotobuf-c1 libxml2 libunistring2 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/acsemu --create-home acsemu \
 && mkdir -p /var/lib/acsemu/data /var/lib/acsemu/state /worlds \
 && chown -R acsemu:acsemu /var/lib/acsemu
COPY --from=build /rootfs/usr/ /usr/
COPY packaging/container/entrypoint.sh /usr/local/bin/acsemu-entrypoint
ENV ACSEMU_BIND=0.0.0.0 \
    ACSEMU_PORT=8780 \
    ACSEMU_DATA_DIR=/var/lib/acsemu/data \
    ACSEMU_STATE_DIR=/var/lib/acsemu/state \
    ACSEMU_READY_FILE=/var/lib/acsemu/ready
USER acsemu
WORKDIR /var/lib/acsemu
VOLUME ["/var/lib/acsemu/data"]
EXPOSE 8780
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS -H "Authorization: Bearer ${ACSEMU_ADMIN_TOKEN}" "http://127.0.0.1:${ACSEMU_PORT}/_emu/health" || exit 1
ENTRYPOINT ["/usr/local/bin/acsemu-entrypoint"]
