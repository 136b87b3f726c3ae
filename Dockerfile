# Build stage: compiles the service; nothing is downloaded at run time.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin kommunrapport

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app kommunrapport
WORKDIR /app
COPY --from=build /src/target/release/kommunrapport /usr/local/bin/kommunrapport
COPY demo /app/demo
USER kommunrapport
ENV BIND_ADDRESS=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["kommunrapport"]
CMD ["serve"]
