# The omnivox server. Build from the repository root:
#   docker build -f docker/omnivox.Dockerfile -t omnivox .
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends espeak-ng libespeak-ng1 sox curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY omnivox ./omnivox
COPY ivr ./ivr
COPY routing ./routing
COPY speech ./speech
COPY customers ./customers
COPY scenarios ./scenarios
RUN pip install --no-cache-dir .
ENV OMNIVOX_SCENARIOS=/app/scenarios \
    OMNIVOX_SOUNDS=/var/lib/omnivox/sounds \
    OMNIVOX_FASTAGI_BIND=0.0.0.0:4573 \
    OMNIVOX_HTTP_BIND=0.0.0.0:8080
EXPOSE 4573 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=6 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
CMD ["sh", "-c", "omnivox migrate && exec omnivox serve"]
