#!/usr/bin/env bash
# Runs chainrule's side-by-side benchmark harness on a fresh machine:
# installs Debian's python3-torch for the PyTorch peer if it is missing,
# then runs `go run ./bench` with the arguments given, e.g.
#
#   bench/run.sh              # the full default run
#   bench/run.sh -quick       # a smoke test at tiny sizes
#   bench/run.sh -workloads W7
#
# The Gorgonia and GoMLX peers need nothing installed: the harness builds
# them from their own modules (bench/peers/*), fetching from the Go module
# proxy, and reports them as skipped if that fails. A PyTorch peer that
# cannot be installed is reported as skipped too.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
	if command -v apt-get >/dev/null 2>&1; then
		sudo=""
		if [ "$(id -u)" -ne 0 ]; then
			sudo="sudo"
		fi
		echo "run.sh: installing python3-torch for the PyTorch peer" >&2
		($sudo apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-torch >/dev/null) ||
			echo "run.sh: python3-torch could not be installed; the PyTorch peer will be skipped" >&2
	else
		echo "run.sh: no apt-get; the PyTorch peer will be skipped" >&2
	fi
fi

exec go run ./bench "$@"
