# The omnivox server (FastAGI + HTTP + AMI client). Build from the repository root:
#   docker build -f docker/omnivox.Dockerfile -t omnivox .
FROM python:3.11-slim-bookworm

# Must match the asterisk image's: Omnivox writes the prompts Asterisk reads (shared volume).
ARG OMNIVOX_UID=10001

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# espeak-ng (through pyttsx3) speaks the prompts; sox converts them to 8/16 kHz;
# graphviz draws the scenario flow diagrams on the admin pages.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libespeak-ng1 sox graphviz \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid "${OMNIVOX_UID}" omnivox \
 && useradd --uid "${OMNIVOX_UID}" --gid omnivox --home-dir /var/lib/omnivox \
      --shell /usr/sbin/nologin omnivox \
 && install -d -o omnivox -g omnivox /var/lib/omnivox /var/lib/omnivox/sounds \
      /var/lib/omnivox/recordings

# The dependencies first, from pyproject.toml alone: a code change does not reinstall them.
COPY pyproject.toml /tmp/src/pyproject.toml
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('/tmp/src/pyproject.toml', 'rb'))['project']['dependencies']))" \
      >/tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The project itself (every package of [tool.setuptools.packages.find]).
COPY README.md /tmp/src/README.md
COPY omnivox /tmp/src/omnivox
COPY ivr /tmp/src/ivr
COPY routing /tmp/src/routing
COPY speech /tmp/src/speech
COPY customers /tmp/src/customers
RUN pip install --no-deps /tmp/src && rm -rf /tmp/src

COPY scenarios /app/scenarios
COPY docker/omnivox-healthcheck.py /usr/local/bin/omnivox-healthcheck
RUN chmod 755 /usr/local/bin/omnivox-healthcheck

ENV OMNIVOX_DATABASE_URL=sqlite+aiosqlite:////var/lib/omnivox/omnivox.db \
    OMNIVOX_SCENARIOS=/app/scenarios \
    OMNIVOX_SOUNDS=/var/lib/omnivox/sounds \
    OMNIVOX_FASTAGI_BIND=0.0.0.0:4573 \
    OMNIVOX_HTTP_BIND=0.0.0.0:8080

USER omnivox
WORKDIR /var/lib/omnivox
# FastAGI (Asterisk's AGI() connects here) and HTTP (/healthz, the agent desktop).
EXPOSE 4573 8080 9092
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["python", "/usr/local/bin/omnivox-healthcheck"]
CMD ["sh", "-c", "omnivox migrate && exec omnivox serve"]
