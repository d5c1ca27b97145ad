# shellcheck shell=bash
# Sourced by test/integration/layer_*.sh after lib.sh: a Runtime API to run a
# bootstrap against, process-group clean-up, and result checks.
# (Lives in layers/ so the test glob does not take it for a test.)

LAYER_GROUPS=()   # process groups (setsid) killed at exit
LAYER_MOUNTS_UNDER=""  # any mount left under this path is detached at exit
layer_cleanup() {
  local g
  for g in "${LAYER_GROUPS[@]:-}"; do
    [ -n "$g" ] && kill -TERM -- "-$g" 2>/dev/null || true
  done
  sleep 0.1
  for g in "${LAYER_GROUPS[@]:-}"; do
    [ -n "$g" ] && kill -KILL -- "-$g" 2>/dev/null || true
  done
  if [ -n "$LAYER_MOUNTS_UNDER" ]; then
    # Mounts are made inside a private mount namespace and die with it; this
    # is the belt to those braces (deepest first).
    { grep -F " $LAYER_MOUNTS_UNDER" /proc/mounts || true; } | awk '{print $2}' | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
  fi
  wren_cleanup
}
trap layer_cleanup EXIT

layer_skip() { echo "SKIP: $*"; exit 77; }

# layer_fake_api DIR EVENTS_FILE: starts layers/testing/fake_runtime_api.py
# serving EVENTS_FILE; sets FAKE_PORT, results go to DIR/results.jsonl.
layer_fake_api() {
  local dir=$1 events=$2
  mkdir -p "$dir"
  : >"$dir/results.jsonl"
  setsid python3 "$WREN_SOURCE_DIR/layers/testing/fake_runtime_api.py" "$events" "$dir/results.jsonl" \
    "$dir/port" &
  LAYER_GROUPS+=("$!")
  local i=0
  while [ ! -s "$dir/port" ]; do
    i=$((i + 1))
    [ "$i" -gt 200 ] && fail "fake Runtime API did not start"
    sleep 0.05
  done
  # shellcheck disable=SC2034 # read by the test that sourced this file
  FAKE_PORT=$(cat "$dir/port")
}

# layer_wait_results FILE N SECONDS: waits for N answers in FILE; 1 if they
# do not all come in time.
layer_wait_results() {
  local file=$1 n=$2 limit=${3:-60} i=0
  while [ "$(wc -l <"$file")" -lt "$n" ]; do
    i=$((i + 1))
    if [ "$i" -gt $((limit * 10)) ]; then
      echo "--- answers so far:" >&2
      cat "$file" >&2
      echo "only $(wc -l <"$file") of $n answers after ${limit}s" >&2
      return 1
    fi
    sleep 0.1
  done
}

# The environment Lambda gives a provided.al2023 runtime, and nothing else
# (env -i): notably LD_LIBRARY_PATH with the OS's /lib64 first, which the
# launcher must not let through.
layer_lambda_env() { # layer_lambda_env API_HOST_PORT HANDLER TASK_ROOT
  echo "AWS_LAMBDA_RUNTIME_API=$1" "_HANDLER=$2" "LAMBDA_TASK_ROOT=$3" \
    "LAMBDA_RUNTIME_DIR=/var/runtime" "AWS_LAMBDA_FUNCTION_NAME=wren" "AWS_LAMBDA_FUNCTION_VERSION=\$LATEST" \
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1769" "AWS_REGION=us-east-1" "AWS_DEFAULT_REGION=us-east-1" \
    "AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023" "TZ=:UTC" "LANG=en_US.UTF-8" \
    "PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin" \
    "LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
}
