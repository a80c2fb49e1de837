#!/usr/bin/env bash
# `audit` and `import kong` of a Kong gateway with $CONSUMERS consumers (default 100,000):
# builds the release binary, writes the decK file with bench/kong_dump.py, then times with
# /usr/bin/time -v (wall time and peak memory):
#   1. audit of the example program against it (every consumer unknown to the program);
#   2. import kong of it into a copy of the example (a partner file per consumer);
#   3. audit of the imported program against the same file (every consumer known).
# Results go to bench/results/kong.md, with the machine's load before each run.
#
#   bash bench/kong.sh
#   CONSUMERS=20000 bash bench/kong.sh
#   SKIP_BUILD=1 bash bench/kong.sh        # time the release binary already built
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
CONSUMERS=${CONSUMERS:-100000}
AS_OF=2026-11-01
WORK=$ROOT/bench/work/kong
RES=$ROOT/bench/results
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${BIN:-$TARGET/release/partnerctl}

[ -x /usr/bin/time ] || apt-get install -y time
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release --locked >&2
mkdir -p "$WORK" "$RES"
DUMP=$WORK/kong-$CONSUMERS.json
[ -f "$DUMP" ] || python3 bench/kong_dump.py --consumers "$CONSUMERS" --out "$DUMP"

OUT=$RES/kong.md
{
  echo "# audit and import kong of $CONSUMERS consumers"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),"
  echo "decK file of $(du -h "$DUMP" | cut -f1) (bench/kong_dump.py). Wall time and peak resident memory from /usr/bin/time -v."
  echo
  echo "| command | wall | peak memory | exit | load before |"
  echo "| --- | --- | --- | --- | --- |"
} >"$OUT"

measure() {
  local label=$1
  shift
  local load
  load=$(cut -d' ' -f1 /proc/loadavg)
  set +e
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
  local code=$?
  set -e
  local wall peak
  wall=$(grep 'Elapsed (wall clock)' "$WORK/time.txt" | sed 's/.*: //')
  peak=$(grep 'Maximum resident' "$WORK/time.txt" | sed 's/.*: //')
  echo "| $label | $wall | $((peak / 1024)) MiB | $code | $load |" >>"$OUT"
  printf '%s: %s, %s MiB, exit %s\n' "$label" "$wall" "$((peak / 1024))" "$code" >&2
}

# ext4 without a journal (this machine's disk: /sys/fs/ext4/*/journal_task says <none>)
# passes over every inode freed in the last 60 s (360 s while its inode table block is
# dirty) each time it allocates one (the kernel's recently_deleted(), seen in perf): creating
# 100,000 files right after deleting 100,000 costs twice the time, whoever creates them. So
# the previous run's program is renamed aside now and deleted after the measurements, and a
# run that starts within 360 s of that deletion waits until it is past.
if [ -f "$WORK/freed-at" ]; then
  wait_s=$(( $(cat "$WORK/freed-at") + 361 - $(date +%s) ))
  if [ "$wait_s" -gt 0 ]; then
    echo "waiting ${wait_s} s: the previous run deleted its 100,000 files less than 360 s ago" >&2
    sleep "$wait_s"
  fi
fi
[ ! -e "$WORK/program" ] || mv "$WORK/program" "$WORK/old-program-$$"
cp -r examples/northwind "$WORK/program"
measure "audit (consumers unknown to the program)" "$BIN" audit -C "$WORK/program" --as-of "$AS_OF" --gateway "$DUMP" --format json
measure "import kong" "$BIN" import kong "$DUMP" -C "$WORK/program" --as-of "$AS_OF" --environment production
echo "($(find "$WORK/program/partners" -name '*.yaml' | wc -l) partner files after the import)" >&2
measure "audit (the imported program)" "$BIN" audit -C "$WORK/program" --as-of "$AS_OF" --gateway "$DUMP" --format json
# The same number of files made by cp, the file system's own cost of creating them (no
# atomic publishing, no YAML): the floor of any import into this disk.
measure "cp -r of the imported partner files (reference)" cp -r "$WORK/program/partners" "$WORK/partners-copy"
rm -rf "$WORK"/old-program-* "$WORK/partners-copy"
date +%s >"$WORK/freed-at"
cat "$OUT"
