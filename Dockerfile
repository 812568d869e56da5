# groupbot in one container: `groupbot serve` (web app and worker), its data in the /data volume.
# The same image runs `groupbot web` and `groupbot worker` on PostgreSQL (compose.postgres.yaml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data

# libpq: psycopg's pure-Python build loads the system's; its binary wheel brings its own.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid, so a backups folder on the host can be given to it (see docs/deployment.md).
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin groupbot \
    && install -d -o groupbot -g groupbot -m 0700 /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY webhooks ./webhooks
# One image for either engine: DATABASE_URL chooses SQLite or PostgreSQL at start.
RUN pip install '.[postgresql]'

USER groupbot
# The database holds members' messages: it lives in a volume, readable by groupbot only.
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Exec form: SIGTERM from `docker stop` reaches serve, which stops its worker after the pass under way.
CMD ["groupbot", "serve", "--host", "0.0.0.0", "--port", "8000"]
