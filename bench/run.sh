#!/usr/bin/env bash
# The partnerctl benchmark: builds the release binary, generates a program of $PARTNERS
# partners under bench/work/, checks that partnerctl finds nothing wrong with it, then times
# validate against check-jsonschema and ajv-cli on the same partner files, and render, plan,
# policies and funnel. Results (markdown tables) go to bench/results/.
#
#   bash bench/run.sh                      # 10,000 partners, 1 GB usage log
#   PARTNERS=2000 USAGE_GB=0.2 bash bench/run.sh
#   RUNS=20 SLOW_RUNS=5 bash bench/run.sh  # more runs of the fast / slow commands
#   SKIP_FUNNEL=1 bash bench/run.sh        # no usage log (saves ~1 GB of disk and a minute)
#   SCALE_PARTNERS="10000 100000" bash bench/run.sh  # the sizes of the scaling table (default)
#   SKIP_SCALING=1 bash bench/run.sh       # no scaling table (saves ~1 GB of disk and minutes)
#   ONLY_SCALING=1 bash bench/run.sh       # build, then the scaling table alone
#   SCALE_COMMANDS="validate floor ajv" ONLY_SCALING=1 bash bench/run.sh  # some of its commands
#   NO_BUILD=1 ...                          # time the release binaries as they are
#   WARMUP=0 ...                            # no warm-up round in the scaling table
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PARTNERS=${PARTNERS:-10000}
USAGE_GB=${USAGE_GB:-1}
RUNS=${RUNS:-10}
SLOW_RUNS=${SLOW_RUNS:-3}
AS_OF=2026-11-01
WORK=$ROOT/bench/work
RES=$ROOT/bench/results
PROGRAM=$WORK/program
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${BIN:-$TARGET/release/partnerctl}

mkdir -p "$WORK" "$RES"
# A scaling-only run keeps its own record, beside the full run's.
MACHINE=$RES/machine.md
[ "${ONLY_SCALING:-0}" = 1 ] && MACHINE=$RES/machine-scaling.md
note() { printf '\n== %s\n' "$*" >&2; }
load_now() { uptime | sed 's/^ *//'; }

note "tools"
command -v hyperfine >/dev/null || apt-get install -y hyperfine
[ -x /usr/bin/time ] || apt-get install -y time
if [ "${ONLY_SCALING:-0}" != 1 ]; then
  command -v check-jsonschema >/dev/null || pip install check-jsonschema
  command -v ajv >/dev/null || npm install -g ajv-cli ajv-formats
  NODE_PATH=$(npm root -g)
  export NODE_PATH
fi

note "build"
if [ "${NO_BUILD:-0}" = 1 ]; then
  # Time the binaries built last (another build may hold the target directory).
  PHASES=${PHASES:-$(ls -t "$TARGET"/release/deps/phases-* | grep -v '\.d$' | head -1)}
else
  cargo build --release
  # The floors: read every file and run the YAML scanner over it, building nothing
  # (--scan-only), or parse it into a serde_json value and do nothing else (--parse-only).
  PHASES=$TARGET/release/deps/$(cargo bench --bench phases --no-run 2>&1 | grep -o 'release/deps/phases-[0-9a-f]*' | head -1 | sed 's|.*/||')
fi
[ -x "$PHASES" ] || { echo "cannot find the phases benchmark binary" >&2; exit 1; }

if [ "${ONLY_SCALING:-0}" != 1 ]; then
note "generate $PARTNERS partners"
python3 bench/generate.py --partners "$PARTNERS" --out "$PROGRAM"
(cd "$PROGRAM" && find partners -name '*.yaml' | sort) > "$WORK/partner-files.txt"
nfiles=$(wc -l < "$WORK/partner-files.txt")

note "partnerctl must find nothing"
"$BIN" validate -C "$PROGRAM" --as-of "$AS_OF" --format json > "$WORK/validate.json" || true
python3 - "$WORK/validate.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
if d["errors"] or d["warnings"]:
    for x in d["diagnostics"][:20]:
        print(f'{x["file"]}:{x["line"]}:{x["column"]}: {x["code"]}: {x["message"]}', file=sys.stderr)
    sys.exit(f'the generated program is not clean: {d["errors"]} errors, {d["warnings"]} warnings')
print("validate: 0 errors, 0 warnings", file=sys.stderr)
EOF

note "JSON copies of the partner files for ajv-cli"
# ajv-cli is timed on the partner files themselves (generate.py quotes dates, so js-yaml keeps
# them strings) and, as its best case, on JSON copies made once outside the timing.
python3 - "$PROGRAM" "$WORK/partners-json" "$WORK/partner-files.txt" <<'EOF'
import json, os, shutil, sys
from ruamel.yaml import YAML
src, dst, listing = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(dst, ignore_errors=True)
yaml = YAML(typ="safe")
for rel in open(listing).read().split():
    with open(os.path.join(src, rel), encoding="utf-8") as f:
        doc = yaml.load(f)
    out = os.path.join(dst, rel[: -len(".yaml")] + ".json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, default=str, ensure_ascii=False)
EOF

njson=$(find "$WORK/partners-json" -name '*.json' | wc -l)
[ "$njson" = "$nfiles" ] || { echo "converted $njson of $nfiles partner files" >&2; exit 1; }
# ajv-cli must accept every file before it is timed (hyperfine stops on a failing command).
for data in "$PROGRAM/partners/**/*.yaml" "$WORK/partners-json/**/*.json"; do
  nvalid=$(ajv validate --spec=draft2020 -c ajv-formats -s schemas/partner.schema.json \
    -d "$data" 2>&1 | grep -c ' valid$' || true)
  [ "$nvalid" = "$nfiles" ] || { echo "ajv-cli accepted $nvalid of $nfiles files ($data)" >&2; exit 1; }
done

fi

{
  echo "# Machine and load"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- cores (nproc): $(nproc)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "- memory: $(free -g | awk '/Mem:/ {print $2 " GB"}')"
  echo "- binary: $BIN"
  echo "- partnerctl: $(git -C "$ROOT" rev-parse --short HEAD) ($(git -C "$ROOT" status --porcelain -- src | wc -l) files under src/ modified in the work tree)"
  echo "- hyperfine $(hyperfine --version | cut -d' ' -f2), check-jsonschema $(check-jsonschema --version | awk '{print $NF}'), ajv-cli $(npm ls -g ajv-cli --depth=0 2>/dev/null | grep -o 'ajv-cli@[0-9.]*' | cut -d@ -f2), node $(node --version)"
  [ "${ONLY_SCALING:-0}" = 1 ] || echo "- program: $PARTNERS partners ($nfiles partner files, $(du -sh "$PROGRAM/partners" | cut -f1)), as of $AS_OF"
  echo
  echo "Load average before each measurement (other work on the machine skews the figures):"
  echo
} > "$MACHINE"
record_load() { echo "- $1: \`$(load_now)\`" >> "$MACHINE"; }

if [ "${ONLY_SCALING:-0}" != 1 ]; then

note "validate vs check-jsonschema vs ajv-cli (schema only), same files"
record_load "validate vs schema validators"
hyperfine --warmup 2 --runs "$RUNS" \
  --export-markdown "$RES/validate-vs-ajv.md" --export-json "$WORK/validate-vs-ajv.json" \
  -n "partnerctl validate (all checks + policies)" \
  "$BIN validate -C '$PROGRAM' --as-of $AS_OF" \
  -n "ajv-cli (schema only, the YAML files)" \
  "ajv validate --spec=draft2020 -c ajv-formats -s '$ROOT/schemas/partner.schema.json' -d '$PROGRAM/partners/**/*.yaml' 2> /dev/null" \
  -n "ajv-cli (schema only, JSON copies)" \
  "ajv validate --spec=draft2020 -c ajv-formats -s '$ROOT/schemas/partner.schema.json' -d '$WORK/partners-json/**/*.json' 2> /dev/null" \
  -n "floor: read + YAML scan only (no tree, no checks)" \
  "$PHASES --scan-only '$PROGRAM'"
record_load "validate vs check-jsonschema"
hyperfine --warmup 1 --runs "$SLOW_RUNS" \
  --export-markdown "$RES/validate-vs-schema.md" --export-json "$WORK/validate-vs-schema.json" \
  -n "partnerctl validate (all checks + policies)" \
  "$BIN validate -C '$PROGRAM' --as-of $AS_OF" \
  -n "check-jsonschema (schema only)" \
  "cd '$PROGRAM' && check-jsonschema --schemafile '$ROOT/schemas/partner.schema.json' \$(cat '$WORK/partner-files.txt')"

note "validate: repeated, with and without the built-in policy pack"
# The same partner files (hard links); only program.yaml differs: every built-in rule switched
# off in `spec.policies`.
rm -rf "$WORK/program-nopolicy"
cp -al "$PROGRAM" "$WORK/program-nopolicy"
rm "$WORK/program-nopolicy/program.yaml"
cp "$PROGRAM/program.yaml" "$WORK/program-nopolicy/program.yaml"
{
  echo "  policies:"
  grep -oE '^    "[a-z-]+"' "$ROOT/src/policy/builtin.rs" | tr -d ' "' | sed 's/.*/    &: {enabled: false}/'
} >> "$WORK/program-nopolicy/program.yaml"
"$BIN" validate -C "$WORK/program-nopolicy" --as-of "$AS_OF" > /dev/null
record_load "validate with / without policies"
hyperfine --warmup 2 --runs "$RUNS" \
  --export-markdown "$RES/policies.md" --export-json "$WORK/policies.json" \
  -n "validate (checks + built-in policy pack)" "$BIN validate -C '$PROGRAM' --as-of $AS_OF" \
  -n "validate (every built-in rule off)" "$BIN validate -C '$WORK/program-nopolicy' --as-of $AS_OF"

note "render"
if "$BIN" render -C "$PROGRAM" --as-of "$AS_OF" --out-dir "$WORK/render-out" > "$WORK/render.log" 2>&1; then
  record_load "render"
  hyperfine --warmup 1 --runs "$SLOW_RUNS" --export-markdown "$RES/render.md" \
    -n "partnerctl render ($PARTNERS partners, every output)" \
    "$BIN render -C '$PROGRAM' --as-of $AS_OF --out-dir '$WORK/render-out'"
else
  echo "render failed; skipped (see bench/work/render.log)" | tee "$RES/render.md" >&2
fi

note "plan for a one-partner change"
rm -rf "$WORK/plan-repo"
cp -r "$PROGRAM" "$WORK/plan-repo"
(
  cd "$WORK/plan-repo"
  git init -q -b main
  git add -A
  git -c user.name=bench -c user.email=bench@example.invalid commit -qm "the program"
  # One partner changes its display name: one `update`.
  f=$(head -1 "$WORK/partner-files.txt")
  sed -i 's/^  displayName: \(.*\)$/  displayName: \1 Renamed/' "$f"
)
set +e
"$BIN" plan -C "$WORK/plan-repo" --base HEAD --as-of "$AS_OF" --format json > "$WORK/plan.json" 2> "$WORK/plan.log"
plan_rc=$?
set -e
if [ "$plan_rc" -le 1 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['changes']) == 1, d['changes']" "$WORK/plan.json" 2>> "$WORK/plan.log"; then
  record_load "plan"
  hyperfine --warmup 1 --runs "$SLOW_RUNS" --export-markdown "$RES/plan.md" \
    -n "partnerctl plan --base HEAD (one partner changed)" \
    "$BIN plan -C '$WORK/plan-repo' --base HEAD --as-of $AS_OF --format json > /dev/null"
else
  echo "plan did not give one change (exit $plan_rc); skipped (see bench/work/plan.log)" | tee "$RES/plan.md" >&2
fi

if [ "${SKIP_FUNNEL:-0}" = 1 ] || [ "$USAGE_GB" = 0 ]; then
  note "funnel skipped"
else
  note "funnel over a ${USAGE_GB} GB usage log"
  USAGE=$WORK/usage.jsonl
  python3 bench/generate.py --partners "$PARTNERS" --out "$PROGRAM" --no-program --usage-gb "$USAGE_GB" --usage-file "$USAGE"
  # A tenth of it, to show that peak memory does not grow with the log.
  head -n "$(( $(wc -l < "$USAGE") / 10 ))" "$USAGE" > "$WORK/usage-tenth.jsonl"
  record_load "funnel"
  {
    echo "| usage log | lines | size | wall time | user CPU | peak RSS |"
    echo "|:---|---:|---:|---:|---:|---:|"
  } > "$RES/funnel.md"
  for log in "$WORK/usage-tenth.jsonl" "$USAGE" "$USAGE"; do
    set +e
    /usr/bin/time -v "$BIN" funnel -C "$PROGRAM" --as-of "$AS_OF" --usage "$log" --format json \
      > "$WORK/funnel.json" 2> "$WORK/funnel.time"
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
      echo "funnel failed (exit $rc); see bench/work/funnel.time" | tee -a "$RES/funnel.md" >&2
      break
    fi
    wall=$(grep 'Elapsed (wall clock)' "$WORK/funnel.time" | awk '{print $NF}')
    user=$(grep 'User time' "$WORK/funnel.time" | awk '{print $NF}')
    rss=$(grep 'Maximum resident' "$WORK/funnel.time" | awk '{print $NF}')
    echo "| $(basename "$log") | $(wc -l < "$log") | $(du -h "$log" | cut -f1) | ${wall} | ${user} s | $((rss / 1024)) MiB |" >> "$RES/funnel.md"
  done
fi

fi

if [ "${SKIP_SCALING:-0}" = 1 ]; then
  note "scaling skipped"
else
  # validate, render and plan at each size of SCALE_PARTNERS, in this one run, with wall time
  # and peak memory (/usr/bin/time); ratios against the first size.
  note "scaling: ${SCALE_PARTNERS:=10000 100000} partners: ${SCALE_COMMANDS:=validate floor ajv render plan}"
  record_load "scaling"
  for n in $SCALE_PARTNERS; do
    prog=$WORK/scale-$n
    if [ ! -f "$prog/.generated-$n" ]; then
      rm -rf "$prog"
      python3 bench/generate.py --partners "$n" --out "$prog/program" > /dev/null
      (
        cd "$prog/program"
        git init -q -b main
        git add -A
        git -c user.name=bench -c user.email=bench@example.invalid commit -qm "the program"
        find partners -name '*.yaml' | sort > ../partner-files.txt
        f=$(head -1 ../partner-files.txt)
        sed -i 's/^  displayName: \(.*\)$/  displayName: \1 Renamed/' "$f"
      )
      touch "$prog/.generated-$n"
    fi
    [[ " $SCALE_COMMANDS " == *" plan "* ]] || continue
    "$BIN" plan -C "$prog/program" --base HEAD --as-of "$AS_OF" --format json > "$prog/plan.json" || true
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['ok'] and len(d['changes']) == 1, (d['ok'], d['changes'][:3], d['diagnostics'][:3], d.get('renderErrors'))" "$prog/plan.json"
  done
  # ajv-cli must accept every partner file of each size before it is timed.
  if [[ " $SCALE_COMMANDS " == *" ajv "* ]]; then
    command -v ajv >/dev/null || npm install -g ajv-cli ajv-formats
    NODE_PATH=$(npm root -g)
    export NODE_PATH
    for n in $SCALE_PARTNERS; do
      prog=$WORK/scale-$n
      nfiles=$(wc -l < "$prog/partner-files.txt")
      nvalid=$(ajv validate --spec=draft2020 -c ajv-formats -s schemas/partner.schema.json \
        -d "$prog/program/partners/**/*.yaml" 2>&1 | grep -c ' valid$' || true)
      [ "$nvalid" = "$nfiles" ] || { echo "ajv-cli accepted $nvalid of $nfiles files (scale-$n)" >&2; exit 1; }
    done
  fi
  # The sizes take turns, run by run (one warm-up round first), so that both sample the
  # same state of the machine: on a shared VM the CPU time the host steals changes over
  # minutes, and timing every run of one size before the other turned that drift into a
  # ratio. Each run's wall time, CPU time (user + sys) and peak RSS (/usr/bin/time), the
  # share of CPU time stolen while it ran (/proc/stat) and the 1-minute load average before
  # it go to runs.csv.
  steal() { awk '/^cpu /{t=0; for(i=2;i<=NF;i++) t+=$i; print $9, t}' /proc/stat; }
  echo "round,size,command,wall_s,cpu_s,peak_kib,steal,load1" > "$WORK/runs.csv"
  for round in $(seq "$((1 - ${WARMUP:-1}))" "$SLOW_RUNS"); do
    for cmd in $SCALE_COMMANDS; do
      for n in $SCALE_PARTNERS; do
        prog=$WORK/scale-$n
        case $cmd in
          validate) run=("$BIN" validate -C "$prog/program" --as-of "$AS_OF") ;;
          floor) run=("$PHASES" --parse-only "$prog/program") ;;
          reader) run=("$PHASES" --read-only "$prog/program") ;;
          ajv) run=(ajv validate --spec=draft2020 -c ajv-formats -s "$ROOT/schemas/partner.schema.json" -d "$prog/program/partners/**/*.yaml") ;;
          render) run=("$BIN" render -C "$prog/program" --as-of "$AS_OF" --out-dir "$prog/out") ;;
          plan) run=("$BIN" plan -C "$prog/program" --base HEAD --as-of "$AS_OF" --format json) ;;
        esac
        load1=$(cut -d' ' -f1 /proc/loadavg)
        read -r s0 t0 < <(steal)
        /usr/bin/time -f "%e %M %U %S" -o "$WORK/one.time" "${run[@]}" > /dev/null 2>&1 || true
        read -r s1 t1 < <(steal)
        read -r wall kib user sys < <(tail -1 "$WORK/one.time")
        [ "$round" = 0 ] && continue # the warm-up
        echo "$round,$n,$cmd,$wall,$(python3 -c "print(f'{$user+$sys:.2f}')"),$kib,$(python3 -c "print(f'{($s1-$s0)/max($t1-$t0,1):.3f}')"),$load1" >> "$WORK/runs.csv"
      done
    done
  done
  cp "$WORK/runs.csv" "$RES/scaling-runs.csv"
  python3 - "$WORK/runs.csv" > "$WORK/scaling.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
order = ["validate", "floor", "reader", "ajv", "render", "plan"]
print("size,command,mean_s,stddev_s,cpu_s,peak_mib,steal,load1")
seen = []
for r in rows:
    if (r["size"], r["command"]) not in seen:
        seen.append((r["size"], r["command"]))
for size, cmd in sorted(seen, key=lambda k: (int(k[0]), order.index(k[1]))):
    runs = [r for r in rows if r["size"] == size and r["command"] == cmd]
    walls = [float(r["wall_s"]) for r in runs]
    sd = statistics.stdev(walls) if len(walls) > 1 else 0.0
    cpu = statistics.mean(float(r["cpu_s"]) for r in runs)
    peak = max(int(r["peak_kib"]) for r in runs) // 1024
    steal = statistics.mean(float(r["steal"]) for r in runs)
    load = statistics.mean(float(r["load1"]) for r in runs)
    print(f"{size},{cmd},{statistics.mean(walls):.3f},{sd:.3f},{cpu:.3f},{peak},{steal:.3f},{load:.1f}")
PY
  python3 - "$WORK/scaling.csv" > "$RES/scaling.md" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sizes = sorted({int(r["size"]) for r in rows})
at = {(int(r["size"]), r["command"]): r for r in rows}
names = {"validate": "validate", "floor": "parse floor (`phases --parse-only`)",
         "reader": "partnerctl's reader alone (`phases --read-only`)", "ajv": "ajv-cli (schema only)",
         "render": "render", "plan": "plan (one partner's `displayName`)"}
print("| partners | command | wall, mean ± σ | CPU (user+sys) | peak RSS | × the first size (wall / CPU) | ÷ validate (wall / CPU) | CPU stolen | load (1 min) |")
print("| ---: | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for n in sizes:
    for cmd in ("validate", "floor", "reader", "ajv", "render", "plan"):
        r = at.get((n, cmd))
        if r is None:
            continue
        first = at[(sizes[0], cmd)]
        v = at.get((n, "validate"))
        ratio = f"{float(r['mean_s']) / float(first['mean_s']):.1f}× / {float(r['cpu_s']) / max(float(first['cpu_s']), 0.001):.1f}×"
        pv = "" if cmd == "validate" or v is None else f"{float(r['mean_s']) / float(v['mean_s']):.2f}× / {float(r['cpu_s']) / max(float(v['cpu_s']), 0.001):.2f}×"
        print(f"| {n:,} | {names[cmd]} | {float(r['mean_s']):.2f} s ± {float(r['stddev_s']):.2f} | {float(r['cpu_s']):.2f} s "
              f"| {int(r['peak_mib']):,} MiB | {ratio} | {pv} | {float(r['steal']):.0%} | {float(r['load1']):.1f} |")
PY
  cat "$RES/scaling.md" >&2
fi

if [ "${ONLY_SCALING:-0}" != 1 ]; then
  note "peak memory of validate"
  /usr/bin/time -v "$BIN" validate -C "$PROGRAM" --as-of "$AS_OF" > /dev/null 2> "$WORK/validate.time"
  echo "- validate peak RSS: $(( $(grep 'Maximum resident' "$WORK/validate.time" | awk '{print $NF}') / 1024 )) MiB" >> "$MACHINE"
  note "phases of validate and of each output's render (through the library)"
  "$PHASES" "$PROGRAM" "$AS_OF" --render 2> "$RES/phases.txt"
  cat "$RES/phases.txt" >&2
fi
echo "- after the run: \`$(load_now)\`" >> "$MACHINE"

note "results"

for f in machine validate-vs-ajv validate-vs-schema policies render plan funnel scaling; do
  [ -f "$RES/$f.md" ] && { echo; echo "### $f"; cat "$RES/$f.md"; }
done
