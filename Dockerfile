# imagine-bot: one process serving Discord and/or Slack.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY migrations ./migrations
RUN pip install --no-cache-dir --prefix=/install ".[postgres]"

FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1 \
    IMAGINE_DATABASE_URL=sqlite:////data/imagine.db \
    IMAGINE_HTTP_HOST=0.0.0.0 \
    IMAGINE_HTTP_PORT=8080
COPY --from=build /install /usr/local
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin imagine \
    && mkdir -p /data && chown imagine /data
USER imagine
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]
STOPSIGNAL SIGTERM
CMD ["imagine-bot", "run"]
