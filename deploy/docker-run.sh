#!/bin/sh
# ctx as a one-shot sidecar on a Docker host: `deploy/docker-run.sh ns ls`.
# The flags are those of docs/sidecar.md; IMAGE defaults to ctx:dev
# (`make image`).
exec docker run --rm -i ${CTX_TTY:+-t} --pid=host --net=host \
	--cap-add SYS_ADMIN --cap-add SYS_PTRACE --cap-add SYS_CHROOT --cap-add DAC_READ_SEARCH \
	--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
	-v /:/host:ro "${IMAGE:-ctx:dev}" "$@"
