# The ctx debug sidecar image, for users with network access. Air-gapped
# users and tests build the same image from a local binary: `make image`.
#
#   docker build -t ctx .
#   docker run --rm -it --pid=host --net=host --cap-add SYS_ADMIN \
#     --cap-add SYS_PTRACE -v /:/host:ro ctx ns ls
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make release-native && scripts/image-rootfs.sh bin/ctx /out

# scratch plus a static busybox: the binary and --keep-tools need nothing else.
FROM scratch
COPY --from=build /out/ /
ENV CTX_AUTO_HOST_ROOT=/host PATH=/usr/local/bin:/bin
ENTRYPOINT ["/usr/local/bin/ctx"]
CMD ["--help"]
