# The dashboard part of `make bench`, sourced by bench/run.sh (which provides
# HARK, WORK, REPEAT, want, log, median, start_server, stop_server and
# machine_table). One scenario:
#
#   dashboard  a tenant of DASH_EMPLOYEES employees (100,000) and about
#              DASH_MESSAGES messages (10 million) over 12 months, made by
#              bench/gen-dashboard.py in a fresh data directory (with the
#              rollups the dashboard reads); then `hark serve` on it and
#              bench/dashboard.mjs, which signs in and sends each overview and
#              heatmap query DASH_ROUNDS times one after another, BENCH_REPEAT
#              runs. The figures are the medians over runs of each query's
#              median and p95 latency, measured by the client (so they include
#              HTTP and JSON). Target: p95 at most 50 ms.

DASH_EMPLOYEES=${BENCH_DASH_EMPLOYEES:-100000}
DASH_MESSAGES=${BENCH_DASH_MESSAGES:-10000000}
DASH_ROUNDS=${BENCH_DASH_ROUNDS:-200}
TARGET_DASH_P95_MS=50
DASHBOARD_FAILURES=()

run_dashboard() {
    local dir="$WORK/dashboard" out login rep
    rm -rf "$dir"
    mkdir -p "$dir"
    log "dashboard: tenant with $DASH_EMPLOYEES employees and about $DASH_MESSAGES messages"
    if ! out=$("$HARK" tenant create bench --name Bench --admin admin@bench.example --data-dir "$dir" 2>&1); then
        DASHBOARD_FAILURES+=("dashboard: hark tenant create failed: $out")
        return
    fi
    login=$(sed -n 's/^admin login: admin@bench.example \/ //p' <<<"$out")
    local t0=$SECONDS
    if ! bench/gen-dashboard.py "$dir/hark.db" 1 "$DASH_EMPLOYEES" "$DASH_MESSAGES" 12 2>"$dir/gen.log"; then
        DASHBOARD_FAILURES+=("dashboard: bench/gen-dashboard.py failed (see $dir/gen.log)")
        return
    fi
    DASH_GEN_S=$((SECONDS - t0))
    DASH_COUNTS=$(tail -n 1 "$dir/gen.log" | sed 's/^gen-dashboard: //; s/ in [0-9]* s.*//')
    DASH_DB_MB=$(($(stat -c %s "$dir/hark.db") / 1048576))
    start_server "$dir/serve" --data-dir "$dir" --outreach false || {
        DASHBOARD_FAILURES+=("dashboard: the server did not start")
        return
    }
    local url="http://${SERVER_URL#ws://}"
    url=${url%/chat/ws}
    for rep in $(seq 1 "$REPEAT"); do
        log "dashboard run $rep/$REPEAT: $DASH_ROUNDS rounds of each query"
        if ! node bench/dashboard.mjs "$url" bench admin@bench.example "$login" "$DASH_ROUNDS" 20 \
            >"$dir/run-$rep.tsv" 2>"$dir/run-$rep.err"; then
            DASHBOARD_FAILURES+=("dashboard: run $rep failed (see $dir/run-$rep.err)")
        fi
    done
    stop_server dashboard
}

dashboard_section() {
    local dir="$WORK/dashboard"
    echo "## Dashboard"
    echo
    echo "\`BENCH_SCENARIOS=dashboard bench/run.sh\` ($(date -u +%Y-%m-%d)): one tenant of $DASH_COUNTS"
    echo "(SQLite file ${DASH_DB_MB:-?} MB, made in ${DASH_GEN_S:-?} s by bench/gen-dashboard.py), \`hark serve\` on it,"
    echo "and bench/dashboard.mjs sending each query $DASH_ROUNDS times one after another over one"
    echo "keep-alive connection as a signed-in owner, $REPEAT runs. Latency as the client sees it"
    echo "(HTTP and JSON included); the medians over runs of each run's median and p95. The"
    echo "queries read the rollups only; filters on location or band read the full rollups table,"
    echo "the others its department-level twin (store/dashboard.c). Target: p95 at most"
    echo "$TARGET_DASH_P95_MS ms."
    echo
    machine_table
    echo
    echo "| query | median ms | p95 ms | target met |"
    echo "| --- | ---: | ---: | --- |"
    local q
    while IFS= read -r q; do
        local meds=() p95s=() rep
        for rep in $(seq 1 "$REPEAT"); do
            local line
            line=$(awk -F'\t' -v q="$q" '$1 == q' "$dir/run-$rep.tsv" 2>/dev/null)
            [ -n "$line" ] || continue
            meds+=("$(cut -f2 <<<"$line")")
            p95s+=("$(cut -f3 <<<"$line")")
        done
        [ ${#meds[@]} -gt 0 ] || continue
        local m p
        m=$(median "${meds[@]}")
        p=$(median "${p95s[@]}")
        echo "| $q | $m | $p | $(awk -v p="$p" -v t="$TARGET_DASH_P95_MS" 'BEGIN { print (p <= t) ? "yes" : "**no**" }') |"
    done < <(cut -f1 "$dir/run-1.tsv" 2>/dev/null)
    echo
    if [ ${#DASHBOARD_FAILURES[@]} -gt 0 ]; then
        echo "Failures: ${DASHBOARD_FAILURES[*]}"
        echo
    fi
}

old_dashboard_part() { awk '/^## / { on = /^## Dashboard/ } on { print }' "$OUT"; }
