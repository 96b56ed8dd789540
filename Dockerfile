# The OpenMarac image: the built wheel on Python 3.11, served by gunicorn. compose.yaml
# runs it as the app and as the worker. docs/deployment.md covers a plain Debian
# machine without containers.

FROM node:22-bookworm-slim AS front-end
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY assets assets
RUN npm run build

FROM python:3.11-slim-bookworm
# WeasyPrint (case list PDFs) needs Pango; pg_dump for `openmarac backup`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements.txt pyproject.toml setup.py README.md ./
COPY src src
COPY --from=front-end /src/node_modules/govuk-frontend/dist/govuk node_modules/govuk-frontend/dist/govuk
COPY --from=front-end /src/node_modules/htmx.org/dist node_modules/htmx.org/dist
COPY --from=front-end /src/build/static build/static
# The runtime dependencies only, at the versions requirements.txt pins.
RUN pip install --no-cache-dir --constraint requirements.txt . && rm -rf /src
RUN useradd --system --home-dir /var/lib/openmarac --create-home openmarac
WORKDIR /var/lib/openmarac
ENV DJANGO_SETTINGS_MODULE=openmarac.config.settings.production \
    OPENMARAC_VAR_DIR=/var/lib/openmarac \
    OPENMARAC_BIND=0.0.0.0:8000 \
    PYTHONUNBUFFERED=1
# Static files are collected into the image; WhiteNoise serves them.
ENV OPENMARAC_STATIC_ROOT=/opt/openmarac/staticfiles
RUN DJANGO_SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-build-only \
    openmarac collectstatic --noinput \
 && chown -R openmarac /var/lib/openmarac
USER openmarac
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["gunicorn", "-c", "python:openmarac.config.gunicorn", "openmarac.config.wsgi"]
