#!/usr/bin/env bash
# `make bench`: measures Hark's chat path with `hark bench` against a real
# `hark serve` on 127.0.0.1 and writes docs/benchmarks.md. Every scenario runs
# against its own freshly started server and data directory, and is compared
# with a baseline measured in the same run on the same machine, never with
# figures from elsewhere. It is not a test: it fails only when a scenario could
# not run, not when a target is missed (the report says so plainly).
#
# Scenarios (chat ones: 1,000 connections, each one employee after another
# running the built-in pulse flow, a new connection per conversation):
#   chat      durability full (the default)                        BENCH_DURATION s (60), 1 run
#   ceiling   the same with --chat-persist false (nothing stored)  the baseline for the chat figures
#   normal    the same with --durability normal
#   paced     the same, paced at PACED_RATE answers/s: latency below saturation
#   loop      1,000 never-ending conversations (--flow loop): the worst case for the store
#   idle      10,000 connected conversations held 20 s: server memory
# Environment: BENCH_DURATION (s, the chat run; the others use at most 20 s),
# BENCH_REPEAT (repetitions of the short scenarios, 3), BENCH_REPEAT_LONG (1),
# BENCH_CONNS (1000), BENCH_IDLE_CONNS (10000), BENCH_IDLE_HOLD (20),
# BENCH_OUT (docs/benchmarks.md), HARK (build/hark), BENCH_WORK (build/bench).
set -euo pipefail
cd "$(dirname "$0")/.."

HARK=${HARK:-build/hark}
DURATION=${BENCH_DURATION:-60}
SHORT=20
if awk -v d="$DURATION" 'BEGIN { exit !(d < 20) }'; then SHORT=$DURATION; fi
REPEAT=${BENCH_REPEAT:-3}
REPEAT_LONG=${BENCH_REPEAT_LONG:-1}
CONNS=${BENCH_CONNS:-1000}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
IDLE_HOLD=${BENCH_IDLE_HOLD:-20}
WARMUP=2
OUT=${BENCH_OUT:-docs/benchmarks.md}
WORK=${BENCH_WORK:-build/bench}

# Targets, reported next to the measured figures (met or **missed**).
TARGET_RATE=20000     # answers/s, chat at default durability
TARGET_P99_MS=50      # ack latency p99
TARGET_IDLE_MB=100    # server RSS with IDLE_CONNS held
PACED_RATE=${BENCH_PACED_RATE:-6000}

die() { echo "bench/run.sh: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

[ -x "$HARK" ] || die "$HARK not found: build first (make build)"
# 10,000 connections need 10,000 descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$WORK"
FAILURES=()
SERVER_PID=""
SERVER_URL=""

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

# start_server DIR [FLAGS...]: starts hark serve on a free port (port 0) and
# waits for its "listening on http://HOST:PORT" line. Sets SERVER_PID and SERVER_URL.
start_server() {
    local dir=$1
    shift
    mkdir -p "$dir"
    "$HARK" serve --listen 127.0.0.1:0 --data-dir "$dir" --log-level warn "$@" >"$dir/server.out" 2>"$dir/server.err" &
    SERVER_PID=$!
    local i line
    for i in $(seq 1 300); do
        line=$(grep -m1 '^listening on http://' "$dir/server.out" 2>/dev/null || true)
        if [ -n "$line" ]; then
            SERVER_URL="ws://${line#listening on http://}/chat/ws"
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    log "server did not start; its stderr:"
    tail -n 20 "$dir/server.err" >&2 || true
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    return 1
}

# stop_server NAME: SIGTERM, then SIGKILL after 20 s. Records a crash or a
# non-zero exit among the failures.
stop_server() {
    local name=$1 i status=0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for i in $(seq 1 200); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        FAILURES+=("$name: the server did not stop within 20 s of SIGTERM")
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || status=$?
    if [ "$status" -ne 0 ]; then FAILURES+=("$name: the server exited with status $status"); fi
    SERVER_PID=""
}

# jget JSON KEY: a number or word from the bench's flat JSON line.
jget() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<<"$1"; }

# median V...: the median (mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run_scenario NAME KIND REPS SECONDS [SERVER FLAGS...]: runs `hark bench KIND`
# REPS times, each against a fresh server, and appends the JSON lines to
# $WORK/NAME.jsonl. A failed run is recorded and skipped. CHAT_EXTRA holds
# extra flags for `hark bench chat` (--rate, --flow).
run_scenario() {
    local name=$1 kind=$2 reps=$3 secs=$4
    shift 4
    : >"$WORK/$name.jsonl"
    : >"$WORK/$name.srverr"
    local rep dir args limit out line
    for rep in $(seq 1 "$reps"); do
        dir="$WORK/$name-$rep"
        rm -rf "$dir"
        log "$name run $rep/$reps ($kind, ${secs} s${*:+, server $*})"
        if ! start_server "$dir" "$@"; then
            FAILURES+=("$name run $rep: the server did not start (see $dir/server.err)")
            continue
        fi
        if [ "$kind" = chat ]; then
            args=(chat --conns "$CONNS" --duration "$secs" --warmup "$WARMUP" ${CHAT_EXTRA:-})
        else
            args=(idle --conns "$IDLE_CONNS" --hold "$secs")
        fi
        limit=$(awk -v s="$secs" 'BEGIN { printf "%d", s + 180 }')
        out=0
        timeout --signal=INT --kill-after=10 "$limit" "$HARK" bench "${args[@]}" --url "$SERVER_URL" \
            --pid "$SERVER_PID" --json --data-dir "$dir" --log-level warn >"$dir/bench.out" 2>"$dir/bench.err" || out=$?
        stop_server "$name run $rep"
        grep -c ' error ' "$dir/server.err" >>"$WORK/$name.srverr" || true
        if [ "$out" -ne 0 ]; then
            FAILURES+=("$name run $rep: hark bench exited with status $out ($(tail -n 1 "$dir/bench.err" 2>/dev/null))")
        fi
        line=$(grep -m1 '^{' "$dir/bench.out" || true)
        if [ -n "$line" ]; then echo "$line" >>"$WORK/$name.jsonl"; fi
        grep -v '^{' "$dir/bench.out" | sed 's/^/    /' >&2 || true
        # The databases grow by millions of rows per run; keep only the logs.
        rm -f "$dir"/hark.db*
    done
}

# med NAME KEY: the median of KEY over NAME's runs ("nan" when none).
med() {
    local vals=() l
    while IFS= read -r l; do vals+=("$(jget "$l" "$2")"); done <"$WORK/$1.jsonl"
    if [ ${#vals[@]} -eq 0 ]; then echo nan; else median "${vals[@]}"; fi
}
runs() { wc -l <"$WORK/$1.jsonl" | tr -d ' '; }
# server_errors NAME: error lines in the server logs of NAME's runs, summed.
server_errors() { awk '{ n += $1 } END { print n + 0 }' "$WORK/$1.srverr"; }
each() {
    local out="" l
    while IFS= read -r l; do out="$out${out:+, }$(fmt0 "$(jget "$l" "$2")")"; done <"$WORK/$1.jsonl"
    echo "${out:-none}"
}
fmt0() {
    awk -v v="$1" 'BEGIN {
        if (v == "nan" || v == "") { print "n/a"; exit }
        s = sprintf("%.0f", v); sign = ""
        if (substr(s, 1, 1) == "-") { sign = "-"; s = substr(s, 2) }
        out = ""
        while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
        print sign s out }'
}
fmt1() { awk -v v="$1" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else printf "%.1f", v }'; }
fmt2() { awk -v v="$1" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else printf "%.2f", v }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b + 0 == 0) print "nan"; else print a / b }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "nan" && a + 0 >= b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "nan" && a + 0 <= b + 0) }'; }

LONG_REPS=$REPEAT_LONG
log "writing $OUT: chat ${DURATION} s x $LONG_REPS, ceiling and normal ${SHORT} s x $REPEAT, idle ${IDLE_HOLD} s x $REPEAT"
run_scenario ceiling chat "$REPEAT" "$SHORT" --chat-persist false
run_scenario chat chat "$LONG_REPS" "$DURATION"
run_scenario normal chat "$REPEAT" "$SHORT" --durability normal
CHAT_EXTRA="--rate $PACED_RATE" run_scenario paced chat "$REPEAT" "$SHORT"
CHAT_EXTRA="--flow loop" run_scenario loop chat "$REPEAT" "$SHORT"
run_scenario idle idle "$REPEAT" "$IDLE_HOLD"

# ---- the report ----
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cores=$(nproc)
mem_gib=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
kernel=$(uname -sr)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "none (no commit yet)")
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null | head -n 1)" ]; then commit="$commit, with uncommitted changes"; fi
version=$("$HARK" version 2>/dev/null | head -n 1 || echo unknown)
now=$(date -u +%Y-%m-%dT%H:%MZ)
ceiling_rate=$(med ceiling answers_per_s)

# chat_table NAME TITLE REPS: one scenario's table.
chat_table() {
    local name=$1 title=$2 n
    n=$(runs "$name")
    local rate p50 p99 p999 errs scpu bcpu win answers
    rate=$(med "$name" answers_per_s)
    p50=$(med "$name" p50_ms)
    p99=$(med "$name" p99_ms)
    p999=$(med "$name" p999_ms)
    errs=$(med "$name" errors)
    scpu=$(med "$name" server_cpu_s)
    bcpu=$(med "$name" bench_cpu_s)
    win=$(med "$name" window_s)
    answers=$(med "$name" answers)
    echo "### $title"
    echo
    if [ "$n" -eq 0 ]; then
        echo "No run completed; see the failures below."
        echo
        return
    fi
    local rate_note="" p99_note=""
    if [ "$name" = chat ]; then
        if ge "$rate" "$TARGET_RATE"; then rate_note="met"; else rate_note="**missed**"; fi
        if le "$p99" "$TARGET_P99_MS"; then p99_note="met"; else p99_note="**missed**"; fi
    fi
    echo "| figure | median of $n | target | |"
    echo "| --- | ---: | ---: | --- |"
    echo "| answers/s (acknowledged) | $(fmt0 "$rate") | $([ "$name" = chat ] && echo "≥ $(fmt0 $TARGET_RATE)") | $rate_note |"
    echo "| vs the ceiling (no persistence) | $(fmt2 "$(div "$rate" "$ceiling_rate")") × | | |"
    echo "| ack latency p50 | $(fmt2 "$p50") ms | | |"
    echo "| ack latency p99 | $(fmt2 "$p99") ms | $([ "$name" = chat ] && echo "≤ $TARGET_P99_MS ms") | $p99_note |"
    echo "| ack latency p99.9 | $(fmt2 "$p999") ms | | |"
    echo "| errors (error frames, unexpected closes, timeouts) | $(fmt0 "$errs") | 0 | $(le "$errs" 0 && echo met || echo "**missed**") |"
    echo "| error lines in the server log | $(fmt0 "$(server_errors "$name")") | 0 | $(le "$(server_errors "$name")" 0 && echo met || echo "**missed**") |"
    echo "| server CPU | $(fmt2 "$(div "$scpu" "$win")") cores, $(fmt1 "$(div "$scpu" "$(div "$answers" 1000000)")") ms per 1,000 answers | | |"
    echo "| bench CPU | $(fmt2 "$(div "$bcpu" "$win")") cores, $(fmt1 "$(div "$bcpu" "$(div "$answers" 1000000)")") ms per 1,000 answers | | |"
    echo "| answers/s of each run | $(each "$name" answers_per_s) | | |"
    echo
}

idle_table() {
    local n before after hwm per errs ready
    n=$(runs idle)
    echo "### Idle: $(fmt0 "$IDLE_CONNS") connected conversations held ${IDLE_HOLD} s"
    echo
    if [ "$n" -eq 0 ]; then
        echo "No run completed; see the failures below."
        echo
        return
    fi
    before=$(med idle rss_before_kb)
    after=$(med idle rss_after_kb)
    hwm=$(med idle hwm_after_kb)
    per=$(med idle per_conn_kb)
    errs=$(med idle errors)
    ready=$(med idle ready)
    local mb
    mb=$(div "$after" 1024)
    echo "| figure | median of $n | target | |"
    echo "| --- | ---: | ---: | --- |"
    echo "| conversations connected | $(fmt0 "$ready") of $(fmt0 "$IDLE_CONNS") | all | $(ge "$ready" "$IDLE_CONNS" && echo met || echo "**missed**") |"
    echo "| server RSS, empty (baseline) | $(fmt1 "$(div "$before" 1024)") MB | | |"
    echo "| server RSS, all connected at the end of the hold | $(fmt1 "$mb") MB | < $TARGET_IDLE_MB MB | $(le "$mb" "$TARGET_IDLE_MB" && [ "$mb" != "$TARGET_IDLE_MB" ] && echo met || echo "**missed**") |"
    echo "| vs the empty server (baseline) | $(fmt2 "$(div "$after" "$before")") × | | |"
    echo "| server peak RSS (VmHWM) | $(fmt1 "$(div "$hwm" 1024)") MB | | |"
    echo "| server memory per connection | $(fmt1 "$per") KB | | |"
    echo "| errors | $(fmt0 "$errs") | 0 | $(le "$errs" 0 && echo met || echo "**missed**") |"
    echo "| error lines in the server log | $(fmt0 "$(server_errors idle)") | 0 | $(le "$(server_errors idle)" 0 && echo met || echo "**missed**") |"
    echo
}

tmp=$(mktemp)
{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` (bench/run.sh); rerun it rather than editing this file."
    echo "Figures are medians of repeated runs; each chat figure is also given as a ratio"
    echo "to the *ceiling* measured in the same run (the same load against a server started"
    echo "with \`--chat-persist false\`, which acknowledges answers without storing them), so"
    echo "the cost of persistence is visible whatever the machine."
    echo
    echo "| | |"
    echo "| --- | --- |"
    echo "| date (UTC) | $now |"
    echo "| commit | $commit |"
    echo "| binary | $version |"
    echo "| CPU | $cpu_model |"
    echo "| cores | $cores |"
    echo "| memory | $mem_gib GiB |"
    echo "| system | $kernel |"
    echo
    echo "The server (\`hark serve\`, SQLite in a fresh data directory per run, log level"
    echo "warn) and the load generator (\`hark bench\`, one thread) share these $cores cores over"
    echo "127.0.0.1, so the bench's own CPU is shown next to the server's. Each of the"
    echo "$(fmt0 "$CONNS") connections is one employee after another: it opens the chat, runs the"
    echo "built-in pulse flow (five answers: a 1-5 mood, a comment, a choice, eNPS, an optional"
    echo "comment) and, when the server says \`done\`, the next employee's conversation starts"
    echo "on a new connection (new invite, new handshake, new conversation row). Answers go"
    echo "as soon as a question arrives (closed loop) unless paced; an answer counts once"
    echo "its \`ack\` arrives, which the server sends only after the answer is committed"
    echo "(latency = say sent to ack received). Connections open at 500 per 100 ms, then"
    echo "$WARMUP s of warm-up precede the measured window. The *loop* scenario keeps"
    echo "$(fmt0 "$CONNS") conversations open for the whole run with a never-ending flow, so every"
    echo "commit touches $(fmt0 "$CONNS") scattered places in the message index: the store's worst case."
    echo
    echo "## Results"
    echo
    chat_table chat "Chat: $(fmt0 "$CONNS") conversations, durability full (default), ${DURATION} s"
    chat_table ceiling "Ceiling: the same with --chat-persist false (baseline), ${SHORT} s"
    chat_table normal "The same with --durability normal, ${SHORT} s"
    chat_table paced "Paced at $(fmt0 "$PACED_RATE") answers/s, durability full, ${SHORT} s"
    chat_table loop "Worst case: $(fmt0 "$CONNS") never-ending conversations (--flow loop), durability full, ${SHORT} s"
    idle_table
    echo "## Targets"
    echo
    rate=$(med chat answers_per_s)
    p99=$(med chat p99_ms)
    idle_mb=$(div "$(med idle rss_after_kb)" 1024)
    if ge "$rate" "$TARGET_RATE"; then
        echo "- Throughput: met, $(fmt0 "$rate") answers/s at full durability (target $(fmt0 $TARGET_RATE))."
    else
        echo "- Throughput: **missed**, $(fmt0 "$rate") answers/s at full durability is below the $(fmt0 $TARGET_RATE) target."
    fi
    if le "$p99" "$TARGET_P99_MS"; then
        echo "- Latency: met, ack p99 $(fmt2 "$p99") ms (target ≤ $TARGET_P99_MS ms)."
    else
        echo "- Latency: **missed**, ack p99 $(fmt2 "$p99") ms is above the $TARGET_P99_MS ms target."
    fi
    if le "$idle_mb" "$TARGET_IDLE_MB" && [ "$idle_mb" != "$TARGET_IDLE_MB" ]; then
        echo "- Idle memory: met, $(fmt1 "$idle_mb") MB with $(fmt0 "$IDLE_CONNS") conversations (target < $TARGET_IDLE_MB MB)."
    else
        echo "- Idle memory: **missed**, $(fmt1 "$idle_mb") MB with $(fmt0 "$IDLE_CONNS") conversations (target < $TARGET_IDLE_MB MB)."
    fi
    echo
    if [ ${#FAILURES[@]} -gt 0 ]; then
        echo "## Failures"
        echo
        for f in "${FAILURES[@]}"; do echo "- $f"; done
        echo
    fi
    echo "## Reproducing"
    echo
    echo "\`make bench\` builds and runs everything (about 9 minutes). Quicker:"
    echo "\`BENCH_DURATION=10 BENCH_REPEAT=1 make bench\`. One scenario by hand:"
    echo
    echo '```'
    echo "build/hark serve --listen 127.0.0.1:8090 --data-dir /tmp/hb &"
    echo "build/hark bench chat --data-dir /tmp/hb --url ws://127.0.0.1:8090/chat/ws \\"
    echo "    --conns 1000 --duration 60 --pid \$! [--rate 6000] [--flow loop] [--json]"
    echo "build/hark bench idle --data-dir /tmp/hb --url ws://127.0.0.1:8090/chat/ws --conns 10000 --hold 20 --pid \$!"
    echo '```'
    echo
    echo "The bench makes its own fixtures in the server's database (tenant \`bench\`, one"
    echo "employee per connection and enough fresh invites for the run, or the \`bench-loop\`"
    echo "flow with --flow loop), so it needs the server's \`--data-dir\` (or \`--db-url\`)"
    echo "and secret key. Logs of the last run:"
    echo "\`$WORK/\`."
} >"$tmp"
mv "$tmp" "$OUT"
log "wrote $OUT"
sed -n '/^## Targets/,/^## Reproducing/p' "$OUT" | grep -v '^## Reproducing' >&2
if [ ${#FAILURES[@]} -gt 0 ]; then
    printf 'bench: %s\n' "${FAILURES[@]}" >&2
    exit 1
fi
