# InferWire's container image: a release build in the Swift toolchain image, then a slim Debian
# runtime holding the binary and only the shared libraries it links (scripts/check-deploy.sh
# checks that list against `ldd` of the built binary), run as a non-root user.
#
#   docker build -t inferwire:latest .
#   docker run -p 8080:8080 -p 8081:8081 -p 8083:8083 -v $PWD/examples/models:/models:ro inferwire:latest

FROM swift:6.3.1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4-openssl-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY proto ./proto
RUN swift build -c release --static-swift-stdlib --product inferwire \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/inferwire" /out/inferwire

FROM debian:bookworm-slim
# The shared libraries `ldd inferwire` lists beyond glibc, libstdc++ and libgcc (in the base
# image): libcurl (upstream HTTP) and libsqlite3 (the embedded memory store); CA certificates for
# the providers' TLS. Keep in step with scripts/check-deploy.sh.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl libcurl4 libsqlite3-0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/inferwire --create-home inferwire
COPY --from=build /out/inferwire /usr/local/bin/inferwire
COPY examples/models /models
USER 10001:10001
WORKDIR /var/lib/inferwire
ENV MLSERVER_MODEL_REPOSITORY_ROOT=/models
EXPOSE 8080 8081 8082 8083
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/v2/health/ready || exit 1
ENTRYPOINT ["/usr/local/bin/inferwire"]
CMD ["serve", "--repository", "/models"]
