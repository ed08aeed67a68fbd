# Sourced by the scripts that set up a target or a toolchain before testing with it.
#   skip REASON          says why the check cannot run here, and exits with status 2 ("not
#                        run", which .ci/run tells apart from a failure, 1)
#   ensure_target T      installs Rust target T with rustup where missing
#   apt_install PKG...   installs Debian packages (root or sudo, and network)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

skip() {
    echo "$(basename "$0"): not run: $1" >&2
    exit 2
}

ensure_target() {
    rustup target list --installed 2>/dev/null | grep -qx "$1" ||
        timeout 300 rustup target add "$1" >/dev/null 2>&1 ||
        skip "rustup could not install $1"
}

apt_install() {
    { $sudo apt-get update -q && $sudo apt-get install -y -q "$@"; } >/dev/null 2>&1 ||
        skip "apt-get could not install $*"
}
