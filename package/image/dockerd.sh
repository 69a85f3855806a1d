# ISC license.
# dockerd.sh: sourced by package/image/build and tests/image/run (bash).
# docker_up makes sure a Docker daemon answers, starting Debian's dockerd
# only when none does; docker_down stops only a daemon docker_up started.
# No registry is ever contacted: images are built FROM scratch.

# Debian's client matches Debian's daemon; any other docker on PATH is
# used only when Debian's is absent.
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
DOCKERD_STARTED=0
DOCKERD_PID=
DOCKERD_REASON=

docker_up() {
  local logdir=${DOCKERD_LOGDIR:-/tmp}
  if "$DOCKER" info >/dev/null 2>&1; then return 0; fi
  if ! command -v dockerd >/dev/null 2>&1; then
    DOCKERD_REASON="dockerd is not installed (make deps-image)"
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    DOCKERD_REASON="no Docker daemon answers, and starting one needs root"
    return 1
  fi
  DOCKERD_LOG=$logdir/posthaste-dockerd.log
  dockerd >"$DOCKERD_LOG" 2>&1 &
  DOCKERD_PID=$!
  DOCKERD_STARTED=1
  local i=0
  while [ $i -lt 60 ]; do
    if "$DOCKER" info >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
      DOCKERD_STARTED=0
      DOCKERD_REASON="dockerd exited: $(grep -E 'level=(fatal|error)|failed' "$DOCKERD_LOG" | tail -n 2 | tr '\n' ' ')"
      return 1
    fi
    sleep 0.5; i=$((i + 1))
  done
  DOCKERD_REASON="dockerd did not answer within 30 s (see $DOCKERD_LOG)"
  docker_down
  return 1
}

docker_down() {
  [ "$DOCKERD_STARTED" = 1 ] || return 0
  kill "$DOCKERD_PID" 2>/dev/null || :
  local i=0
  while kill -0 "$DOCKERD_PID" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
  if kill -0 "$DOCKERD_PID" 2>/dev/null; then kill -9 "$DOCKERD_PID" 2>/dev/null || :; fi
  wait "$DOCKERD_PID" 2>/dev/null || :
  DOCKERD_STARTED=0
}
