# Multi-stage image: build the venv (CPU torch, llama-cpp-python compiled once), fetch and verify
# the models at build time, then run as a non-root user. Docker cannot run on the development
# machines of this project: this file is kept simple and consistent with `make run`.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY assistant ./assistant
COPY ingest ./ingest
COPY evals ./evals
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && /opt/venv/bin/pip install '.[llm]'
ENV ASSISTANT_MODEL_DIR=/models
RUN /opt/venv/bin/assistant models fetch

FROM python:3.11-slim-bookworm
RUN useradd --create-home --uid 10001 assistant
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=assistant /models /models
WORKDIR /app
COPY --chown=assistant corpus ./corpus
ENV PATH=/opt/venv/bin:$PATH \
    ASSISTANT_MODEL_DIR=/models \
    ASSISTANT_CORPUS_DIR=/app/corpus \
    ASSISTANT_DATA_DIR=/data \
    ASSISTANT_HOST=0.0.0.0 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False
RUN mkdir /data && chown assistant /data
USER assistant
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
  CMD python -c "import json,sys,urllib.request; h=json.load(urllib.request.urlopen('http://127.0.0.1:8000/api/health')); sys.exit(0 if h.get('ready') and h.get('status') == 'ok' else 1)"
CMD ["sh", "-c", "assistant ingest && assistant serve"]
