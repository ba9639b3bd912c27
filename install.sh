#!/bin/sh
# kpm installer (spec §16.2): downloads the release binary for this machine, verifies its
# SHA-256 against the release's SHA256SUMS and installs it without sudo.
#
#   curl -sL kpm.catalyst9.ai/install | sh
#   curl -sL kpm.catalyst9.ai/install | sh -s -- --dir /opt/bin --version 0.3.0
#
# Options: --dir <d> (default ~/.local/bin), --version <v> (default: latest release),
# --source-only (build from this checkout with Bun), --print-asset (print the asset name
# this machine would download, then exit), --help.
# Environment: KPM_INSTALL_BASE_URL overrides the release base URL (mirrors, tests).
set -eu

# Placeholder until the project's GitHub owner is final; the URL layout is GitHub's.
KPM_GITHUB_REPO="catalyst9/kpm"

say() { printf '%s\n' "$*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

usage() {
  cat >&2 <<'EOF'
Usage: install.sh [--dir <dir>] [--version <version>] [--source-only] [--print-asset]

  --dir <dir>          install directory (default: ~/.local/bin)
  --version <version>  release to install, e.g. 0.3.0 (default: latest)
  --source-only        build from this kpm checkout with Bun instead of downloading
  --print-asset        print the release asset name for this machine and exit

Environment: KPM_INSTALL_BASE_URL overrides the release download base URL.
EOF
}

# --- platform detection ------------------------------------------------------------------

is_musl() {
  # ldd of musl prints its banner on stderr and exits 1; the loader path is the fallback.
  if command -v ldd >/dev/null 2>&1 && ldd --version 2>&1 | grep -q musl; then
    return 0
  fi
  for loader in /lib/ld-musl-*; do
    [ -e "$loader" ] && return 0
  done
  return 1
}

has_avx2() {
  # Without /proc/cpuinfo we cannot tell; the regular build is the better guess then.
  [ -r /proc/cpuinfo ] || return 0
  grep -q avx2 /proc/cpuinfo
}

is_rosetta() {
  # An x64 shell under Rosetta 2 on Apple silicon should still get the native arm64 binary.
  [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = "1" ]
}

detect_asset() {
  kernel=$(uname -s)
  machine=$(uname -m)
  case "$kernel" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) fail "unsupported operating system: $kernel (kpm ships binaries for Linux and macOS; on Windows download kpm-windows-x64.exe from the release page)" ;;
  esac
  case "$machine" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "unsupported architecture: $machine (kpm ships binaries for x64 and arm64)" ;;
  esac
  if [ "$os" = darwin ] && [ "$arch" = x64 ] && is_rosetta; then
    arch=arm64
  fi
  suffix=""
  if [ "$os" = linux ]; then
    if is_musl; then
      # There is no musl build without AVX2: refuse rather than install a binary that dies
      # with SIGILL on first use.
      if [ "$arch" = x64 ] && ! has_avx2; then
        fail "no prebuilt kpm for musl on an x64 CPU without AVX2; build it from source with --source-only"
      fi
      suffix="-musl"
    elif [ "$arch" = x64 ] && ! has_avx2; then
      suffix="-baseline"
    fi
  fi
  printf 'kpm-%s-%s%s\n' "$os" "$arch" "$suffix"
}

# --- download and verification -----------------------------------------------------------

release_base_url() {
  if [ -n "${KPM_INSTALL_BASE_URL:-}" ]; then
    printf '%s\n' "${KPM_INSTALL_BASE_URL%/}"
  elif [ -n "$version" ]; then
    printf 'https://github.com/%s/releases/download/v%s\n' "$KPM_GITHUB_REPO" "${version#v}"
  else
    printf 'https://github.com/%s/releases/latest/download\n' "$KPM_GITHUB_REPO"
  fi
}

download() {
  url=$1
  out=$2
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 -o "$out" "$url" || fail "download failed: $url (check the network, the version, or KPM_INSTALL_BASE_URL)"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$out" "$url" || fail "download failed: $url (check the network, the version, or KPM_INSTALL_BASE_URL)"
  else
    fail "neither curl nor wget is installed; install one of them and re-run"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    fail "neither sha256sum nor shasum is installed; cannot verify the download"
  fi
}

expected_sha256() {
  # SHA256SUMS lines are "<hex>  <name>" (or "<hex> *<name>" in binary mode).
  awk -v name="$1" '$2 == name || $2 == "*" name { print tolower($1); exit }' "$2"
}

verify() {
  asset_file=$1
  sums_file=$2
  expected=$(expected_sha256 "$asset" "$sums_file")
  [ -n "$expected" ] || fail "SHA256SUMS has no entry for $asset; refusing to install"
  actual=$(sha256_of "$asset_file")
  [ "$expected" = "$actual" ] || fail "checksum mismatch for $asset (expected $expected, got $actual); refusing to install"
}

# --- source build ------------------------------------------------------------------------

checkout_dir() {
  # The checkout that holds this script, else the current directory.
  script_dir=$(cd "$(dirname "$0")" 2>/dev/null && pwd) || script_dir=""
  for candidate in "$script_dir" "$(pwd)"; do
    if [ -n "$candidate" ] && [ -f "$candidate/apps/kpm/package.json" ] && [ -f "$candidate/scripts/build.ts" ]; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  fail "--source-only must run from a kpm checkout (git clone https://github.com/$KPM_GITHUB_REPO && sh kpm/install.sh --source-only)"
}

build_from_source() {
  command -v bun >/dev/null 2>&1 || fail "--source-only needs Bun on PATH (https://bun.sh)"
  source_dir=$(checkout_dir)
  say "Building kpm from $source_dir"
  (cd "$source_dir" && bun install --frozen-lockfile >&2 && bun run build >&2) || fail "build from source failed in $source_dir"
  cp "$source_dir/dist/kpm" "$work/kpm"
}

# --- installation ------------------------------------------------------------------------

unwritable() {
  fail "cannot write to $install_dir; choose a directory you own with --dir <dir>, or re-run this installer explicitly with sudo (e.g. sudo sh install.sh --dir /usr/local/bin)"
}

install_binary() {
  binary=$1
  mkdir -p "$install_dir" 2>/dev/null || unwritable
  # A temp file in the target directory makes the final mv an atomic rename.
  staged=$(mktemp "$install_dir/.kpm.XXXXXX" 2>/dev/null) || unwritable
  staged_path=$staged
  if ! cp "$binary" "$staged" 2>/dev/null || ! chmod 0755 "$staged"; then
    rm -f "$staged"
    unwritable
  fi
  if ! installed_version=$("$staged" --version 2>/dev/null); then
    rm -f "$staged"
    fail "the downloaded kpm does not run on this machine ($asset); nothing was installed"
  fi
  mv -f "$staged" "$install_dir/kpm" || {
    rm -f "$staged"
    unwritable
  }
  staged_path=""
  say "✓ Installed $installed_version to $install_dir/kpm"
  case ":${PATH:-}:" in
    *":$install_dir:"*) ;;
    *) say "$install_dir is not on your PATH; add it with: export PATH=\"$install_dir:\$PATH\"" ;;
  esac
}

cleanup() {
  [ -n "${staged_path:-}" ] && rm -f "$staged_path"
  [ -n "${work:-}" ] && rm -rf "$work"
  return 0
}

main() {
  install_dir="${HOME:-}/.local/bin"
  version=""
  source_only=0
  print_asset=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir)
        [ $# -ge 2 ] || fail "--dir needs a directory"
        install_dir=$2
        shift 2
        ;;
      --dir=*)
        install_dir=${1#--dir=}
        shift
        ;;
      --version)
        [ $# -ge 2 ] || fail "--version needs a version"
        version=$2
        shift 2
        ;;
      --version=*)
        version=${1#--version=}
        shift
        ;;
      --source-only)
        source_only=1
        shift
        ;;
      --print-asset)
        print_asset=1
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *)
        usage
        fail "unknown option: $1"
        ;;
    esac
  done
  [ -n "$install_dir" ] || fail "no install directory: HOME is unset; pass --dir <dir>"

  asset=$(detect_asset)
  if [ "$print_asset" = 1 ]; then
    printf '%s\n' "$asset"
    exit 0
  fi

  staged_path=""
  work=$(mktemp -d "${TMPDIR:-/tmp}/kpm-install.XXXXXX") || fail "cannot create a temporary directory"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  if [ "$source_only" = 1 ]; then
    asset="kpm (built from source)"
    build_from_source
  else
    base=$(release_base_url)
    say "Downloading $asset from $base"
    download "$base/SHA256SUMS" "$work/SHA256SUMS"
    # Check for the entry before fetching ~100 MB that could never be verified.
    [ -n "$(expected_sha256 "$asset" "$work/SHA256SUMS")" ] || fail "SHA256SUMS has no entry for $asset; refusing to install"
    download "$base/$asset" "$work/kpm"
    verify "$work/kpm" "$work/SHA256SUMS"
    say "✓ Verified SHA-256 of $asset"
  fi
  install_binary "$work/kpm"
}

main "$@"
