# syntax=docker/dockerfile:1.7
# One image for every windsurf service: WINDSURF_SERVICES picks the routers, the command picks the process
# (serve | worker | migrate). Runs as uid 1000 on a read-only root filesystem; only /tmp is writable.

FROM python:3.11-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /src
# Dependencies first: this layer is reused until the lock file changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-default-groups --no-install-project --no-editable
COPY platform ./platform
COPY storefront ./storefront
RUN uv sync --frozen --no-default-groups --no-editable

FROM python:3.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="stan-store-windsurf" \
      org.opencontainers.image.description="Stan Store Windsurf platform services"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WINDSURF_ENV=production \
    WINDSURF_HOST=0.0.0.0 \
    WINDSURF_PORT=8000
RUN groupadd --gid 1000 windsurf \
    && useradd --uid 1000 --gid 1000 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin windsurf
COPY --from=builder --chown=root:root /opt/venv /opt/venv
# RDS's certificate authorities for the region: the database URLs say sslmode=verify-full with this root.
ADD --chmod=644 https://truststore.pki.rds.amazonaws.com/af-south-1/af-south-1-bundle.pem \
    /etc/ssl/certs/rds-af-south-1-bundle.pem
WORKDIR /tmp
USER 1000:1000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2).status == 200 else 1)"]
CMD ["windsurf", "serve"]
