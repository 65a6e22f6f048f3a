# Enabler: slim, non-root, health-checked. `docker compose up` runs it with PostgreSQL.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY migrations ./migrations
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PORT=3000 ENABLER_DATA_DIR=/data
RUN useradd --create-home --uid 10001 enabler && mkdir /data && chown enabler /data
COPY --from=build /install /usr/local
COPY manifest.yaml /app/manifest.yaml
WORKDIR /app
USER enabler
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request,sys; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3000\")}/healthz', timeout=4).status == 200 else 1)"
CMD ["enabler", "serve"]
