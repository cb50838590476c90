# The outreach part of `make bench`, sourced by bench/run.sh (which provides
# HARK, WORK, REPEAT, CONNS, WARMUP, want, log, median, jget, the fmt/div/ge/le
# helpers, start_server, machine_table and list_failures). Two scenarios, each
# against postfix's smtp-sink on 127.0.0.1 (it accepts and discards, counting):
#
#   outreach  `hark outreach --once` plans and delivers OUTREACH_INVITES invites
#             from a fresh data directory, against postfix's smtp-source pushing
#             as many messages of about the same size to the same kind of sink
#             over as many reused connections: the ceiling, measured in the same
#             run. Both alternate, BENCH_REPEAT times for each --smtp-conns in
#             OUTREACH_CONNS.
#   monday    `hark serve` with CONNS paced chat conversations while its own
#             outreach thread sends MONDAY_INVITES invites, against the same run
#             with --outreach false (the baseline): same data, same load.
#
# Not for correctness: tests/integration/outreach.test.mjs checks what is sent.
# A hark run that takes too long is stopped and reported as such (a missed
# target, not a failure); only a scenario that cannot run at all is a failure.

OUTREACH_INVITES=${BENCH_OUTREACH_INVITES:-100000}
OUTREACH_CONNS=${BENCH_OUTREACH_CONNS:-4} # smtp_conns values to try; 4 is the documented default
OUTREACH_PLAN_LIMIT=${BENCH_OUTREACH_PLAN_LIMIT:-30} # s a hark run may plan before its first message
OUTREACH_LIMIT=${BENCH_OUTREACH_LIMIT:-600}          # s a hark run may take in all
MONDAY_INVITES=${BENCH_MONDAY_INVITES:-30000}
MONDAY_RATE=${BENCH_MONDAY_RATE:-2000}        # chat answers/s, well below saturation (see "paced")
MONDAY_DURATION=${BENCH_MONDAY_DURATION:-60}  # s of measured chat window
MONDAY_SWITCH_AFTER=3                         # s into the measured window: the campaign is switched on
MONDAY_PLAN_INTERVAL_MS=10000                 # so the switch is noticed within 10 s (default 60 s)
TARGET_OUTREACH_X=0.8                         # hark messages/s as a fraction of smtp-source's
TARGET_MONDAY_P99_X=1.5                       # chat p99 with outreach on, as a multiple of off

OUTREACH_DAY=2026-12-02        # a Wednesday: the campaign's date
OUTREACH_NOW=2026-12-02T16:00:00Z # 10:00 has passed in every zone of the CSV, none is in quiet hours
OUTREACH_FROM=hark@acme.example
SMTP_SINK=${SMTP_SINK:-$(command -v smtp-sink || echo /usr/sbin/smtp-sink)}
SMTP_SOURCE=${SMTP_SOURCE:-$(command -v smtp-source || echo /usr/sbin/smtp-source)}
OUTREACH_FAILURES=()
OUTREACH_NOTES=()
OUTREACH_VARIANTS=(shipped)
MONDAY_FAILURES=()
SINK_PID=""
SINK_PORT=""

now_s() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# sink_start OUT: starts smtp-sink on a free port of 127.0.0.1 with running
# counters (-c: "mesg=N" after each message) written to OUT, and nothing else
# (no -d/-D: no files). As root it must drop to an unprivileged user (-u).
# Sets SINK_PID and SINK_PORT; 1 when no port could be had.
sink_start() {
    local out=$1 try i user=()
    if [ "$(id -u)" = 0 ]; then user=(-u nobody); fi
    for try in 1 2 3 4 5; do
        SINK_PORT=$((20000 + RANDOM % 40000))
        "$SMTP_SINK" -c "${user[@]}" -m 1024 "127.0.0.1:$SINK_PORT" 1024 >"$out" 2>"$out.err" &
        SINK_PID=$!
        for i in $(seq 1 50); do
            if ! command -v ss >/dev/null; then
                sleep 0.5 # no ss(8) to ask: give it time to bind, then check it is alive
                kill -0 "$SINK_PID" 2>/dev/null && return 0
                break
            fi
            if ss -Hltn "sport = :$SINK_PORT" 2>/dev/null | grep -q .; then return 0; fi
            kill -0 "$SINK_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill "$SINK_PID" 2>/dev/null || true
        wait "$SINK_PID" 2>/dev/null || true
    done
    SINK_PID=""
    return 1
}

sink_stop() {
    if [ -n "$SINK_PID" ]; then
        kill "$SINK_PID" 2>/dev/null || true
        wait "$SINK_PID" 2>/dev/null || true
    fi
    SINK_PID=""
}

# sink_count OUT: messages the sink has taken so far (its last "mesg=N").
sink_count() {
    local n
    n=$(tail -c 64 "$1" 2>/dev/null | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -n 1)
    echo "${n:-0}"
}

# outreach_tenant DIR CSV ACTIVE: a fresh data directory DIR holding tenant
# acme, the employees of CSV, the four default touchpoints switched off and
# the campaign "launch" due on OUTREACH_DAY (switched on when ACTIVE is true).
# Writes the import's wall time to DIR/import.s.
outreach_tenant() {
    local dir=$1 csv=$2 active=$3 tp t0
    local d=(--data-dir "$dir")
    rm -rf "$dir"
    mkdir -p "$dir"
    # stdout holds the admin's one-time password: not kept.
    "$HARK" tenant create acme --name Acme --admin owner@acme.example --timezone Europe/Paris "${d[@]}" \
        >/dev/null 2>"$dir/setup.err" || return 1
    t0=$(now_s)
    "$HARK" import employees --tenant acme "$csv" "${d[@]}" >"$dir/setup.out" 2>>"$dir/setup.err" || return 1
    elapsed "$t0" "$(now_s)" >"$dir/import.s"
    for tp in onboarding tenure pulse exit; do
        "$HARK" touchpoint set --tenant acme --name "$tp" --active false "${d[@]}" >>"$dir/setup.out" 2>>"$dir/setup.err" ||
            return 1
    done
    "$HARK" touchpoint set --tenant acme --name launch --kind adhoc --flow pulse --rule "{\"date\":\"$OUTREACH_DAY\"}" \
        --active "$active" "${d[@]}" >>"$dir/setup.out" 2>>"$dir/setup.err"
}

# steer_planner DIR: the diagnostic variant's only difference. The planner
# asks, for every employee, for the latest send_at of their invites
# (INV_LAST_AT). With no statistics SQLite answers max() from the index
# invites_tenant_send (tenant_id, send_at), walking the tenant's invites
# backwards until it meets one of that employee's, which for a new employee
# is all of them: planning is quadratic in the tenant's invites. Two rows of
# sqlite_stat1 (what ANALYZE would write once the table is full) make it use
# invites_tenant_employee instead, as a fix in the store would. Drop this
# variant once the shipped planner plans 100,000 employees in seconds.
steer_planner() {
    sqlite3 "$1/hark.db" "ANALYZE invites; DELETE FROM sqlite_stat1 WHERE tbl = 'invites';
        INSERT INTO sqlite_stat1 VALUES ('invites', 'invites_tenant_employee', '100000 100000 1'),
            ('invites', 'invites_tenant_send', '100000 100000 100000');"
}

# ---- outreach: hark outreach --once against smtp-source ----

# outreach_size: the mean size in bytes of one invite as hark writes it
# (file: transport, 50 employees of the same CSV), and smtp-source's -l for
# a message of that size on the wire: smtp-source adds about 137 bytes of
# headers and cuts its payload into lines of 80 characters plus CRLF.
outreach_size() {
    local dir=$WORK/outreach-size
    head -n 51 "$WORK/outreach-employees.csv" >"$WORK/outreach-size.csv"
    outreach_tenant "$dir" "$WORK/outreach-size.csv" true || return 1
    "$HARK" --now "$OUTREACH_NOW" outreach --once --data-dir "$dir" --smtp-url "file:$dir/eml" --outreach-rate 0 \
        --mail-from "Hark <$OUTREACH_FROM>" >"$dir/size.out" 2>"$dir/size.err" || return 1
    OUTREACH_MSG_BYTES=$(cat "$dir"/eml/*.eml | wc -c | awk -v n="$(ls "$dir"/eml | wc -l)" '{ printf "%.0f", $1 / n }')
    OUTREACH_SOURCE_L=$(awk -v s="$OUTREACH_MSG_BYTES" 'BEGIN { printf "%.0f", (s - 137) * 80 / 82 }')
}

# source_run C REP: smtp-source sends OUTREACH_INVITES messages over C reused
# connections (-d) to a fresh sink. Appends "wall user sys rss_kb" to
# $WORK/outreach-source-C.runs.
source_run() {
    local c=$1 rep=$2 out=$WORK/outreach-source-$1-$2 status=0 n
    log "outreach run $rep/$REPEAT: smtp-source, $(fmt0 "$OUTREACH_INVITES") messages over $c connections"
    if ! sink_start "$out.sink"; then
        OUTREACH_FAILURES+=("outreach: smtp-sink did not start ($(tail -n 1 "$out.sink.err" 2>/dev/null))")
        return
    fi
    /usr/bin/time -f '%e %U %S %M' -o "$out.time" "$SMTP_SOURCE" -d -s "$c" -m "$OUTREACH_INVITES" \
        -l "$OUTREACH_SOURCE_L" -f "$OUTREACH_FROM" -t someone@acme.example "127.0.0.1:$SINK_PORT" \
        >"$out.out" 2>"$out.err" || status=$?
    sleep 0.2
    n=$(sink_count "$out.sink")
    sink_stop
    if [ "$status" -ne 0 ] || [ "$n" != "$OUTREACH_INVITES" ]; then
        OUTREACH_FAILURES+=("outreach: smtp-source exited with status $status, the sink counted $n messages ($(tail -n 1 "$out.err" 2>/dev/null))")
        return
    fi
    tail -n 1 "$out.time" >>"$WORK/outreach-source-$c.runs"
}

# hark_run VARIANT C REP: one `hark outreach --once` over C connections on a
# fresh copy of the template (VARIANT shipped, or steered: see steer_planner)
# to a fresh sink. Planning time is from the start to the first message at
# the sink (the planner finishes before the mailer starts), delivery time
# from there to the process's exit. Appends "wall plan deliver user sys
# rss_kb" to $WORK/outreach-VARIANT-C.runs; a run stopped for taking longer
# than OUTREACH_PLAN_LIMIT s to plan or OUTREACH_LIMIT s in all writes a line
# to $WORK/outreach-VARIANT-C.stopped instead. Returns 2 when stopped.
hark_run() {
    local v=$1 c=$2 rep=$3 dir=$WORK/outreach-$1-$2-$3 t0 t first="" status=0 n why="" pid
    log "outreach run $rep/$REPEAT: hark outreach --once ($v), $(fmt0 "$OUTREACH_INVITES") invites over $c connections"
    rm -rf "$dir"
    cp -r "$WORK/outreach-template" "$dir"
    if [ "$v" = steered ] && ! steer_planner "$dir" 2>"$dir/steer.err"; then
        OUTREACH_FAILURES+=("outreach: could not steer the planner ($(tail -n 1 "$dir/steer.err"))")
        return 1
    fi
    if ! sink_start "$dir/sink"; then
        OUTREACH_FAILURES+=("outreach: smtp-sink did not start ($(tail -n 1 "$dir/sink.err" 2>/dev/null))")
        return 1
    fi
    t0=$(now_s)
    /usr/bin/time -f '%e %U %S %M' -o "$dir/time" "$HARK" --now "$OUTREACH_NOW" outreach --once --data-dir "$dir" \
        --smtp-url "smtp://127.0.0.1:$SINK_PORT" --smtp-tls off --outreach-rate 0 --smtp-conns "$c" \
        --mail-from "Hark <$OUTREACH_FROM>" --log-level warn >"$dir/out" 2>"$dir/err" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.2
        t=$(elapsed "$t0" "$(now_s)")
        if [ -z "$first" ] && [ "$(sink_count "$dir/sink")" -gt 0 ]; then first=$t; fi
        if [ -z "$first" ] && ge "$t" "$OUTREACH_PLAN_LIMIT"; then
            why="planning did not finish within $OUTREACH_PLAN_LIMIT s"
        elif ge "$t" "$OUTREACH_LIMIT"; then
            why="it did not finish within $OUTREACH_LIMIT s"
        fi
        if [ -n "$why" ]; then
            # /usr/bin/time's child is hark: stop it (pages and sent rows are committed as they go).
            kill -TERM "$(ps -o pid= --ppid "$pid")" 2>/dev/null || true
            break
        fi
    done
    wait "$pid" 2>/dev/null || status=$?
    t=$(elapsed "$t0" "$(now_s)")
    n=$(sink_count "$dir/sink")
    sink_stop
    if [ -n "$why" ]; then
        local planned
        planned=$(grep -o 'planned [0-9]* of [0-9]* employees' "$dir/err" | tail -n 1 | awk '{ print $2 }')
        echo "$why; by then $(fmt0 "${planned:-0}") of $(fmt0 "$OUTREACH_INVITES") employees planned and $(fmt0 "$n") messages sent" \
            >>"$WORK/outreach-$v-$c.stopped"
        log "    stopped: $(tail -n 1 "$WORK/outreach-$v-$c.stopped")"
        rm -f "$dir"/hark.db*
        return 2
    fi
    [ -n "$first" ] || first=$t
    if [ "$status" -ne 0 ] || [ "$n" != "$OUTREACH_INVITES" ]; then
        OUTREACH_FAILURES+=("outreach: hark ($v) exited with status $status, the sink counted $n of $OUTREACH_INVITES ($(tail -n 1 "$dir/err" 2>/dev/null))")
        return 1
    fi
    # GNU time's wall clock is the exact one; the sink was read every 0.2 s.
    t=$(tail -n 1 "$dir/time" | awk '{ print $1 }')
    echo "$t $first $(elapsed "$first" "$t") $(tail -n 1 "$dir/time" | awk '{ print $2, $3, $4 }')" \
        >>"$WORK/outreach-$v-$c.runs"
    grep -v '^outreach: ' "$dir/out" | sed 's/^/    /' >&2 || true
    rm -f "$dir"/hark.db*
}

run_outreach() {
    local c rep tool v
    OUTREACH_LOAD_BEFORE=$(load_now)
    for tool in "$SMTP_SINK" "$SMTP_SOURCE" /usr/bin/time; do
        [ -x "$tool" ] || { OUTREACH_FAILURES+=("outreach: $tool is missing (run scripts/bootstrap: postfix, time)"); return; }
    done
    log "outreach: template data directory with $(fmt0 "$OUTREACH_INVITES") employees"
    awk -v n="$OUTREACH_INVITES" -f bench/gen-employees.awk >"$WORK/outreach-employees.csv"
    if ! outreach_tenant "$WORK/outreach-template" "$WORK/outreach-employees.csv" true; then
        OUTREACH_FAILURES+=("outreach: setting up the tenant failed ($(tail -n 1 "$WORK/outreach-template/setup.err"))")
        return
    fi
    if ! outreach_size; then
        OUTREACH_FAILURES+=("outreach: measuring the size of an invite failed ($(tail -n 1 "$WORK/outreach-size/size.err"))")
        return
    fi
    OUTREACH_VARIANTS=(shipped)
    for c in $OUTREACH_CONNS; do
        for v in source shipped steered; do rm -f "$WORK/outreach-$v-$c.runs" "$WORK/outreach-$v-$c.stopped"; done
    done
    # The shipped binary first; when it has to be stopped, its remaining runs
    # are skipped and the steered variant runs in their place.
    for rep in $(seq 1 "$REPEAT"); do
        for c in $OUTREACH_CONNS; do
            source_run "$c" "$rep"
            if [ ! -f "$WORK/outreach-shipped-$c.stopped" ]; then hark_run shipped "$c" "$rep" || true; fi
            if [ -f "$WORK/outreach-shipped-$c.stopped" ]; then
                if command -v sqlite3 >/dev/null; then
                    OUTREACH_VARIANTS=(shipped steered)
                    hark_run steered "$c" "$rep" || true
                elif [ "$rep" = 1 ]; then
                    OUTREACH_NOTES+=("the steered diagnostic needs the sqlite3 command line tool, which is missing")
                fi
            fi
        done
    done
    OUTREACH_LOAD_AFTER=$(load_now)
}

# ---- monday: chat latency in hark serve while its outreach thread sends ----

# monday_stop NAME: SIGTERM, then SIGKILL after 20 s (as stop_server does),
# recording a late stop or a non-zero exit among MONDAY_FAILURES.
monday_stop() {
    local name=$1 i status=0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for i in $(seq 1 200); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        MONDAY_FAILURES+=("$name: the server did not stop within 20 s of SIGTERM (killed)")
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 137 ]; then MONDAY_FAILURES+=("$name: the server exited with status $status"); fi
    SERVER_PID=""
}

# monday_run MODE REP: MODE off (outreach false: the baseline) or on. A fresh
# copy of the template (the campaign switched off), the server, then the paced
# chat bench. Its measured window starts WARMUP s after its connections are
# up (seen with ss(8)); MONDAY_SWITCH_AFTER s into the window `hark touchpoint
# set` switches the campaign on, in both modes, and the outreach thread (on)
# plans it at its next pass and sends. The sink is read every 0.5 s. Appends
# the bench's JSON line, with the outreach figures added, to
# $WORK/monday-MODE.jsonl (latencies -1 when no answer was acknowledged).
monday_run() {
    local mode=$1 rep=$2 dir=$WORK/monday-$1-$2 bpid t0 t t_up="" t_on="" first=-1 all=-1 n=0 status=0 line win wstart
    local port
    local flags=(--now "$OUTREACH_NOW" --outreach-plan-interval-ms "$MONDAY_PLAN_INTERVAL_MS")
    log "monday run $rep/$REPEAT: outreach $mode, $(fmt0 "$CONNS") conversations at $(fmt0 "$MONDAY_RATE") answers/s, ${MONDAY_DURATION} s"
    rm -rf "$dir"
    cp -r "$WORK/monday-template" "$dir"
    if [ "$mode" = on ]; then
        if ! sink_start "$dir/sink"; then
            MONDAY_FAILURES+=("monday: smtp-sink did not start ($(tail -n 1 "$dir/sink.err" 2>/dev/null))")
            return
        fi
        flags+=(--outreach true --smtp-url "smtp://127.0.0.1:$SINK_PORT" --smtp-tls off --outreach-rate 0)
    else
        flags+=(--outreach false)
    fi
    if ! start_server "$dir" "${flags[@]}"; then
        MONDAY_FAILURES+=("monday $mode run $rep: the server did not start (see $dir/server.err)")
        sink_stop
        return
    fi
    port=${SERVER_URL#ws://*:}
    port=${port%%/*}
    t0=$(now_s)
    timeout --signal=INT --kill-after=10 "$((MONDAY_DURATION + 120))" "$HARK" --now "$OUTREACH_NOW" bench chat \
        --conns "$CONNS" --rate "$MONDAY_RATE" --duration "$MONDAY_DURATION" --warmup "$WARMUP" --url "$SERVER_URL" \
        --pid "$SERVER_PID" --json --data-dir "$dir" --log-level warn >"$dir/bench.out" 2>"$dir/bench.err" &
    bpid=$!
    while kill -0 "$bpid" 2>/dev/null; do
        sleep 0.25
        t=$(elapsed "$t0" "$(now_s)")
        # The bench first writes its fixtures (seconds), then connects: up
        # when 90 % of its connections are established (or after 60 s).
        if [ -z "$t_up" ] && { [ "$(ss -Htn state established "sport = :$port" 2>/dev/null | wc -l)" -ge $((CONNS * 9 / 10)) ] ||
            ge "$t" 60; }; then
            t_up=$t
        fi
        if [ -z "$t_on" ] && [ -n "$t_up" ] && ge "$(elapsed "$t_up" "$t")" "$((WARMUP + MONDAY_SWITCH_AFTER))"; then
            t_on=$t
            "$HARK" touchpoint set --tenant acme --name launch --active true --data-dir "$dir" >/dev/null 2>"$dir/switch.err" ||
                MONDAY_FAILURES+=("monday $mode run $rep: switching the campaign on failed ($(tail -n 1 "$dir/switch.err"))")
        fi
        if [ "$mode" = on ]; then
            n=$(sink_count "$dir/sink")
            if [ "$first" = -1 ] && [ "$n" -gt 0 ]; then first=$(elapsed "$t_on" "$t"); fi
            if [ "$all" = -1 ] && [ "$n" -ge "$MONDAY_INVITES" ]; then all=$(elapsed "$t_on" "$t"); fi
        fi
    done
    wait "$bpid" 2>/dev/null || status=$?
    t=$(elapsed "$t0" "$(now_s)")
    if [ "$mode" = on ]; then n=$(sink_count "$dir/sink"); fi
    monday_stop "monday $mode run $rep"
    sink_stop
    if [ "$status" -ne 0 ]; then
        MONDAY_FAILURES+=("monday $mode run $rep: hark bench exited with status $status ($(tail -n 1 "$dir/bench.err" 2>/dev/null))")
    fi
    line=$(grep -m1 '^{' "$dir/bench.out" || true)
    grep -v '^{' "$dir/bench.out" | sed 's/^/    /' >&2 || true
    rm -f "$dir"/hark.db*
    [ -n "$line" ] || return 0
    if [ "$(jget "$line" answers)" = 0 ]; then
        line=$(sed -E 's/"(p50_ms|p99_ms|p999_ms|max_ms)":[^,}]*/"\1":-1/g' <<<"$line")
    fi
    # The window ends when the bench reports, just before it exits.
    win=$(jget "$line" window_s)
    wstart=$(awk -v t="$t" -v w="$win" 'BEGIN { print t - w }')
    echo "${line%\}},\"switch_s\":$(elapsed "$wstart" "${t_on:-$t}"),\"window_end_s\":$(elapsed "$t_on" "$t"),\"sink\":$n,\"first_s\":$first,\"all_s\":$all,\"server_errors\":$(grep -c ' error ' "$dir/server.err" || true),\"busy\":$(grep -c 'database busy' "$dir/server.err" || true)}" \
        >>"$WORK/monday-$mode.jsonl"
    log "    outreach $mode: $n invites at the sink by the end of the window"
}

run_monday() {
    local rep mode
    MONDAY_LOAD_BEFORE=$(load_now)
    [ -x "$SMTP_SINK" ] || { MONDAY_FAILURES+=("monday: $SMTP_SINK is missing (run scripts/bootstrap: postfix)"); return; }
    log "monday: template data directory with $(fmt0 "$MONDAY_INVITES") employees"
    awk -v n="$MONDAY_INVITES" -f bench/gen-employees.awk >"$WORK/monday-employees.csv"
    if ! outreach_tenant "$WORK/monday-template" "$WORK/monday-employees.csv" false; then
        MONDAY_FAILURES+=("monday: setting up the tenant failed ($(tail -n 1 "$WORK/monday-template/setup.err"))")
        return
    fi
    : >"$WORK/monday-off.jsonl"
    : >"$WORK/monday-on.jsonl"
    for rep in $(seq 1 "$REPEAT"); do
        for mode in off on; do monday_run "$mode" "$rep"; done
    done
    MONDAY_LOAD_AFTER=$(load_now)
}

# ---- the report ----

# ofig FILE FIELD: the median of field FIELD over the lines of FILE ("nan" when none).
ofig() {
    local vals=()
    mapfile -t vals < <(awk -v f="$2" '{ print $f }' "$1" 2>/dev/null)
    if [ ${#vals[@]} -eq 0 ]; then echo nan; else median "${vals[@]}"; fi
}
# ocpu FILE F: the median of fields F and F+1 added (user + system CPU seconds).
ocpu() {
    local vals=()
    mapfile -t vals < <(awk -v f="$2" '{ print $f + $(f + 1) }' "$1" 2>/dev/null)
    if [ ${#vals[@]} -eq 0 ]; then echo nan; else median "${vals[@]}"; fi
}
olines() { if [ -f "$1" ]; then awk 'END { print NR }' "$1"; else echo 0; fi; }
# oeach FILE: messages/s of each run (field 1 is the wall time).
oeach() {
    local v list=""
    for v in $(awk -v n="$OUTREACH_INVITES" '{ print n / $1 }' "$1" 2>/dev/null); do list="$list${list:+, }$(fmt0 "$v")"; done
    echo "${list:-none}"
}
# mmed MODE KEY: the median of KEY over the monday runs of MODE; with a third
# argument, only over the runs where KEY is not -1 (not reached).
mmed() {
    local vals=() l v
    while IFS= read -r l; do
        v=$(jget "$l" "$2")
        if [ -z "${3:-}" ] || [ "$v" != -1 ]; then vals+=("$v"); fi
    done <"$WORK/monday-$1.jsonl"
    if [ ${#vals[@]} -eq 0 ]; then echo nan; else median "${vals[@]}"; fi
}
mruns() { olines "$WORK/monday-$1.jsonl"; }
meach() {
    local out="" l v
    while IFS= read -r l; do
        v=$(jget "$l" "$2")
        if [ "$v" = -1 ]; then v="none"; else v=$(fmt2 "$v"); fi
        out="$out${out:+, }$v"
    done <"$WORK/monday-$1.jsonl"
    echo "${out:-none}"
}
# mcount MODE KEY: runs of MODE where KEY is not -1.
mcount() { grep -c "\"$2\":[0-9]" "$WORK/monday-$1.jsonl" || true; }

load_now() { awk '{ print $1 ", " $2 ", " $3 }' /proc/loadavg; }

# scenario_table LOAD_BEFORE LOAD_AFTER: machine_table plus the load and the tools.
scenario_table() {
    machine_table
    echo "| load average (1, 5, 15 min) before | $1 |"
    echo "| load average (1, 5, 15 min) after | $2 |"
    echo "| smtp-sink, smtp-source | postfix $(postconf -dh mail_version 2>/dev/null || echo "?") |"
}

# outreach_table C: the figures for C connections.
outreach_table() {
    local c=$1 src=$WORK/outreach-source-$1.runs base_rate v label f rate ratio dl cpu
    echo "#### $(fmt0 "$OUTREACH_INVITES") invites over $c connections (\`--smtp-conns $c\`)"
    echo
    base_rate=$(div "$OUTREACH_INVITES" "$(ofig "$src" 1)")
    echo "| figure | median of $(olines "$src") | target | |"
    echo "| --- | ---: | ---: | --- |"
    echo "| smtp-source (the ceiling): messages/s | $(fmt0 "$base_rate") | | |"
    echo "| smtp-source: wall time | $(fmt2 "$(ofig "$src" 1)") s | | |"
    echo "| smtp-source: CPU | $(fmt1 "$(div "$(ocpu "$src" 2)" "$(div "$OUTREACH_INVITES" 1000000)")") ms per 1,000 messages | | |"
    echo "| smtp-source: messages/s of each run | $(oeach "$src") | | |"
    for v in "${OUTREACH_VARIANTS[@]}"; do
        f=$WORK/outreach-$v-$c.runs
        if [ "$v" = shipped ]; then label="hark"; else label="hark, planner steered (diagnostic)"; fi
        if [ "$v" = shipped ] && [ -f "$WORK/outreach-$v-$c.stopped" ]; then
            echo "| $label: messages/s, planning + delivery | stopped: $(tail -n 1 "$WORK/outreach-$v-$c.stopped") | ≥ $TARGET_OUTREACH_X × smtp-source | **missed** |"
            continue
        fi
        if [ "$(olines "$f")" -eq 0 ]; then
            echo "| $label | no run completed | | |"
            continue
        fi
        rate=$(div "$OUTREACH_INVITES" "$(ofig "$f" 1)")
        ratio=$(div "$rate" "$base_rate")
        dl=$(div "$OUTREACH_INVITES" "$(ofig "$f" 3)")
        cpu=$(ocpu "$f" 4)
        echo "| $label: messages/s, planning + delivery | $(fmt0 "$rate") | | |"
        if [ "$v" = shipped ]; then
            echo "| $label: vs smtp-source | $(fmt2 "$ratio") × | ≥ $TARGET_OUTREACH_X × | $(ge "$ratio" "$TARGET_OUTREACH_X" && echo met || echo "**missed**") |"
        else
            echo "| $label: vs smtp-source | $(fmt2 "$ratio") × | | |"
        fi
        echo "| $label: wall time | $(fmt2 "$(ofig "$f" 1)") s: planning $(fmt2 "$(ofig "$f" 2)") s, delivery $(fmt2 "$(ofig "$f" 3)") s | | |"
        echo "| $label: delivery alone | $(fmt0 "$dl") messages/s, $(fmt2 "$(div "$dl" "$base_rate")") × smtp-source | | |"
        echo "| $label: CPU | $(fmt1 "$(div "$cpu" "$(div "$OUTREACH_INVITES" 1000000)")") ms per 1,000 messages, $(fmt2 "$(div "$cpu" "$(ofig "$f" 1)")") cores on average | | |"
        echo "| $label: peak RSS | $(fmt1 "$(div "$(ofig "$f" 6)" 1024)") MB | | |"
        echo "| $label: messages/s of each run | $(oeach "$f") | | |"
    done
    echo
}

outreach_part() {
    local c
    echo "### Delivery: $(fmt0 "$OUTREACH_INVITES") invites, \`hark outreach --once\` against smtp-source"
    echo
    scenario_table "$OUTREACH_LOAD_BEFORE" "$OUTREACH_LOAD_AFTER"
    echo
    echo "Set-up, once per bench run: a fresh data directory, \`hark tenant create acme --name Acme"
    echo "--admin owner@acme.example --timezone Europe/Paris\`, \`hark import employees --tenant acme\` of"
    echo "$(fmt0 "$OUTREACH_INVITES") rows written by bench/gen-employees.awk (took $(fmt2 "$(cat "$WORK/outreach-template/import.s" 2>/dev/null || echo nan)") s), the four default"
    echo "touchpoints switched off and one campaign due, \`hark touchpoint set --tenant acme --name launch"
    echo "--kind adhoc --flow pulse --rule '{\"date\":\"$OUTREACH_DAY\"}'\`. Each hark run works on its own copy of"
    echo "it, under /usr/bin/time, against its own \`smtp-sink -c -u nobody -m 1024 127.0.0.1:PORT 1024\`"
    echo "(counts, writes no files):"
    echo
    echo '```'
    echo "hark --now $OUTREACH_NOW outreach --once --data-dir D --smtp-url smtp://127.0.0.1:PORT \\"
    echo "    --smtp-tls off --outreach-rate 0 --smtp-conns C --mail-from 'Hark <$OUTREACH_FROM>' --log-level warn"
    echo '```'
    echo
    echo "with the other settings at their defaults (durability full, outreach_batch 200). *Planning* is"
    echo "from the start to the first message counted by the sink (the planner finishes before the"
    echo "mailer starts), *delivery* from there to the process's exit. An invite is $(fmt0 "${OUTREACH_MSG_BYTES:-nan}") bytes"
    echo "(multipart text and HTML, measured through the file: transport). The ceiling, against a"
    echo "fresh sink of its own just before each hark run:"
    echo
    echo '```'
    echo "smtp-source -d -s C -m $OUTREACH_INVITES -l ${OUTREACH_SOURCE_L:-L} -f $OUTREACH_FROM -t someone@acme.example 127.0.0.1:PORT"
    echo '```'
    echo
    echo "(-d: every connection carries message after message, as hark's libcurl connection cache"
    echo "does; -l makes its messages about as large on the wire as hark's). A hark run that has sent"
    echo "nothing after $OUTREACH_PLAN_LIMIT s (planning should take seconds) or is not done after $OUTREACH_LIMIT s is"
    echo "stopped, and the shipped binary's further runs are skipped."
    if [ "${#OUTREACH_VARIANTS[@]}" -gt 1 ]; then
        echo "In their place runs a diagnostic: the same with the query planner steered to the index the"
        echo "planner's per-employee query means (two rows added to sqlite_stat1, as ANALYZE would write"
        echo "them; no code changed). Without statistics SQLite answers that query"
        echo "(\`SELECT max(send_at) FROM invites WHERE tenant_id = ? AND employee_id = ?\`) by walking"
        echo "invites_tenant_send backwards through all of the tenant's invites, so planning slows down"
        echo "as invites accumulate (quadratic in the tenant's size). The diagnostic shows what"
        echo "delivery itself achieves and what a fix of that query would give."
    fi
    echo
    for c in $OUTREACH_CONNS; do outreach_table "$c"; done
    outreach_verdict
    list_failures "Failures:" "${OUTREACH_FAILURES[@]+"${OUTREACH_FAILURES[@]}"}"
    list_failures "Notes:" "${OUTREACH_NOTES[@]+"${OUTREACH_NOTES[@]}"}"
}

outreach_verdict() {
    local c base rate ratio
    for c in $OUTREACH_CONNS; do
        base=$(div "$OUTREACH_INVITES" "$(ofig "$WORK/outreach-source-$c.runs" 1)")
        if [ -f "$WORK/outreach-shipped-$c.stopped" ]; then
            echo -n "- Speed over $c connections: **missed**, hark was stopped ($(tail -n 1 "$WORK/outreach-shipped-$c.stopped")); smtp-source sent them at $(fmt0 "$base") messages/s"
            if [ "$(olines "$WORK/outreach-steered-$c.runs")" -gt 0 ]; then
                rate=$(div "$OUTREACH_INVITES" "$(ofig "$WORK/outreach-steered-$c.runs" 1)")
                ratio=$(div "$rate" "$base")
                echo -n ". The steered diagnostic, which plans in seconds, reached $(fmt0 "$rate") messages/s, $(fmt2 "$ratio") ×: $(ge "$ratio" "$TARGET_OUTREACH_X" && echo "a planner fix alone would meet the target" || echo "a planner fix alone would still miss the target")"
            fi
            echo "."
            continue
        fi
        rate=$(div "$OUTREACH_INVITES" "$(ofig "$WORK/outreach-shipped-$c.runs" 1)")
        ratio=$(div "$rate" "$base")
        if ge "$ratio" "$TARGET_OUTREACH_X"; then
            echo "- Speed over $c connections: met, hark planned and delivered $(fmt0 "$rate") messages/s, $(fmt2 "$ratio") × smtp-source's $(fmt0 "$base") (target ≥ $TARGET_OUTREACH_X ×)."
        else
            echo "- Speed over $c connections: **missed**, hark planned and delivered $(fmt0 "$rate") messages/s, $(fmt2 "$ratio") × smtp-source's $(fmt0 "$base") (target ≥ $TARGET_OUTREACH_X ×)."
        fi
    done
    echo
}

monday_part() {
    local n_off n_on p99_off p99_on ratio rate_x verdict why all_runs
    n_off=$(mruns off)
    n_on=$(mruns on)
    echo "### Monday morning: chat latency in \`hark serve\` while outreach sends $(fmt0 "$MONDAY_INVITES") invites"
    echo
    scenario_table "$MONDAY_LOAD_BEFORE" "$MONDAY_LOAD_AFTER"
    echo
    echo "Two runs, alternating, on copies of one data directory holding the bench's"
    echo "tenant and acme with $(fmt0 "$MONDAY_INVITES") employees and the campaign of the delivery scenario"
    echo "(switched off in the copy), so the database is the same in both:"
    echo
    echo '```'
    echo "off: hark serve --now $OUTREACH_NOW --outreach-plan-interval-ms $MONDAY_PLAN_INTERVAL_MS --outreach false"
    echo "on:  hark serve --now $OUTREACH_NOW --outreach-plan-interval-ms $MONDAY_PLAN_INTERVAL_MS --outreach true \\"
    echo "         --smtp-url smtp://127.0.0.1:PORT --smtp-tls off --outreach-rate 0"
    echo "both: hark --now $OUTREACH_NOW bench chat --conns $CONNS --rate $MONDAY_RATE --duration $MONDAY_DURATION --warmup $WARMUP --pid SERVER ..."
    echo "      and ${MONDAY_SWITCH_AFTER} s into the bench's measured window:"
    echo "      hark touchpoint set --tenant acme --name launch --active true --data-dir D"
    echo '```'
    echo
    echo "(durability full, smtp_conns 4, log level warn; the chat load is the paced pulse flow of"
    echo "the chat scenarios above). With outreach on, its thread plans the campaign at its next"
    echo "pass (at most $((MONDAY_PLAN_INTERVAL_MS / 1000)) s later; the default interval is 60 s) and sends to smtp-sink, which"
    echo "is read every 0.5 s. Figures are medians; the latency target compares the two, and"
    echo "holds only if the chat also kept its pace (≥ 0.95 × the answers/s of the run with outreach"
    echo "off) without errors: the bench's latencies are those of acknowledged answers, and one not"
    echo "acknowledged within 10 s counts as an error (a timeout), not as a latency."
    echo
    if [ "$n_off" -eq 0 ] || [ "$n_on" -eq 0 ]; then
        echo "No pair of runs completed; see the failures below."
        echo
        list_failures "Failures:" "${MONDAY_FAILURES[@]+"${MONDAY_FAILURES[@]}"}"
        return
    fi
    p99_off=$(mmed off p99_ms x)
    p99_on=$(mmed on p99_ms x)
    ratio=$(div "$p99_on" "$p99_off")
    rate_x=$(div "$(mmed on answers_per_s)" "$(mmed off answers_per_s)")
    # The p99 is that of the acknowledged answers: it means something only
    # when (nearly) all of them were, so a chat that stalls misses the target
    # however fast its few acknowledged answers were.
    why="ack p99 $(fmt2 "$p99_on") ms with outreach on against $(fmt2 "$p99_off") ms off, $(fmt2 "$ratio") × (target ≤ $TARGET_MONDAY_P99_X ×)"
    if le "$(mmed on errors)" 0 && ge "$rate_x" 0.95; then
        if le "$ratio" "$TARGET_MONDAY_P99_X"; then verdict=met; else verdict="**missed**"; fi
    else
        verdict="**missed**"
        why="$why, and the chat fell behind: $(fmt0 "$(mmed on answers_per_s)") answers/s acknowledged of the $(fmt0 "$MONDAY_RATE") paced (off: $(fmt0 "$(mmed off answers_per_s)")), $(fmt0 "$(mmed on errors)") errors (answers or handshakes not acknowledged within 10 s, error frames), $(fmt0 "$(mmed on busy)") 'database busy' (5 s waits for the write lock) in the server log; that p99 covers only the answers that were acknowledged"
    fi
    all_runs=$(mcount on all_s)
    echo "| figure | outreach off (baseline), median of $n_off | outreach on, median of $n_on | target | |"
    echo "| --- | ---: | ---: | ---: | --- |"
    echo "| answers/s (acknowledged) | $(fmt0 "$(mmed off answers_per_s)") | $(fmt0 "$(mmed on answers_per_s)") | | |"
    echo "| answers/s, on vs off | | $(fmt2 "$rate_x") × | ≥ 0.95 × | $(ge "$rate_x" 0.95 && echo met || echo "**missed**") |"
    echo "| ack latency p50 | $(fmt2 "$(mmed off p50_ms x)") ms | $(fmt2 "$(mmed on p50_ms x)") ms | | |"
    echo "| ack latency p99 | $(fmt2 "$p99_off") ms | $(fmt2 "$p99_on") ms | | |"
    echo "| ack latency p99, on vs off | | $(fmt2 "$ratio") × | ≤ $TARGET_MONDAY_P99_X × | $verdict |"
    echo "| ack latency p99.9 | $(fmt2 "$(mmed off p999_ms x)") ms | $(fmt2 "$(mmed on p999_ms x)") ms | | |"
    echo "| ack latency max | $(fmt2 "$(mmed off max_ms x)") ms | $(fmt2 "$(mmed on max_ms x)") ms | | |"
    echo "| errors (error frames, unexpected closes, timeouts) | $(fmt0 "$(mmed off errors)") | $(fmt0 "$(mmed on errors)") | 0 | $(le "$(mmed on errors)" 0 && echo met || echo "**missed**") |"
    echo "| error lines in the server log | $(fmt0 "$(mmed off server_errors)") | $(fmt0 "$(mmed on server_errors)") | 0 | $(le "$(mmed on server_errors)" 0 && echo met || echo "**missed**") |"
    echo "| 'database busy' in the server log (a writer waited 5 s for the lock) | $(fmt0 "$(mmed off busy)") | $(fmt0 "$(mmed on busy)") | | |"
    echo "| server CPU | $(fmt2 "$(div "$(mmed off server_cpu_s)" "$(mmed off window_s)")") cores | $(fmt2 "$(div "$(mmed on server_cpu_s)" "$(mmed on window_s)")") cores | | |"
    echo "| campaign switched on, s into the window | $(fmt1 "$(mmed off switch_s)") | $(fmt1 "$(mmed on switch_s)") | | |"
    echo "| invites at the sink by the end of the window | | $(fmt0 "$(mmed on sink)") of $(fmt0 "$MONDAY_INVITES") | all | $([ "$all_runs" -eq "$n_on" ] && echo met || echo "**missed**") |"
    echo "| first invite at the sink, s after the switch | | $(if [ "$(mcount on first_s)" -gt 0 ]; then fmt1 "$(mmed on first_s x)"; else echo "none within the window"; fi) | | |"
    echo "| all $(fmt0 "$MONDAY_INVITES") at the sink, s after the switch | | $(if [ "$all_runs" -gt 0 ]; then echo "$(fmt1 "$(mmed on all_s x)") ($all_runs of $n_on runs)"; else echo "not within the window ($(fmt1 "$(mmed on window_end_s)") s) in any run"; fi) | | |"
    echo "| ack latency p99 of each run | $(meach off p99_ms) | $(meach on p99_ms) | | |"
    echo
    echo "- Chat latency under outreach: $verdict, $why."
    if [ "$all_runs" -eq "$n_on" ]; then
        echo "- Outreach within the window: met, all $(fmt0 "$MONDAY_INVITES") invites reached the sink $(fmt1 "$(mmed on all_s x)") s after the switch (median)."
    else
        echo "- Outreach within the window: **missed**, all $(fmt0 "$MONDAY_INVITES") invites reached the sink in $all_runs of $n_on runs; by the end of the window it had $(fmt0 "$(mmed on sink)") (median)."
    fi
    echo
    list_failures "Failures:" "${MONDAY_FAILURES[@]+"${MONDAY_FAILURES[@]}"}"
}

outreach_intro() {
    echo "## Outreach"
    echo
    echo "Two scenarios against postfix's smtp-sink on 127.0.0.1, each with its own date and"
    echo "machine, each replaced when \`make bench\` runs it (\`BENCH_SCENARIOS=\"outreach monday\"\`): how"
    echo "fast \`hark outreach\` plans and delivers compared with postfix's smtp-source pushing the same"
    echo "mail (target ≥ $TARGET_OUTREACH_X × its messages/s), and whether the chat in \`hark serve\` keeps its"
    echo "latency while the outreach thread sends (target: ack p99 ≤ $TARGET_MONDAY_P99_X × the same run with outreach off)."
    echo
}

# old_outreach_sub HEADING: that subsection of the Outreach section as it stands.
old_outreach_sub() {
    [ -f "$OUT" ] || return 0
    awk -v h="$1" '/^## / { in_o = /^## Outreach/ } /^### / { on = in_o && index($0, h) == 1 } /^## / { on = 0 } on { print }' "$OUT"
}

# outreach_section: the whole Outreach section, with the part of a scenario
# that did not run kept as it was.
outreach_section() {
    outreach_intro
    if want outreach; then
        outreach_part
    elif [ -n "$(old_outreach_sub "### Delivery")" ]; then
        old_outreach_sub "### Delivery"
    else
        printf '### Delivery\n\nNot measured yet: `BENCH_SCENARIOS=outreach bench/run.sh`.\n\n'
    fi
    if want monday; then
        monday_part
    elif [ -n "$(old_outreach_sub "### Monday")" ]; then
        old_outreach_sub "### Monday"
    else
        printf '### Monday morning\n\nNot measured yet: `BENCH_SCENARIOS=monday bench/run.sh`.\n\n'
    fi
}

# old_outreach_part: the Outreach section as it stands.
old_outreach_part() { awk '/^## / { on = /^## Outreach/ } on { print }' "$OUT"; }
