#!/usr/bin/env bash
# Installs a released partnerctl binary: downloads the archive for this runner, verifies it
# against the release's SHA-256 checksum file, unpacks it and puts partnerctl on the PATH.
# Used by action.yml; runs anywhere with bash, curl, tar and sha256sum (or shasum).
#
# Environment:
#   PARTNERCTL_VERSION       the release tag: v1.2.3 (required), or a major tag such as v0,
#                            resolved to that major's newest release through the GitHub API
#   PARTNERCTL_REPOSITORY    owner/name whose releases to use (for a major tag and the URL)
#   PARTNERCTL_RELEASES_URL  where the release folders are; default
#                            https://github.com/$PARTNERCTL_REPOSITORY/releases/download
#                            (a test points it at file:///a/folder/of/releases)
#   PARTNERCTL_INSTALL_DIR   where the binary goes; default $RUNNER_TOOL_CACHE/partnerctl/<version>/<target>
#   RUNNER_OS, RUNNER_ARCH   as GitHub sets them (Linux|macOS|Windows, X64|ARM64); else uname
#   GITHUB_PATH, GITHUB_OUTPUT  as GitHub sets them; the install dir and its path are written there
set -euo pipefail

fail() {
  printf '::error::partnerctl install: %s\n' "$*" >&2
  exit 1
}

version="${PARTNERCTL_VERSION:-}"
repository="${PARTNERCTL_REPOSITORY:-}"
[ -n "$version" ] || fail "no version: set the action's \`version\` input (a release tag such as v0.1.0)"

os="${RUNNER_OS:-$(uname -s)}"
arch="${RUNNER_ARCH:-$(uname -m)}"
case "$os" in
  Linux | linux) os=linux ;;
  macOS | Darwin) os=macos ;;
  Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) fail "no partnerctl release for the operating system '$os'" ;;
esac
case "$arch" in
  X64 | x86_64 | amd64) arch=x86_64 ;;
  ARM64 | aarch64 | arm64) arch=aarch64 ;;
  *) fail "no partnerctl release for the architecture '$arch'" ;;
esac
case "$os-$arch" in
  linux-x86_64) target=x86_64-unknown-linux-musl ;;
  linux-aarch64) target=aarch64-unknown-linux-musl ;;
  macos-x86_64) target=x86_64-apple-darwin ;;
  macos-aarch64) target=aarch64-apple-darwin ;;
  windows-x86_64) target=x86_64-pc-windows-msvc ;;
  *) fail "no partnerctl release for $os on $arch" ;;
esac

# A major tag (v0) follows its newest release; anything else must be a release tag.
if [[ "$version" =~ ^v[0-9]+$ ]]; then
  [ -n "$repository" ] || fail "cannot resolve $version without PARTNERCTL_REPOSITORY"
  command -v gh >/dev/null 2>&1 || fail "resolving $version needs the gh command; pin a release tag such as $version.1.0 instead"
  resolved=$(gh api "repos/$repository/releases" --paginate --jq '.[] | select(.draft | not) | select(.prerelease | not) | .tag_name' |
    grep -E "^${version}\.[0-9]+\.[0-9]+$" | sort -t. -k2,2n -k3,3n | tail -n 1) || true
  [ -n "$resolved" ] || fail "no release of $repository matches $version"
  version="$resolved"
elif ! [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
  fail "'$version' is not a release tag; pin one such as v0.1.0"
fi

base="${PARTNERCTL_RELEASES_URL:-https://github.com/$repository/releases/download}"
[ -n "${PARTNERCTL_RELEASES_URL:-}" ] || [ -n "$repository" ] || fail "set PARTNERCTL_REPOSITORY or PARTNERCTL_RELEASES_URL"
if [ "$os" = windows ]; then ext=zip; exe=partnerctl.exe; else ext=tar.gz; exe=partnerctl; fi
archive="partnerctl-$target.$ext"
sums="partnerctl-$target.sha256"
dir="${PARTNERCTL_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-$HOME/.cache}/partnerctl/$version/$target}"

installed() {
  [ -x "$dir/$exe" ] && [ -f "$dir/.verified" ] && [ "$(cat "$dir/.verified")" = "$version $target" ]
}

if ! installed; then
  work=$(mktemp -d)
  trap 'rm -rf -- "$work"' EXIT
  fetch() {
    curl --fail --silent --show-error --location --retry 3 --proto '=https,file' --output "$work/$1" "$base/$version/$1" ||
      fail "cannot download $base/$version/$1"
  }
  fetch "$sums"
  fetch "$archive"

  # The checksum file lists `<sha256>  <file name>` for the archive; nothing else is trusted.
  want=$(awk -v f="$archive" '{ name = $2; sub(/^\*/, "", name) } name == f { print $1 }' "$work/$sums")
  [ -n "$want" ] || fail "$sums does not list $archive"
  [[ "$want" =~ ^[0-9a-f]{64}$ ]] || fail "$sums holds no SHA-256 for $archive"
  if command -v sha256sum >/dev/null 2>&1; then
    got=$(sha256sum "$work/$archive" | awk '{ print $1 }')
  else
    got=$(shasum -a 256 "$work/$archive" | awk '{ print $1 }')
  fi
  [ "$got" = "$want" ] || fail "$archive does not match its checksum (expected $want, got $got): refusing to install it"

  mkdir -p "$work/unpacked"
  tar -xf "$work/$archive" -C "$work/unpacked"
  [ -f "$work/unpacked/$exe" ] || fail "$archive holds no $exe"
  mkdir -p "$dir"
  cp "$work/unpacked/$exe" "$dir/$exe.tmp"
  chmod 0755 "$dir/$exe.tmp"
  mv -f "$dir/$exe.tmp" "$dir/$exe"
  printf '%s %s\n' "$version" "$target" > "$dir/.verified"
fi

if [ -n "${GITHUB_PATH:-}" ]; then
  printf '%s\n' "$dir" >> "$GITHUB_PATH"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    printf 'version=%s\n' "$version"
    printf 'path=%s\n' "$dir/$exe"
  } >> "$GITHUB_OUTPUT"
fi
printf 'partnerctl %s (%s) installed in %s\n' "$version" "$target" "$dir"
