# Parley server image: a static parleyd on a distroless base, running as non-root.
# Build:  docker build -t parley .
# Run:    docker run -p 8080:8080 -e PARLEY_SECRET_KEY=... parley

FROM golang:1.26-bookworm AS build
# Build with go.mod's toolchain line (the image defaults to its own Go).
ENV GOTOOLCHAIN=auto
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# FerretDB and other test-only modules are never linked into parleyd.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/parleyd ./cmd/parleyd \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/parley ./cmd/parley \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/parleyd /out/parley /usr/local/bin/
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV PARLEY_HTTP_ADDR=0.0.0.0:8080 \
    PARLEY_DATA_DIR=/data
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["/usr/local/bin/parley", "health", "--server", "http://127.0.0.1:8080"]
ENTRYPOINT ["/usr/local/bin/parleyd"]
