#!/bin/sh
# Debian packages the tests drive besides Python: tmux, for the test of the real binary in a real
# terminal. Installs what is missing (as root; apt-get update only when a plain install fails).
set -eu

missing=""
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-tools: needs$missing (run: sudo apt-get install -y$missing)" >&2
    exit 1
fi
echo "install-test-tools: installing$missing" >&2
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y $missing >&2; then
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y $missing >&2
fi
