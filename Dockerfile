# One image for the whole platform: every process (gateway, the five services, the ops commands)
# is the `agora` console script, and the Kubernetes manifests choose the process with the
# command, exactly as the local stack does: `agora run <service>`, `agora migrate`, ...
#
#   docker build -t ghcr.io/agora-community/agora:0.1.0 .
#   docker run --rm ghcr.io/agora-community/agora:0.1.0 run posts
#
# The base image is pinned to an exact patch release; bump it deliberately (and the tests in
# tests/k8s/ check that it stays pinned).

# ---- build stage: install the package and its pinned dependencies into a virtualenv ----------
FROM python:3.11.13-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/agora
ENV PATH=/opt/agora/bin:$PATH

WORKDIR /src
# The site's front-end packages, from the project's lock file with Debian's npm (build stage
# only: no Node.js in the runtime image). Only the files the gateway serves are copied out of
# node_modules (gateway/web/assets.py), before the package is installed with them as data.
COPY package.json package-lock.json ./
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf /var/lib/apt/lists/*
# Dependencies first (constraints.txt pins every transitive version), so that a code change does
# not invalidate the dependency layer.
COPY pyproject.toml constraints.txt ./
COPY services ./services
COPY gateway ./gateway
RUN python gateway/web/assets.py node_modules \
 && pip install -c constraints.txt . \
 && python -m compileall -q /opt/agora

# ---- runtime stage: the virtualenv only, no compilers, no build context ------------------------
FROM python:3.11.13-slim-bookworm

LABEL org.opencontainers.image.title="agora" \
      org.opencontainers.image.description="Agora community platform: gateway, services and ops commands (agora run <service>)" \
      org.opencontainers.image.source="https://github.com/agora-community/agora" \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed, high, numeric UID/GID (>= 10000, so it clashes with no host user); Kubernetes checks
# runAsNonRoot against the numeric USER below.
RUN groupadd --system --gid 10001 agora \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin agora

COPY --from=build /opt/agora /opt/agora

ENV PATH=/opt/agora/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WEB_SERVER_ADDRESS=0.0.0.0:8080

# The root filesystem is mounted read-only in Kubernetes; the process needs nothing writable but
# /tmp (an emptyDir there).
WORKDIR /tmp
USER 10001:10001
EXPOSE 8080

# nameko handles SIGTERM: it stops its entrypoints (no new messages, no new requests) and waits for
# running workers before exiting. The exec form makes `agora` PID 1 so that it receives the signal.
STOPSIGNAL SIGTERM
# No HEALTHCHECK: each process listens on its own port and Kubernetes ignores Docker health checks;
# the Deployments probe /healthz and /readyz instead.
#checkov:skip=CKV_DOCKER_2:Kubernetes probes (/healthz, /readyz) replace a Docker HEALTHCHECK
ENTRYPOINT ["agora"]
CMD ["--help"]
