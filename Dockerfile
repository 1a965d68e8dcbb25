# The image every enricher service runs (worker, beat, webhooks, sandbox); see docker-compose.yml.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY tasks ./tasks
RUN pip install . && useradd --system --uid 10001 --home /data enricher \
    && mkdir -p /data && chown enricher /data
USER enricher
WORKDIR /data
