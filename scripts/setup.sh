#!/bin/sh
# README command 1: build kpm from this checkout, install it as a `kpm` command (install.sh
# --source-only; ~/.local/bin unless KPM_INSTALL_DIR says otherwise), then run the installed
# binary's quickstart. Arguments go to quickstart (e.g. --addr 127.0.0.1:9443, --dir <devdir>).
set -eu
checkout=$(cd "$(dirname "$0")/.." && pwd)
install_dir=${KPM_INSTALL_DIR:-${HOME:?HOME is unset; set KPM_INSTALL_DIR}/.local/bin}
sh "$checkout/install.sh" --source-only --dir "$install_dir"
exec "$install_dir/kpm" quickstart "$@"
