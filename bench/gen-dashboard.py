#!/usr/bin/python3
"""Fills a Hark SQLite database with one large tenant for the dashboard
benchmark (bench/dashboard.sh): EMPLOYEES employees (100,000) and about
MESSAGES messages (10 million) over MONTHS months of monthly pulse
conversations, with their answers, and the rollups the dashboard reads,
computed from those rows the way store/rollup.c counts them.

Usage: gen-dashboard.py DB TENANT_ID [EMPLOYEES [MESSAGES [MONTHS]]]

The tenant must exist (hark tenant create), with its default touchpoints and
the shared flows (hark migrate). Rows are made by SQL inside SQLite
(recursive CTEs), deterministic: the same arguments give the same data.
Progress goes to stderr."""

import sqlite3
import sys
import time

def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    db, tenant = sys.argv[1], int(sys.argv[2])
    employees = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
    messages = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000_000
    months = int(sys.argv[5]) if len(sys.argv) > 5 else 12
    # Each answered conversation holds 14 messages (7 questions, 7 answers);
    # about 70% of invites are answered.
    per_conv = 14
    conversations = messages // per_conv
    invites_per_month = min(employees, int(conversations / 0.7 / months) + 1)

    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -400000")
    t0 = time.time()

    def step(what, sql, params=()):
        t = time.time()
        con.execute("BEGIN")
        con.execute(sql, params)
        con.execute("COMMIT")
        print(f"  {what}: {time.time() - t:.1f} s", file=sys.stderr, flush=True)

    tp = con.execute("SELECT id FROM touchpoints WHERE tenant_id = ? AND name = 'pulse'", (tenant,)).fetchone()
    flow = con.execute("SELECT id FROM flows WHERE tenant_id IN (?, 0) AND name = 'pulse' "
                       "ORDER BY tenant_id = 0, version DESC LIMIT 1", (tenant,)).fetchone()
    if not tp or not flow:
        sys.exit("gen-dashboard: the tenant has no pulse touchpoint or flow (run hark tenant create first)")
    tp, flow = tp[0], flow[0]
    now_ms = int(time.time() * 1000)
    # The first day of the first month, MONTHS months before the current one.
    cur = time.gmtime()
    y, m = cur.tm_year, cur.tm_mon - (months - 1)
    while m < 1:
        y, m = y - 1, m + 12
    first_month = y * 100 + m

    print(f"gen-dashboard: {employees} employees, {invites_per_month * months} invites, "
          f"~{conversations} conversations, ~{conversations * per_conv} messages", file=sys.stderr)

    # 30 departments of uneven size (a few with under 10 people), 12 locations,
    # 60 managers in each department (teams of about 60 in the big ones).
    step("employees", """
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO employees (tenant_id, external_id, email, first_name, last_name, department, location,
                             manager_email, hire_date, exit_date, timezone, status, created_at, updated_at)
      SELECT ?, 'B' || i, 'e' || i || '@bench.example', 'First' || (i % 997), 'Last' || (i % 991),
             'Dept ' || CASE WHEN i % 1000 < 3 THEN 29 ELSE (i * 7919 % 1009) % 28 END,
             'Site ' || ((i * 104729) % 12),
             'm' || ((i * 7919 % 1009) % 28) || '.' || (i % 60) || '@bench.example',
             date('now', '-' || (30 + (i * 2654435761 % 2900)) || ' days'),
             '', '', 'active', ?, ?
      FROM n""", (employees, tenant, now_ms, now_ms))

    # Invites: for each month, the first INVITES_PER_MONTH employees (in a
    # per-month rotation), 70% answered. rollup_id is filled in below.
    step("invites", """
      WITH RECURSIVE mo(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM mo WHERE k < ? - 1),
      e AS (SELECT id, row_number() OVER (ORDER BY id) AS r FROM employees WHERE tenant_id = ?)
      INSERT INTO invites (tenant_id, employee_id, touchpoint_id, flow_id, occurrence, status, attempts,
                           reminders, created_at, expires_at, updated_at, send_at, sent_at)
      SELECT ?, e.id, ?, ?, 'bench-' || mo.k,
             CASE WHEN (e.id * 31 + mo.k * 17) % 100 < 70 THEN 'completed' ELSE 'sent' END, 1, 0,
             ? - (? - mo.k) * 30 * 86400000, ? - (? - mo.k) * 30 * 86400000 + 7 * 86400000, ?,
             ? - (? - mo.k) * 30 * 86400000, ? - (? - mo.k) * 30 * 86400000
      FROM mo JOIN e ON (e.r + mo.k * 7919) % ? < ?""",
         (months, tenant, tenant, tp, flow, now_ms, months, now_ms, months, now_ms, now_ms, months, now_ms, months,
          employees, invites_per_month))

    step("conversations", """
      INSERT INTO conversations (tenant_id, invite_id, flow_id, node, vars_json, last_seq, awaiting_seq, done,
                                 started_at, updated_at)
      SELECT tenant_id, id, flow_id, 'end', '{}', ?, 0, 1, created_at + 3600000, created_at + 3700000
      FROM invites WHERE tenant_id = ? AND status = 'completed'""", (per_conv, tenant))

    # Messages: odd seq from the bot, even seq from the employee. Answers:
    # seq 2 mood (1-5), seq 4 text, seq 6 eNPS (0-10), seq 8 text.
    step("messages", """
      WITH RECURSIVE s(q) AS (SELECT 1 UNION ALL SELECT q + 1 FROM s WHERE q < ?)
      INSERT INTO messages (tenant_id, conversation_id, seq, from_employee, client_id, text, input_json, scored,
                            compound, pos, neu, neg, flags_json, created_at)
      SELECT c.tenant_id, c.id, s.q, s.q % 2 = 0, CASE WHEN s.q % 2 = 0 THEN 'c' || s.q END,
             CASE WHEN s.q % 2 = 1 THEN 'How are things going for you this month?'
                  WHEN s.q IN (2, 6) THEN CAST(1 + (c.id * 13 + s.q) % 5 AS TEXT)
                  ELSE 'The workload is heavy but the team is supportive and we get things done.' END,
             NULL, s.q % 2 = 0, CASE WHEN s.q % 2 = 0 THEN ((c.id * 37 + s.q) % 200 - 100) / 100.0 END,
             0.1, 0.8, 0.1, NULL, c.started_at + s.q * 1000
      FROM conversations c JOIN s WHERE c.tenant_id = ?""", (per_conv, tenant))

    step("answers", """
      INSERT INTO answers (tenant_id, conversation_id, seq, question_key, kind, number, created_at)
      SELECT tenant_id, conversation_id, seq,
             CASE seq WHEN 2 THEN 'mood' WHEN 6 THEN 'enps' WHEN 4 THEN 'why' ELSE 'comment' END,
             CASE WHEN seq IN (2, 6) THEN 'scale' ELSE 'text' END,
             CASE seq WHEN 2 THEN 1 + (conversation_id * 13 + 2) % 5 WHEN 6 THEN (conversation_id * 7) % 11 END,
             created_at
      FROM messages WHERE tenant_id = ? AND seq IN (2, 4, 6, 8)""", (tenant,))

    # The rollups, as store/rollup.c counts them: the invite's month and the
    # employee's department, location and tenure band.
    band = """CASE WHEN e.hire_date = '' THEN ''
                   WHEN julianday(d) - julianday(e.hire_date) < 91 THEN '0-3m'
                   WHEN julianday(d) - julianday(e.hire_date) < 365 THEN '3-12m'
                   WHEN julianday(d) - julianday(e.hire_date) < 730 THEN '1-2y'
                   WHEN julianday(d) - julianday(e.hire_date) < 1826 THEN '2-5y' ELSE '5y+' END"""
    step("rollups", f"""
      INSERT INTO rollups (tenant_id, month, touchpoint_id, department, location, band, invited, started, completed,
                           mood_n, mood_sum, mood_1, mood_2, mood_3, mood_4, mood_5, enps_n, enps_promoters,
                           enps_detractors, comments, comments_neg, comments_pos)
      SELECT i.tenant_id, CAST(strftime('%Y%m', i.sent_at / 1000, 'unixepoch') AS INTEGER), i.touchpoint_id,
             e.department, e.location, {band.replace('d)', "date(i.sent_at / 1000, 'unixepoch'))")},
             count(*), count(c.id), count(c.id),
             count(c.id), sum(CASE WHEN c.id IS NOT NULL THEN 1 + (c.id * 13 + 2) % 5 ELSE 0 END),
             sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 0), sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 1),
             sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 2), sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 3),
             sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 4),
             count(c.id), sum(c.id IS NOT NULL AND (c.id * 7) % 11 >= 9), sum(c.id IS NOT NULL AND (c.id * 7) % 11 <= 6),
             2 * count(c.id),
             sum(CASE WHEN c.id IS NULL THEN 0 ELSE ((c.id * 37 + 4) % 200 - 100 <= -5) + ((c.id * 37 + 8) % 200 - 100 <= -5) END),
             sum(CASE WHEN c.id IS NULL THEN 0 ELSE ((c.id * 37 + 4) % 200 - 100 >= 5) + ((c.id * 37 + 8) % 200 - 100 >= 5) END)
      FROM invites i JOIN employees e ON e.tenant_id = i.tenant_id AND e.id = i.employee_id
      LEFT JOIN conversations c ON c.tenant_id = i.tenant_id AND c.invite_id = i.id
      WHERE i.tenant_id = ? GROUP BY 1, 2, 3, 4, 5, 6""", (tenant,))
    step("rollups_dept", """
      INSERT INTO rollups_dept (tenant_id, month, touchpoint_id, department, invited, started, completed, mood_n,
                                mood_sum, mood_1, mood_2, mood_3, mood_4, mood_5, enps_n, enps_promoters,
                                enps_detractors, comments, comments_neg, comments_pos)
      SELECT tenant_id, month, touchpoint_id, department, sum(invited), sum(started), sum(completed), sum(mood_n),
             sum(mood_sum), sum(mood_1), sum(mood_2), sum(mood_3), sum(mood_4), sum(mood_5), sum(enps_n),
             sum(enps_promoters), sum(enps_detractors), sum(comments), sum(comments_neg), sum(comments_pos)
      FROM rollups WHERE tenant_id = ? GROUP BY 1, 2, 3, 4""", (tenant,))
    step("rollups_manager", f"""
      INSERT INTO rollups_manager (tenant_id, month, touchpoint_id, department, manager, invited, started, completed,
                                   mood_n, mood_sum, mood_1, mood_2, mood_3, mood_4, mood_5, enps_n, enps_promoters,
                                   enps_detractors, comments, comments_neg, comments_pos)
      SELECT i.tenant_id, CAST(strftime('%Y%m', i.sent_at / 1000, 'unixepoch') AS INTEGER), i.touchpoint_id,
             e.department, e.manager_email, count(*), count(c.id), count(c.id),
             count(c.id), sum(CASE WHEN c.id IS NOT NULL THEN 1 + (c.id * 13 + 2) % 5 ELSE 0 END),
             sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 0), sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 1),
             sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 2), sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 3),
             sum(c.id IS NOT NULL AND (c.id * 13 + 2) % 5 = 4),
             count(c.id), sum(c.id IS NOT NULL AND (c.id * 7) % 11 >= 9), sum(c.id IS NOT NULL AND (c.id * 7) % 11 <= 6),
             2 * count(c.id),
             sum(CASE WHEN c.id IS NULL THEN 0 ELSE ((c.id * 37 + 4) % 200 - 100 <= -5) + ((c.id * 37 + 8) % 200 - 100 <= -5) END),
             sum(CASE WHEN c.id IS NULL THEN 0 ELSE ((c.id * 37 + 4) % 200 - 100 >= 5) + ((c.id * 37 + 8) % 200 - 100 >= 5) END)
      FROM invites i JOIN employees e ON e.tenant_id = i.tenant_id AND e.id = i.employee_id
      LEFT JOIN conversations c ON c.tenant_id = i.tenant_id AND c.invite_id = i.id
      WHERE i.tenant_id = ? GROUP BY 1, 2, 3, 4, 5""", (tenant,))
    step("invites.rollup_id", f"""
      UPDATE invites SET rollup_id = (
        SELECT r.id FROM rollups r JOIN employees e ON e.tenant_id = invites.tenant_id AND e.id = invites.employee_id
        WHERE r.tenant_id = invites.tenant_id AND r.touchpoint_id = invites.touchpoint_id
          AND r.month = CAST(strftime('%Y%m', invites.sent_at / 1000, 'unixepoch') AS INTEGER)
          AND r.department = e.department AND r.location = e.location
          AND r.band = {band.replace('d)', "date(invites.sent_at / 1000, 'unixepoch'))")})
      WHERE tenant_id = ?""", (tenant,))
    step("invites.rollup_manager", """
      UPDATE invites SET rollup_manager = (SELECT manager_email FROM employees e
                                           WHERE e.tenant_id = invites.tenant_id AND e.id = invites.employee_id)
      WHERE tenant_id = ?""", (tenant,))
    con.execute("ANALYZE")
    counts = {t: con.execute(f"SELECT count(*) FROM {t} WHERE tenant_id = ?", (tenant,)).fetchone()[0]
              for t in ("employees", "invites", "conversations", "messages", "answers", "rollups", "rollups_dept", "rollups_manager")}
    print("gen-dashboard: " + ", ".join(f"{v} {k}" for k, v in counts.items()) +
          f" in {time.time() - t0:.0f} s (first month {first_month})", file=sys.stderr)
    con.close()

main()
