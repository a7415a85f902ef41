# syntax=docker/dockerfile:1
# Two images from one file:
#   docker build --target node    -t audionode .           (the audio node: cgo + system libopus 1.3)
#   docker build --target manager -t audionode-manager .   (the operator: static, distroless)
# config/dockerfile_test.go checks the stages, base images and users.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build-base
WORKDIR /src
ENV GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .

FROM build-base AS build-node
RUN apt-get update && apt-get install -y --no-install-recommends libopus-dev pkg-config && rm -rf /var/lib/apt/lists/*
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/audionode ./cmd/audionode

FROM build-base AS build-manager
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/manager ./cmd/manager

# The node: Debian slim with the libopus runtime, non-root, made for a
# read-only root filesystem (the operator mounts /config and /tmp).
FROM debian:bookworm-slim AS node
RUN apt-get update && apt-get install -y --no-install-recommends libopus0 ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 65532 --user-group --no-create-home --shell /usr/sbin/nologin audionode \
 && mkdir -p /config && chown 65532:65532 /config
COPY --from=build-node /out/audionode /usr/local/bin/audionode
USER 65532:65532
WORKDIR /config
EXPOSE 2333
ENTRYPOINT ["/usr/local/bin/audionode"]

# The operator: static binary on distroless, non-root.
FROM gcr.io/distroless/static-debian12:nonroot AS manager
COPY --from=build-manager /out/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
