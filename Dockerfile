# Klaszterbot: a slim, non-root image. `docker compose up` (compose.yaml) runs PostgreSQL, the
# migrations, two replicas in webhook mode and Caddy in front of them.

# --- build: install into a virtualenv, compile the catalogs --------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY fakeapi ./fakeapi
RUN python -m venv /opt/klaszterbot \
 && /opt/klaszterbot/bin/pip install . \
 && /opt/klaszterbot/bin/python -c "from bot.i18n import compile_catalogs; print(*compile_catalogs(), sep='\n')"

# --- run: the virtualenv only, as an unprivileged user -------------------------------------
FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /app --create-home klaszterbot
COPY --from=build /opt/klaszterbot /opt/klaszterbot
ENV PATH=/opt/klaszterbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WEBHOOK_LISTEN=0.0.0.0:8080 \
    LOG_FORMAT=json \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /app
USER klaszterbot
EXPOSE 8080
# Liveness on the webhook server (webhook mode) or HTTP_LISTEN (polling mode).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["python", "-c", "import os, urllib.request; a = os.environ.get('HTTP_LISTEN') if not os.environ.get('WEBHOOK_URL') else os.environ['WEBHOOK_LISTEN']; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % a.rpartition(':')[2], timeout=4)"]
ENTRYPOINT ["klaszterbot"]
CMD ["run"]
