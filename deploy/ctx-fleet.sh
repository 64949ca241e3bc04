#!/bin/sh
# ctx-fleet.sh CTX-ARGS...: runs one ctx command on every node through the
# DaemonSet of deploy/kubernetes/daemonset.yaml and prints one JSON document
# per line, each tagged with its node:
#
#   deploy/ctx-fleet.sh inspect --check --all | jq -s 'map(select(.items[].findings != []))'
#
# -o json is added for you. Nodes are asked PARALLEL at a time (default 8).
set -eu
ns=${CTX_NAMESPACE:-ctx-system}
parallel=${PARALLEL:-8}
kubectl -n "$ns" get pods -l app.kubernetes.io/name=ctx \
	-o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName}{"\n"}{end}' |
	xargs -P "$parallel" -L 1 sh -c '
		pod=$1 node=$2; shift 2
		out=$(kubectl -n "'"$ns"'" exec "$pod" -- ctx "$@" -o json 2>/dev/null) || true
		printf "{\"node\":\"%s\",\"result\":%s}\n" "$node" "${out:-null}" | tr -d "\n"; echo
	' sh "$@"
