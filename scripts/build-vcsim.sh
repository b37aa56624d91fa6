#!/bin/sh
# Build govmomi's vCenter simulator (our tests/vcsim main) into .build/vcsim, offline, in GOPATH mode
# against Debian's golang-github-vmware-govmomi-dev. Skips the build when the inputs are unchanged.
# Usage: scripts/build-vcsim.sh   (prints the binary's path)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/.build"
bin="$out/vcsim"
gocode=/usr/share/gocode
govmomi="$gocode/src/github.com/vmware/govmomi"

need_packages() {
    ! command -v go >/dev/null 2>&1 || [ ! -d "$govmomi/simulator" ]
}

if need_packages; then
    packages="golang-go golang-github-vmware-govmomi-dev"
    if [ "$(id -u)" -ne 0 ]; then
        echo "build-vcsim: needs $packages (run: sudo apt-get install -y $packages)" >&2
        exit 1
    fi
    echo "build-vcsim: installing $packages" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y $packages >&2; then
        apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y $packages >&2
    fi
fi

mkdir -p "$out"
stamp="$out/vcsim.inputs"
inputs=$( {
    cat "$root/tests/vcsim/main.go" "$0"
    go version
    dpkg-query -W -f='${Version}' golang-github-vmware-govmomi-dev 2>/dev/null || true
} | sha256sum | cut -d' ' -f1)

if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
    echo "$bin"
    exit 0
fi

echo "build-vcsim: building $bin" >&2
mkdir -p "$out/gopath" "$out/go-cache"
(
    cd "$root/tests/vcsim"
    GO111MODULE=off GOPATH="$out/gopath:$gocode" GOCACHE="$out/go-cache" GOFLAGS= \
        go build -o "$bin.tmp" .
)
mv "$bin.tmp" "$bin"
echo "$inputs" > "$stamp"
echo "$bin"
