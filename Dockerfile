# The pipeline image (runbook: `docker build -t osaa-mvp .`). One image for the batch commands
# (`docker compose run --rm pipeline <command>`) and the notebook editor (`--profile ui`).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    OSAA_PROJECT_DIR=/app \
    OSAA_LOG_DIR=/var/log/osaa-pipeline

RUN groupadd --system --gid 1000 osaa \
    && useradd --system --uid 1000 --gid osaa --create-home --home-dir /home/osaa \
       --shell /usr/sbin/nologin osaa

WORKDIR /app

# The pinned dependencies in a layer of their own: editing code does not reinstall them.
COPY pyproject.toml constraints.txt README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY osaa_lib ./osaa_lib
RUN pip install --no-cache-dir -c constraints.txt .

# The project's runtime files (SQLMesh project, notebooks, configuration, the small sample in
# data/raw); .dockerignore keeps out .env, the lake, caches, tests and the virtualenv.
COPY --chown=osaa:osaa . .
COPY --chmod=755 docker/entrypoint.sh /usr/local/bin/osaa-entrypoint

RUN mkdir -p /var/log/osaa-pipeline /app/data/lake /app/data/state /app/reports \
    && chown -R osaa:osaa /var/log/osaa-pipeline /app/data /app/reports

USER 1000:1000

# Settings parse and the lake answers a write/read/delete round trip.
HEALTHCHECK --interval=5m --timeout=60s --start-period=30s --retries=3 \
    CMD ["osaa", "config-test"]

EXPOSE 2718
ENTRYPOINT ["osaa-entrypoint"]
CMD ["help"]
