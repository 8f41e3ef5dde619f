#!/bin/sh
# Fault injection around a real tool (dbus-send-child.ts `late-output`): run the tool of this file's
# name from PATH, then exit with its status while its output is still to come. On a loaded machine a
# child's exit is often seen before the last of its output is read; this makes that order certain.
# (The wrapper is called by its path, from a directory that is not on PATH.)
out=$("$(command -v "$(basename "$0")")" "$@")
status=$?
(sleep 0.5; printf '%s\n' "$out") &
exit $status
