# TradeWatch in a container: slim Python, installed as a package, run as an unprivileged user.
#   docker build -t tradewatch .
#   docker run --env-file .env -v tradewatch-data:/app/data tradewatch
# The health check needs TW_HTTP_ADDR (set below; the endpoint answers 200 while the bot runs
# and its store answers). See compose.yaml for the bot with PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/app/data TW_HTTP_ADDR=0.0.0.0:9100
WORKDIR /app

COPY pyproject.toml README.md ./
COPY tradewatch ./tradewatch
COPY handlers ./handlers
COPY storage ./storage
COPY bot.py sources.toml ./
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tradewatch \
    && mkdir -p /app/data && chown tradewatch /app/data

USER tradewatch
VOLUME ["/app/data"]
EXPOSE 8443 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, sys, urllib.request; a = os.environ['TW_HTTP_ADDR'].replace('0.0.0.0', '127.0.0.1'); sys.exit(urllib.request.urlopen(f'http://{a}/healthz', timeout=4).status != 200)"
CMD ["python", "bot.py", "run"]
