#!/bin/sh
# Fault injection around a real tool (dbus-send-child.ts `slow-daemon`): a notification daemon that has
# not answered yet. The tool of this file's name runs only once the file $GATE exists (the test creates
# it when it has seen what the notifier did meanwhile). Called by its path, from a directory not on PATH.
while [ ! -e "$GATE" ]; do sleep 0.05; done
exec "$(command -v "$(basename "$0")")" "$@"
