# syntax=docker/dockerfile:1
# tidings: multi-stage build. Dependencies are compiled in their own layer (from a manifest-only
# skeleton), so a source change does not rebuild Tantivy.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# The image's binary carries no symbols or line tables (the checkout's release profile keeps line
# tables for profiling): set for the dependency layer and the final build alike.
ENV CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_STRIP=symbols
# Dependencies first: a skeleton crate with the real manifest and lock file.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src tests/it \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs tests/it/main.rs \
    && cargo build --release --locked \
    && rm -rf src
# Then the real sources (migrations, gazetteers, the tagger's weights and the web assets are
# embedded at compile time).
COPY src ./src
COPY migrations ./migrations
COPY models ./models
COPY web ./web
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin tidings

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates=20230311* curl=7.88.* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tidings \
    && mkdir -p /data \
    && chown tidings:tidings /data
COPY --from=build /src/target/release/tidings /usr/local/bin/tidings
COPY sample /opt/tidings/sample
USER 10001:10001
ENV TIDINGS_DATA_DIR=/data \
    TIDINGS_ADDR=0.0.0.0:7878
VOLUME ["/data"]
EXPOSE 7878
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "http://127.0.0.1:7878/healthz"]
ENTRYPOINT ["tidings"]
CMD ["serve", "--addr", "0.0.0.0:7878"]
