# weir in a container. Build: docker build -t weir .
# Run:   docker run --read-only -p 8080:8080 -v "$PWD/weir.toml:/etc/weir/weir.toml:ro" weir
# Every option can also come from the environment (`weir config env` lists them), e.g.
#        -e WEIR_WORKERS=4 -e WEIR_LOG_LEVEL=debug -e WEIR_ADMIN_LISTEN=0.0.0.0:9901
# Listen on 0.0.0.0 (or [::]) inside the container, not 127.0.0.1.
#
# weir runs as PID 1: the supervisor handles SIGTERM (docker stop: drain for system.grace_period, exit 0),
# SIGHUP (docker kill -s HUP: reload the mounted file) and SIGUSR1 (reopen log files), and reaps its
# workers. It runs as the unprivileged user `node`: leave system.user unset, and use ports above 1023
# (or grant --cap-add NET_BIND_SERVICE and --sysctl net.ipv4.ip_unprivileged_port_start=0).

FROM node:26-slim AS build
# The native socket addon (SCM_RIGHTS, raw listeners) is compiled by node-gyp at install.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 g++ make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/weir
COPY package.json package-lock.json ./
COPY native ./native
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY examples ./examples

FROM node:26-slim
COPY --from=build /opt/weir /opt/weir
ENV NODE_ENV=production \
    WEIR_CONFIG=/etc/weir/weir.toml
USER node
# A read-only, non-writable working directory: weir writes nothing there.
WORKDIR /
EXPOSE 8080 9901
STOPSIGNAL SIGTERM
# bin/weir exec()s node, so node itself is PID 1 (no shell in between to swallow signals).
ENTRYPOINT ["/opt/weir/bin/weir"]
CMD ["run"]
