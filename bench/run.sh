#!/usr/bin/env bash
# `make bench`: measures Hark's chat path with `hark bench` against a real
# `hark serve` on 127.0.0.1, and `hark sentiment` against the npm package
# vader-sentiment, and writes docs/benchmarks.md. Every chat scenario runs
# against its own freshly started server and data directory, and every figure
# is compared with a baseline measured in the same run on the same machine,
# never with figures from elsewhere. It is not a test: it fails only when a
# scenario could not run, not when a target is missed (the report says so plainly).
#
# Scenarios (chat ones: 1,000 connections, each one employee after another
# running the built-in pulse flow, a new connection per conversation):
#   chat      durability full (the default)                        BENCH_DURATION s (60), 1 run
#   ceiling   the same with --chat-persist false (nothing stored)  the baseline for the chat figures
#   normal    the same with --durability normal
#   paced     the same, paced at PACED_RATE answers/s: latency below saturation
#   loop      1,000 never-ending conversations (--flow loop): the worst case for the store
#   idle      10,000 connected conversations held 20 s: server memory
# and, with no server:
#   sentiment `hark sentiment` (and `hark sentiment --compat` when the binary
#             has it) against bench/vader-node.mjs (vader-sentiment on node) on
#             the same corpus: texts/s, peak RSS; BENCH_REPEAT runs of each
# and, against postfix's smtp-sink (bench/outreach.sh, which has the details):
#   outreach  `hark outreach --once` plans and delivers 100,000 invites, against
#             postfix's smtp-source sending as many messages of the same size
#   monday    chat latency in `hark serve` (1,000 paced conversations) while its
#             outreach thread sends 30,000 invites, against the same with outreach off
# and (bench/dashboard.sh):
#   dashboard the HR dashboard's overview and heatmap queries on one tenant of
#             100,000 employees and 10 million messages: median and p95 latency
#
# BENCH_SCENARIOS (all of the above by default) runs only the scenarios named,
# e.g. BENCH_SCENARIOS="sentiment". docs/benchmarks.md has four parts, each
# with its own date and machine: the chat part (the six chat scenarios, which
# share the ceiling as their baseline and the targets list), the sentiment
# section, the outreach section (one sub-part per outreach scenario) and the
# dashboard section. A run replaces the sentiment section when it ran
# sentiment, an outreach sub-part when it ran that scenario, the dashboard
# section when it ran dashboard, and the chat part only when it ran all six chat
# scenarios; the other parts are kept as they were. A run of only some chat
# scenarios writes its chat report to BENCH_WORK/benchmarks-partial.md instead.
#
# Environment: BENCH_DURATION (s, the chat run; the others use at most 20 s),
# BENCH_REPEAT (runs of the short scenarios and of each sentiment contender, 3),
# BENCH_REPEAT_LONG (1), BENCH_CONNS (1000), BENCH_IDLE_CONNS (10000), BENCH_IDLE_HOLD (20),
# BENCH_OUT (docs/benchmarks.md), HARK (build/hark), BENCH_WORK (build/bench),
# BENCH_SENTIMENT_LINES (texts in the sentiment corpus, 300000), NODE (node);
# for outreach and monday: BENCH_OUTREACH_INVITES (100000), BENCH_OUTREACH_CONNS
# (smtp_conns values, "4"; e.g. "4 8"), BENCH_OUTREACH_PLAN_LIMIT (30 s),
# BENCH_OUTREACH_LIMIT (600 s), BENCH_MONDAY_INVITES (30000), BENCH_MONDAY_RATE
# (2000 answers/s), BENCH_MONDAY_DURATION (60 s), SMTP_SINK, SMTP_SOURCE.
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
TARGET_SENTIMENT_X=20 # hark sentiment texts/s as a multiple of vader-sentiment's
PACED_RATE=${BENCH_PACED_RATE:-6000}

SENTIMENT_LINES=${BENCH_SENTIMENT_LINES:-300000}
NODE=${NODE:-node}

die() { echo "bench/run.sh: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

CHAT_SCENARIOS="ceiling chat normal paced loop idle"
OTHER_SCENARIOS="sentiment outreach monday dashboard"
SCENARIOS=$(tr ',' ' ' <<<"${BENCH_SCENARIOS:-$CHAT_SCENARIOS $OTHER_SCENARIOS}")
for s in $SCENARIOS; do
    case " $CHAT_SCENARIOS $OTHER_SCENARIOS " in
    *" $s "*) ;;
    *) die "unknown scenario '$s' in BENCH_SCENARIOS (known: $CHAT_SCENARIOS $OTHER_SCENARIOS)" ;;
    esac
done
# want NAME: whether this run includes scenario NAME.
want() { case " $SCENARIOS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
CHAT_ANY=0
CHAT_ALL=1
for s in $CHAT_SCENARIOS; do
    if want "$s"; then CHAT_ANY=1; else CHAT_ALL=0; fi
done

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
    want "$1" || { echo nan; return; }
    local vals=() l
    while IFS= read -r l; do vals+=("$(jget "$l" "$2")"); done <"$WORK/$1.jsonl"
    if [ ${#vals[@]} -eq 0 ]; then echo nan; else median "${vals[@]}"; fi
}
runs() { if want "$1"; then wc -l <"$WORK/$1.jsonl" | tr -d ' '; else echo 0; fi; }
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

# ---- sentiment: hark sentiment against vader-sentiment on node ----
SENTIMENT_FAILURES=()
SENTIMENT_CORPUS=$WORK/sentiment-corpus.txt
SENTIMENT_SOURCES=(tests/data/sentiment/tweets_GroundTruth.txt tests/data/sentiment/movieReviewSnippets_GroundTruth.txt)
SENTIMENT_VARIANTS=()

# sentiment_cmd VARIANT: the command line of one contender.
sentiment_cmd() {
    case $1 in
    hark) echo "$HARK sentiment" ;;
    compat) echo "$HARK sentiment --compat" ;;
    node) echo "$NODE bench/vader-node.mjs" ;;
    esac
}

# sentiment_time VARIANT: one timed run over the corpus; appends "seconds rss_kb"
# to $WORK/sentiment-VARIANT.runs, or records a failure.
sentiment_time() {
    local v=$1 t0 t1 status=0
    local cmd
    read -r -a cmd <<<"$(sentiment_cmd "$v")"
    t0=$(date +%s.%N)
    /usr/bin/time -f %M -o "$WORK/sentiment-$v.rss" "${cmd[@]}" <"$SENTIMENT_CORPUS" >/dev/null 2>"$WORK/sentiment-$v.err" ||
        status=$?
    t1=$(date +%s.%N)
    if [ "$status" -ne 0 ]; then
        SENTIMENT_FAILURES+=("\`${cmd[*]}\` exited with status $status ($(tail -n 1 "$WORK/sentiment-$v.err" 2>/dev/null))")
        return
    fi
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(tail -n 1 "$WORK/sentiment-$v.rss")" >>"$WORK/sentiment-$v.runs"
}

# run_sentiment: builds the corpus (the text column of SENTIMENT_SOURCES, CRs
# dropped, repeated to SENTIMENT_LINES texts), checks that every contender
# writes one line per text, then times REPEAT runs of each, interleaved.
run_sentiment() {
    local f v rep lines check
    [ -x /usr/bin/time ] || { SENTIMENT_FAILURES+=("/usr/bin/time (GNU time) is missing: run scripts/bootstrap"); return; }
    command -v "$NODE" >/dev/null || { SENTIMENT_FAILURES+=("$NODE not found: run scripts/bootstrap"); return; }
    [ -f node_modules/vader-sentiment/package.json ] ||
        { SENTIMENT_FAILURES+=("node_modules/vader-sentiment is missing: run scripts/bootstrap"); return; }
    for f in "${SENTIMENT_SOURCES[@]}"; do [ -f "$f" ] || { SENTIMENT_FAILURES+=("$f is missing"); return; }; done
    awk -v n="$SENTIMENT_LINES" '{ sub(/\r$/, ""); sub(/^[^\t]*\t[^\t]*\t/, ""); t[c++] = $0 }
        END { for (i = 0; i < n; i++) print t[i % c] }' "${SENTIMENT_SOURCES[@]}" >"$SENTIMENT_CORPUS"
    SENTIMENT_BASE=$(awk 'END { print NR }' "${SENTIMENT_SOURCES[@]}")
    SENTIMENT_VARIANTS=(hark)
    if "$HARK" sentiment --compat </dev/null >/dev/null 2>&1; then SENTIMENT_VARIANTS+=(compat); fi
    SENTIMENT_VARIANTS+=(node)
    # Untimed: every contender scores each distinct text (one line out, not an error).
    check=$((SENTIMENT_LINES < SENTIMENT_BASE ? SENTIMENT_LINES : SENTIMENT_BASE))
    for v in "${SENTIMENT_VARIANTS[@]}"; do
        : >"$WORK/sentiment-$v.runs"
        lines=$(head -n "$check" "$SENTIMENT_CORPUS" | $(sentiment_cmd "$v") 2>/dev/null | grep -vc '^error' || true)
        if [ "$lines" != "$check" ]; then
            SENTIMENT_FAILURES+=("\`$(sentiment_cmd "$v")\` scored $lines of $check texts")
        fi
    done
    for rep in $(seq 1 "$REPEAT"); do
        for v in "${SENTIMENT_VARIANTS[@]}"; do
            log "sentiment run $rep/$REPEAT: $(sentiment_cmd "$v") < $SENTIMENT_CORPUS"
            sentiment_time "$v"
        done
    done
}

. bench/outreach.sh
. bench/dashboard.sh

LONG_REPS=$REPEAT_LONG
log "writing $OUT: scenarios $SCENARIOS (chat ${DURATION} s x $LONG_REPS, other chat ones ${SHORT} s x $REPEAT, idle ${IDLE_HOLD} s x $REPEAT, sentiment x $REPEAT)"
if want ceiling; then run_scenario ceiling chat "$REPEAT" "$SHORT" --chat-persist false; fi
if want chat; then run_scenario chat chat "$LONG_REPS" "$DURATION"; fi
if want normal; then run_scenario normal chat "$REPEAT" "$SHORT" --durability normal; fi
if want paced; then CHAT_EXTRA="--rate $PACED_RATE" run_scenario paced chat "$REPEAT" "$SHORT"; fi
if want loop; then CHAT_EXTRA="--flow loop" run_scenario loop chat "$REPEAT" "$SHORT"; fi
if want idle; then run_scenario idle idle "$REPEAT" "$IDLE_HOLD"; fi
if want sentiment; then run_sentiment; fi
if want outreach; then run_outreach; fi
if want monday; then run_monday; fi
if want dashboard; then run_dashboard; fi

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
    if ! want "$name"; then
        echo "Not run: not in BENCH_SCENARIOS."
        echo
        return
    fi
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
    if ! want idle; then
        echo "Not run: not in BENCH_SCENARIOS."
        echo
        return
    fi
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

# machine_table: when, what and where, as the first rows of a two-column table.
machine_table() {
    echo "| | |"
    echo "| --- | --- |"
    echo "| date (UTC) | $now |"
    echo "| commit | $commit |"
    echo "| binary | $version |"
    echo "| CPU | $cpu_model |"
    echo "| cores | $cores |"
    echo "| memory | $mem_gib GiB |"
    echo "| system | $kernel |"
}

title() {
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` (bench/run.sh); rerun it rather than editing this file."
}

# chat_report: the chat part of the report, from the title to its targets and failures.
chat_report() {
    title
    echo "Figures are medians of repeated runs; each chat figure is also given as a ratio"
    echo "to the *ceiling* measured in the same run (the same load against a server started"
    echo "with \`--chat-persist false\`, which acknowledges answers without storing them), so"
    echo "the cost of persistence is visible whatever the machine."
    echo
    machine_table
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
    local rate p99 idle_mb
    rate=$(med chat answers_per_s)
    p99=$(med chat p99_ms)
    idle_mb=$(div "$(med idle rss_after_kb)" 1024)
    if ! want chat; then
        echo "- Throughput and latency: not measured, chat was not in BENCH_SCENARIOS."
    elif ge "$rate" "$TARGET_RATE"; then
        echo "- Throughput: met, $(fmt0 "$rate") answers/s at full durability (target $(fmt0 $TARGET_RATE))."
    else
        echo "- Throughput: **missed**, $(fmt0 "$rate") answers/s at full durability is below the $(fmt0 $TARGET_RATE) target."
    fi
    if ! want chat; then
        :
    elif le "$p99" "$TARGET_P99_MS"; then
        echo "- Latency: met, ack p99 $(fmt2 "$p99") ms (target ≤ $TARGET_P99_MS ms)."
    else
        echo "- Latency: **missed**, ack p99 $(fmt2 "$p99") ms is above the $TARGET_P99_MS ms target."
    fi
    if ! want idle; then
        echo "- Idle memory: not measured, idle was not in BENCH_SCENARIOS."
    elif le "$idle_mb" "$TARGET_IDLE_MB" && [ "$idle_mb" != "$TARGET_IDLE_MB" ]; then
        echo "- Idle memory: met, $(fmt1 "$idle_mb") MB with $(fmt0 "$IDLE_CONNS") conversations (target < $TARGET_IDLE_MB MB)."
    else
        echo "- Idle memory: **missed**, $(fmt1 "$idle_mb") MB with $(fmt0 "$IDLE_CONNS") conversations (target < $TARGET_IDLE_MB MB)."
    fi
    echo
    list_failures "## Failures" "${FAILURES[@]+"${FAILURES[@]}"}"
}

# list_failures HEADING ITEM...: HEADING and one bullet per ITEM; nothing without items.
list_failures() {
    local heading=$1 f
    shift
    [ $# -gt 0 ] || return 0
    echo "$heading"
    echo
    for f in "$@"; do echo "- $f"; done
    echo
}

# sentiment_figure VARIANT FIELD: the median over VARIANT's runs of field 1
# (wall seconds) or 2 (peak RSS, KB); "nan" when none.
sentiment_figure() {
    local vals=()
    mapfile -t vals < <(awk -v f="$2" '{ print $f }' "$WORK/sentiment-$1.runs" 2>/dev/null)
    if [ ${#vals[@]} -eq 0 ]; then echo nan; else median "${vals[@]}"; fi
}
sentiment_runs() { awk 'END { print NR }' "$WORK/sentiment-$1.runs" 2>/dev/null || echo 0; }
# sentiment_each VARIANT: texts/s of each run.
sentiment_each() {
    local out
    out=$(awk -v n="$SENTIMENT_LINES" '{ printf "%s%.0f", (NR > 1 ? " " : ""), n / $1 }' "$WORK/sentiment-$1.runs" 2>/dev/null)
    local v list=""
    for v in $out; do list="$list${list:+, }$(fmt0 "$v")"; done
    echo "${list:-none}"
}

# sentiment_section: the sentiment part of the report, with its own date and machine.
sentiment_section() {
    local node_version vader_version corpus_mb
    node_version=$("$NODE" --version 2>/dev/null || echo "not found")
    vader_version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' node_modules/vader-sentiment/package.json 2>/dev/null | head -n 1)
    corpus_mb=$(div "$(wc -c <"$SENTIMENT_CORPUS" 2>/dev/null || echo nan)" 1048576)
    echo "## Sentiment: \`hark sentiment\` against vader-sentiment"
    echo
    machine_table
    echo "| baseline | vader-sentiment ${vader_version:-?} (npm) on node $node_version |"
    echo
    echo "Each run is one process that reads the corpus on stdin and writes one line of"
    echo "scores per text to /dev/null: \`hark sentiment\` (compound, pos, neu, neg and the"
    echo "red flags), then bench/vader-node.mjs, the same job done by the npm package"
    echo "vader-sentiment (compound, pos, neu, neg), the reference implementation that"
    echo "\`hark sentiment --compat\` follows. The corpus is the text column of"
    echo "tests/data/sentiment (tweets and movie-review snippets, $(fmt0 "${SENTIMENT_BASE:-nan}") texts) repeated to"
    echo "$(fmt0 "$SENTIMENT_LINES") texts ($(fmt1 "$corpus_mb") MB). Wall time is the whole process's, start-up"
    echo "included; peak RSS is GNU time's maximum resident set size. The runs of the"
    echo "contenders alternate; figures are medians."
    echo
    if [ "$(sentiment_runs hark)" -eq 0 ] || [ "$(sentiment_runs node)" -eq 0 ]; then
        echo "No run completed; see the failures below."
        echo
    else
        sentiment_table
    fi
    list_failures "Failures:" "${SENTIMENT_FAILURES[@]+"${SENTIMENT_FAILURES[@]}"}"
}

# sentiment_table: the figures and the verdict on the target.
sentiment_table() {
    local v label secs rate ratio base_rate hark_rate hark_ratio verdict="**missed**"
    base_rate=$(div "$SENTIMENT_LINES" "$(sentiment_figure node 1)")
    hark_rate=$(div "$SENTIMENT_LINES" "$(sentiment_figure hark 1)")
    hark_ratio=$(div "$hark_rate" "$base_rate")
    if ge "$hark_ratio" "$TARGET_SENTIMENT_X"; then verdict=met; fi
    echo "| figure | median of $(sentiment_runs hark) | target | |"
    echo "| --- | ---: | ---: | --- |"
    for v in "${SENTIMENT_VARIANTS[@]}"; do
        case $v in
        hark) label="\`hark sentiment\`" ;;
        compat) label="\`hark sentiment --compat\`" ;;
        node) label="vader-sentiment on node (baseline)" ;;
        esac
        secs=$(sentiment_figure "$v" 1)
        rate=$(div "$SENTIMENT_LINES" "$secs")
        ratio=$(div "$rate" "$base_rate")
        echo "| $label: texts/s | $(fmt0 "$rate") | | |"
        if [ "$v" = hark ]; then
            echo "| $label: vs vader-sentiment | $(fmt1 "$ratio") × | ≥ $TARGET_SENTIMENT_X × | $verdict |"
        elif [ "$v" = compat ]; then
            echo "| $label: vs vader-sentiment | $(fmt1 "$ratio") × | | |"
        fi
        echo "| $label: wall time | $(fmt2 "$secs") s | | |"
        echo "| $label: peak RSS | $(fmt1 "$(div "$(sentiment_figure "$v" 2)" 1024)") MB | | |"
        echo "| $label: texts/s of each run | $(sentiment_each "$v") | | |"
    done
    case " ${SENTIMENT_VARIANTS[*]} " in
    *" compat "*) ;;
    *) echo "| \`hark sentiment --compat\` | not in this binary | | |" ;;
    esac
    echo
    echo "- Speed: $verdict, \`hark sentiment\` scores $(fmt0 "$hark_rate") texts/s, $(fmt1 "$hark_ratio") × vader-sentiment's $(fmt0 "$base_rate") (target ≥ $TARGET_SENTIMENT_X ×)."
    echo
}

reproducing() {
    echo "## Reproducing"
    echo
    echo "\`make bench\` builds and runs everything (about 9 minutes of chat, 4 of sentiment). Quicker:"
    echo "\`BENCH_DURATION=10 BENCH_REPEAT=1 make bench\`. Only some scenarios:"
    echo "\`BENCH_SCENARIOS=\"sentiment\" bench/run.sh\` (names: $CHAT_SCENARIOS $OTHER_SCENARIOS). This file"
    echo "has four parts, each with its own date: the chat part, replaced only by a run of"
    echo "all six chat scenarios (they share the ceiling and the targets), the sentiment"
    echo "section, the outreach section (about 11 minutes; its two scenarios are replaced"
    echo "separately) and the dashboard section (about 5 minutes); a run keeps the part it did"
    echo "not measure as it was. One scenario by hand:"
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
    echo "and secret key. The sentiment scenario by hand, after a run has made its corpus:"
    echo
    echo '```'
    echo "/usr/bin/time -f %M build/hark sentiment [--compat] < $WORK/sentiment-corpus.txt > /dev/null"
    echo "/usr/bin/time -f %M node bench/vader-node.mjs < $WORK/sentiment-corpus.txt > /dev/null"
    echo '```'
    echo
    echo "Logs of the last run: \`$WORK/\`."
}

# old_chat_part, old_sentiment_part: those parts of the report as it stands.
old_chat_part() { awk '/^## (Sentiment|Outreach|Dashboard|Reproducing)/ { exit } { print }' "$OUT"; }
old_sentiment_part() { awk '/^## / { on = /^## Sentiment/ } on { print }' "$OUT"; }

if [ "$CHAT_ANY" -eq 1 ]; then chat_report >"$WORK/report-chat.md"; fi
if want sentiment; then sentiment_section >"$WORK/report-sentiment.md"; fi
OUTREACH_ANY=0
if want outreach || want monday; then OUTREACH_ANY=1; fi
if [ "$OUTREACH_ANY" -eq 1 ]; then outreach_section >"$WORK/report-outreach.md"; fi
if want dashboard; then dashboard_section >"$WORK/report-dashboard.md"; fi
if [ "$CHAT_ANY" -eq 1 ] && [ "$CHAT_ALL" -eq 0 ]; then
    mv "$WORK/report-chat.md" "$WORK/benchmarks-partial.md"
    log "only some chat scenarios ran: their report is in $WORK/benchmarks-partial.md; $OUT keeps its chat part"
fi
tmp=$(mktemp)
{
    if [ "$CHAT_ALL" -eq 1 ]; then
        cat "$WORK/report-chat.md"
    elif [ -f "$OUT" ] && grep -q '^## Results' "$OUT"; then
        old_chat_part
    else
        title
        echo
        echo "No chat figures yet: \`make bench\` measures them."
        echo
    fi
    if want sentiment; then
        cat "$WORK/report-sentiment.md"
    elif [ -f "$OUT" ]; then
        old_sentiment_part
    fi
    if [ "$OUTREACH_ANY" -eq 1 ]; then
        cat "$WORK/report-outreach.md"
    elif [ -f "$OUT" ]; then
        old_outreach_part
    fi
    if want dashboard; then
        cat "$WORK/report-dashboard.md"
    elif [ -f "$OUT" ]; then
        old_dashboard_part
    fi
    reproducing
} >"$tmp"
mv "$tmp" "$OUT"
log "wrote $OUT"
if [ "$CHAT_ALL" -eq 1 ]; then sed -n '/^## Targets/,$p' "$WORK/report-chat.md" >&2; fi
if want sentiment; then cat "$WORK/report-sentiment.md" >&2; fi
if [ "$OUTREACH_ANY" -eq 1 ]; then grep -E '^(- |\| hark)' "$WORK/report-outreach.md" >&2 || true; fi
if want dashboard; then grep -E '^\| ' "$WORK/report-dashboard.md" >&2 || true; fi
if [ ${#FAILURES[@]} -gt 0 ] || [ ${#SENTIMENT_FAILURES[@]} -gt 0 ] || [ ${#OUTREACH_FAILURES[@]} -gt 0 ] ||
    [ ${#MONDAY_FAILURES[@]} -gt 0 ] || [ ${#DASHBOARD_FAILURES[@]} -gt 0 ]; then
    printf 'bench: %s\n' "${FAILURES[@]+"${FAILURES[@]}"}" "${SENTIMENT_FAILURES[@]+"${SENTIMENT_FAILURES[@]}"}" \
        "${OUTREACH_FAILURES[@]+"${OUTREACH_FAILURES[@]}"}" "${MONDAY_FAILURES[@]+"${MONDAY_FAILURES[@]}"}" \
        "${DASHBOARD_FAILURES[@]+"${DASHBOARD_FAILURES[@]}"}" >&2
    exit 1
fi
