# syntax=docker/dockerfile:1
# partnerctl in a container: a static (musl) binary on a distroless base, nothing else.
#
#   docker run --rm -v "$PWD:/work" ghcr.io/partnerctl/partnerctl validate
#
# Build:   docker build --build-arg PARTNERCTL_BUILD_COMMIT="$(git rev-parse HEAD)" -t partnerctl .

FROM rust:1-alpine AS build
# musl-dev for the C parts (vendored libgit2, mimalloc), perl and make for their builds.
RUN apk add --no-cache musl-dev perl make zlib-dev zlib-static pkgconf
WORKDIR /src
COPY . .
ARG PARTNERCTL_BUILD_COMMIT=""
ENV PARTNERCTL_BUILD_COMMIT=${PARTNERCTL_BUILD_COMMIT} \
    CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_STRIP=true
RUN cargo build --release --locked --bin partnerctl \
 && cp target/release/partnerctl /partnerctl \
 && /partnerctl --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /partnerctl /usr/local/bin/partnerctl
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/partnerctl"]
CMD ["--help"]
