# The pipeline image: one image for the batch commands (`docker compose run --rm pipeline <command>`)
# and the notebook editor (`docker compose --profile ui up ui`). Built with BuildKit (the default
# builder of current Docker; with Debian's docker.io set DOCKER_BUILDKIT=1):
#   docker build -t osaa-mvp .
#   docker build --build-arg BASE_IMAGE=osaa-base:bookworm -t osaa-mvp .   (docker/make-base-image.sh)
#   docker build --secret id=pip_cert,src=/etc/ssl/certs/ca-certificates.crt -t osaa-mvp .
# The secret is the CA bundle pip trusts while building (a TLS-inspecting proxy); it is never
# written into a layer. See docs/operations.md, "Docker".

# Any image with Python >= 3.11 as `python3` and its venv module (Debian's python3-venv).
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/venv
WORKDIR /src

# The pinned dependencies, apart from the project's code: editing code rebuilds neither them nor
# their (large) layer in the runtime image. Wheels only: the runtime image has no compiler and
# needs none. pip's cache is a BuildKit cache mount: a rebuild after a pin change downloads only
# what changed, and no cache reaches a layer.
COPY pyproject.toml constraints.txt ./
RUN --mount=type=secret,id=pip_cert --mount=type=cache,target=/root/.cache/pip \
    if [ -s /run/secrets/pip_cert ]; then export PIP_CERT=/run/secrets/pip_cert; fi \
    && /opt/venv/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/venv/bin/pip install --only-binary=:all: -c constraints.txt -r requirements.txt

# What runs: the dependencies without pip, setuptools or the packages' own test suites.
FROM deps AS runtime-venv
RUN /opt/venv/bin/pip uninstall --yes pip setuptools \
    && find /opt/venv/lib -type d -name tests -path '*/site-packages/*' -prune -exec rm -rf {} +

# The project itself, installed into the same venv; only its own files go on.
FROM deps AS project
COPY README.md ./
COPY osaa_lib ./osaa_lib
WORKDIR /
RUN --mount=type=secret,id=pip_cert \
    if [ -s /run/secrets/pip_cert ]; then export PIP_CERT=/run/secrets/pip_cert; fi \
    && /opt/venv/bin/pip install --no-cache-dir --no-deps -c /src/constraints.txt /src \
    && mkdir /out \
    && cp -a --parents opt/venv/bin/osaa opt/venv/lib/python3*/site-packages/osaa_lib \
       opt/venv/lib/python3*/site-packages/osaa_workbench-*.dist-info /out/

FROM ${BASE_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OSAA_PROJECT_DIR=/app \
    OSAA_LOG_DIR=/var/log/osaa-pipeline \
    HOME=/home/osaa

# The default user; compose runs the container as the host user instead (OSAA_UID/OSAA_GID), so
# what the pipeline writes to the mounted data/ and reports/ belongs to whoever ran it. The log
# folder and the home are writable by any such user.
RUN groupadd --system --gid 1000 osaa \
    && useradd --system --uid 1000 --gid osaa --home-dir /home/osaa --shell /usr/sbin/nologin osaa \
    && mkdir -p /home/osaa /var/log/osaa-pipeline /app/data /app/reports \
    && chown osaa:osaa /home/osaa /var/log/osaa-pipeline /app/data /app/reports \
    && chmod 1777 /home/osaa /var/log/osaa-pipeline

COPY --from=runtime-venv /opt/venv /opt/venv
COPY --from=project /out/ /
# The project's runtime files, read-only for the pipeline: the SQLMesh project, the notebooks, the
# quality thresholds and the small sample in data/raw (the library itself is in /opt/venv).
COPY sqlMesh /app/sqlMesh
COPY notebooks /app/notebooks
COPY data/raw /app/data/raw
COPY quality.toml /app/
COPY docker/entrypoint.sh /usr/local/bin/osaa-entrypoint
COPY docker/healthcheck.py /usr/local/bin/osaa-healthcheck

WORKDIR /app
USER 1000:1000

# Settings valid and the lake answering a write/read/delete round trip, without adding to the
# run history or sending alerts (the ui service checks marimo's /health instead).
HEALTHCHECK --interval=5m --timeout=60s --start-period=60s --retries=3 \
    CMD ["osaa-healthcheck"]

EXPOSE 2718
ENTRYPOINT ["osaa-entrypoint"]
CMD ["help"]
