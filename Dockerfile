# Lede: a slim, non-root image. Migrations run on start (LEDE_MIGRATE_ON_START=false to skip);
# on PostgreSQL they take a lock, so replicas starting together take turns.
# Stop with a grace period above the 30 s drain: `docker stop -t 40`.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/lede

# Dependencies first, so a source change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip install . \
    && pip uninstall -y lede && rm -rf app

COPY app ./app
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install --no-deps . && python -m compileall -q app migrations

RUN useradd --system --uid 10001 --home-dir /srv/lede lede \
    && mkdir -p /srv/lede/var && chown lede /srv/lede/var
USER lede

ENV LEDE_DATA_DIR=/srv/lede/var \
    LEDE_MIGRATE_ON_START=true
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

CMD ["sh", "-c", "if [ \"$LEDE_MIGRATE_ON_START\" = true ]; then lede migrate; fi && exec lede serve --host 0.0.0.0 --port 8000 --workers ${LEDE_WORKERS:-2}"]
