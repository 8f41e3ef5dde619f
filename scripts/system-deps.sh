#!/usr/bin/env bash
# The Debian packages the test suite needs, in one list for `npm test` (its first step) and `.ci/run`.
#
#   chromium       the browser Playwright drives (never a downloaded one: build machines are offline)
#   xvfb, dunst, libnotify-bin, dbus
#                  a real notification daemon under a virtual display and a private D-Bus session, for
#                  the test that watches a critical alert reach org.freedesktop.Notifications
#
# CHROMIUM_PATH: a user who points Playwright at another Chromium does not need Debian's; the path must
# then be an executable file (checked here, so a typo fails now rather than after minutes of tests).
#
# Installed packages are read from dpkg (`dpkg-query`). Anything missing is installed with apt-get when
# this runs as root on a machine that has it (`apt-get update` only then); otherwise the script stops at
# once, printing the exact command to run. Without dpkg (not Debian) the programs themselves are looked
# for instead, and their Debian package names are printed for what is missing.
set -uo pipefail

packages=(chromium xvfb dunst libnotify-bin dbus)
# The program each package provides that the tests call (used only where dpkg is not available).
declare -A program=(
  [chromium]=/usr/bin/chromium
  [xvfb]=xvfb-run
  [dunst]=dunstctl
  [libnotify-bin]=notify-send
  [dbus]=dbus-run-session
)

fail() {
  printf 'system-deps: %s\n' "$@" >&2
  exit 1
}

if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  [[ -f "$CHROMIUM_PATH" && -x "$CHROMIUM_PATH" ]] ||
    fail "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file." \
      "Point it at a Chromium binary, or unset it to use Debian's chromium package."
  kept=()
  for package in "${packages[@]}"; do [[ "$package" == chromium ]] || kept+=("$package"); done
  packages=("${kept[@]}")
fi

is_present() {
  local package=$1
  if command -v dpkg-query >/dev/null 2>&1; then
    [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" == "install ok installed" ]]
  else
    local wanted=${program[$package]}
    if [[ "$wanted" == /* ]]; then [[ -x "$wanted" ]]; else command -v "$wanted" >/dev/null 2>&1; fi
  fi
}

missing=()
for package in "${packages[@]}"; do
  is_present "$package" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

list="${missing[*]}"
if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  printf 'system-deps: installing %s\n' "$list" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq "${missing[@]}" >/dev/null || fail "apt-get install -y ${list} failed"
  for package in "${missing[@]}"; do
    is_present "$package" || fail "$package is still missing after apt-get install"
  done
  exit 0
fi

if [[ $EUID -eq 0 ]]; then
  command="apt-get update && apt-get install -y ${list}"
else
  command="sudo apt-get update && sudo apt-get install -y ${list}"
fi
if ! command -v dpkg-query >/dev/null 2>&1 && ! command -v apt-get >/dev/null 2>&1; then
  fail "missing system packages the tests need: ${list} (Debian names; this is not a Debian system)." \
    "On Debian: ${command}" \
    "Elsewhere install their equivalents (and set CHROMIUM_PATH to a Chromium binary)."
fi
fail "missing Debian packages the tests need: ${list}" "Run: ${command}"
