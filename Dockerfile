# trustcenter in a container: wheels built in a first stage, a slim non-root image to run them.
# docs/operations.md, "Containers". Build: docker build -t trustcenter .
FROM python:3.11-slim AS wheels
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY plugins ./plugins
RUN pip wheel --no-cache-dir --wheel-dir /wheels . \
        ./plugins/trustcenter-eu ./plugins/trustcenter-us ./plugins/trustcenter-preservation \
        ./plugins/trustcenter-smtp ./plugins/trustcenter-vendor-attestation

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /srv/trustcenter trustcenter
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels \
        trustcenter trustcenter-eu trustcenter-us trustcenter-preservation trustcenter-smtp \
        trustcenter-vendor-attestation \
    && rm -rf /wheels
USER trustcenter
WORKDIR /srv/trustcenter
ENV TRUSTCENTER_ENV=production \
    PYTHONUNBUFFERED=1
EXPOSE 8000 9100
HEALTHCHECK --interval=30s --timeout=5s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["trustcenter", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
