/* Hark's schema, as an ordered list of migrations compiled into the binary.
 * Each is written once in SQL that SQLite and PostgreSQL both accept; where
 * the two must differ, a {{NAME}} placeholder is replaced by the backend's
 * text (struct store_backend.subst):
 *   {{ID}}    an auto-assigned 64-bit primary key that is never reused
 *             (invite tokens carry invite ids, so a reused id would revive an
 *             old link);
 *   {{BLOB}}  a byte string (BLOB / BYTEA).
 * Rules: never edit a migration that has shipped, add a new one; every table
 * carries tenant_id (flows use 0 for the flows shared by every tenant);
 * timestamps are BIGINT Unix milliseconds; booleans are INTEGER 0/1.
 * Composite foreign keys on (tenant_id, id) make the database itself refuse a
 * row that points into another tenant. */
#include <stddef.h>

#include "store/store_int.h"

static const char m1_core[] =
    "CREATE TABLE tenants ("
    " id {{ID}},"
    " slug TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " timezone TEXT NOT NULL DEFAULT 'UTC',"
    " created_at BIGINT NOT NULL);"

    "CREATE TABLE users ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " email TEXT NOT NULL,"
    " pwhash TEXT NOT NULL,"
    " role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'hrbp', 'viewer')),"
    " departments TEXT NOT NULL DEFAULT '',"
    " created_at BIGINT NOT NULL,"
    " UNIQUE (tenant_id, email));"

    "CREATE TABLE employees ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " external_id TEXT NOT NULL DEFAULT '',"
    " email TEXT NOT NULL,"
    " first_name TEXT NOT NULL DEFAULT '',"
    " last_name TEXT NOT NULL DEFAULT '',"
    " department TEXT NOT NULL DEFAULT '',"
    " location TEXT NOT NULL DEFAULT '',"
    " manager_email TEXT NOT NULL DEFAULT '',"
    " hire_date TEXT NOT NULL DEFAULT '',"
    " exit_date TEXT NOT NULL DEFAULT '',"
    " timezone TEXT NOT NULL DEFAULT '',"
    " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'left')),"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " UNIQUE (tenant_id, id),"
    " UNIQUE (tenant_id, email));"
    "CREATE UNIQUE INDEX employees_tenant_external ON employees (tenant_id, external_id) WHERE external_id <> '';"
    "CREATE INDEX employees_tenant_department ON employees (tenant_id, department);"

    "CREATE TABLE flows ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL,"
    " name TEXT NOT NULL,"
    " version INTEGER NOT NULL CHECK (version > 0),"
    " json TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " UNIQUE (tenant_id, name, version));"

    "CREATE TABLE touchpoints ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " name TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('onboarding', 'tenure', 'pulse', 'exit', 'adhoc')),"
    " flow_name TEXT NOT NULL,"
    " rule TEXT NOT NULL DEFAULT '{}',"
    " active INTEGER NOT NULL DEFAULT 1,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " UNIQUE (tenant_id, id),"
    " UNIQUE (tenant_id, name));"

    "CREATE TABLE invites ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL,"
    " employee_id BIGINT NOT NULL,"
    " touchpoint_id BIGINT NOT NULL,"
    " flow_id BIGINT NOT NULL REFERENCES flows (id),"
    " occurrence TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'sending', 'sent', 'failed', 'opened',"
    " 'started', 'completed', 'expired')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " reminders INTEGER NOT NULL DEFAULT 0,"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " UNIQUE (tenant_id, id),"
    " UNIQUE (employee_id, touchpoint_id, occurrence),"
    " FOREIGN KEY (tenant_id, employee_id) REFERENCES employees (tenant_id, id),"
    " FOREIGN KEY (tenant_id, touchpoint_id) REFERENCES touchpoints (tenant_id, id));"
    "CREATE INDEX invites_tenant_employee ON invites (tenant_id, employee_id);"
    "CREATE INDEX invites_tenant_touchpoint ON invites (tenant_id, touchpoint_id);"
    "CREATE INDEX invites_tenant_status ON invites (tenant_id, status, expires_at);"

    "CREATE TABLE conversations ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL,"
    " invite_id BIGINT NOT NULL UNIQUE,"
    " flow_id BIGINT NOT NULL REFERENCES flows (id),"
    " node TEXT NOT NULL DEFAULT '',"
    " vars_json TEXT NOT NULL DEFAULT '{}',"
    " last_seq BIGINT NOT NULL DEFAULT 0,"
    " awaiting_seq BIGINT NOT NULL DEFAULT 0,"
    " done INTEGER NOT NULL DEFAULT 0,"
    " started_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " UNIQUE (tenant_id, id),"
    " FOREIGN KEY (tenant_id, invite_id) REFERENCES invites (tenant_id, id));"

    /* client_id is NULL for bot messages, so the partial unique index holds
     * only the employee's ids. */
    "CREATE TABLE messages ("
    " tenant_id BIGINT NOT NULL,"
    " conversation_id BIGINT NOT NULL,"
    " seq BIGINT NOT NULL CHECK (seq > 0),"
    " from_employee INTEGER NOT NULL,"
    " client_id TEXT,"
    " text TEXT NOT NULL,"
    " input_json TEXT,"
    " scored INTEGER NOT NULL DEFAULT 0,"
    " compound DOUBLE PRECISION,"
    " pos DOUBLE PRECISION,"
    " neu DOUBLE PRECISION,"
    " neg DOUBLE PRECISION,"
    " flags_json TEXT,"
    " created_at BIGINT NOT NULL,"
    " PRIMARY KEY (conversation_id, seq),"
    " FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id));"
    "CREATE UNIQUE INDEX messages_client_id ON messages (conversation_id, client_id) WHERE client_id IS NOT NULL;"

    "CREATE TABLE answers ("
    " tenant_id BIGINT NOT NULL,"
    " conversation_id BIGINT NOT NULL,"
    " seq BIGINT NOT NULL,"
    " question_key TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('scale', 'choice', 'text')),"
    " number DOUBLE PRECISION,"
    " created_at BIGINT NOT NULL,"
    " PRIMARY KEY (conversation_id, seq, question_key),"
    " FOREIGN KEY (conversation_id, seq) REFERENCES messages (conversation_id, seq));"
    "CREATE INDEX answers_tenant_key ON answers (tenant_id, question_key, created_at);";

/* Red flags for HR (issue: sentiment and red-flag engine). One row per flag
 * of an employee message, written by the same transaction as the message.
 * notified_at is set once the tenant's admins were told (outreach). */
static const char m2_escalations[] =
    "CREATE TABLE escalations ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL,"
    " conversation_id BIGINT NOT NULL,"
    " seq BIGINT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('harassment', 'threat', 'self_harm', 'resign', 'burnout')),"
    " severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 3),"
    " span_start BIGINT NOT NULL,"
    " span_len BIGINT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),"
    " assignee_id BIGINT,"
    " notified_at BIGINT,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " UNIQUE (conversation_id, seq, kind),"
    " FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),"
    " FOREIGN KEY (conversation_id, seq) REFERENCES messages (conversation_id, seq));"
    "CREATE INDEX escalations_tenant_status ON escalations (tenant_id, status, created_at);"
    "CREATE INDEX escalations_unnotified ON escalations (created_at) WHERE notified_at IS NULL;";

/* Outreach (issue: outreach). Tenants gain their sending schedule; invites
 * gain the instant they are meant to leave (send_at) and when they did.
 * outbox holds every email to send, one row per (kind, ref_id, n): an
 * invite (ref_id = invite id), its reminders (n = 1, 2, ...) and red-flag
 * alerts (ref_id = escalation id). A sender claims due rows by setting
 * status 'sending' and a lease; a row is 'sent' only after the mail server
 * accepted it; an expired lease makes the row claimable again. Problems the
 * planner met (bad address, unknown time zone, no hire date, bad template)
 * are kept in outreach_skips, one row per employee x touchpoint (0 = all).
 * templates holds a tenant's own email templates (data/templates names). */
static const char m3_outreach[] =
    "ALTER TABLE tenants ADD COLUMN send_minute INTEGER NOT NULL DEFAULT 600;"
    "ALTER TABLE tenants ADD COLUMN quiet_start INTEGER NOT NULL DEFAULT 1200;"
    "ALTER TABLE tenants ADD COLUMN quiet_end INTEGER NOT NULL DEFAULT 480;"
    "ALTER TABLE tenants ADD COLUMN working_days INTEGER NOT NULL DEFAULT 62;"
    "ALTER TABLE tenants ADD COLUMN frequency_cap_days INTEGER NOT NULL DEFAULT 7;"
    "ALTER TABLE tenants ADD COLUMN reminders INTEGER NOT NULL DEFAULT 2;"
    "ALTER TABLE tenants ADD COLUMN reminder_hours INTEGER NOT NULL DEFAULT 48;"
    "ALTER TABLE tenants ADD COLUMN invite_ttl_days INTEGER NOT NULL DEFAULT 7;"
    "ALTER TABLE tenants ADD COLUMN mail_rate INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE invites ADD COLUMN send_at BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE invites ADD COLUMN sent_at BIGINT;"
    "ALTER TABLE invites ADD COLUMN last_error TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX invites_tenant_send ON invites (tenant_id, send_at);"
    /* The planner's frequency cap asks for each employee's latest send_at:
     * one seek here, where (tenant_id, send_at) would walk the tenant's
     * invites backwards (quadratic planning: seen in make bench). */
    "CREATE INDEX invites_employee_send ON invites (tenant_id, employee_id, send_at);"

    "CREATE TABLE outbox ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " kind TEXT NOT NULL CHECK (kind IN ('invite', 'reminder', 'alert')),"
    " ref_id BIGINT NOT NULL,"
    " n INTEGER NOT NULL DEFAULT 0,"
    " due_at BIGINT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " lease_until BIGINT NOT NULL DEFAULT 0,"
    " last_code INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '',"
    " sent_at BIGINT,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " UNIQUE (kind, ref_id, n));"
    "CREATE INDEX outbox_pending ON outbox (due_at) WHERE status = 'pending';"
    "CREATE INDEX outbox_leased ON outbox (lease_until) WHERE status = 'sending';"
    "CREATE INDEX outbox_tenant_status ON outbox (tenant_id, kind, status);"

    "CREATE TABLE outreach_skips ("
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " employee_id BIGINT NOT NULL,"
    " touchpoint_id BIGINT NOT NULL,"
    " reason TEXT NOT NULL,"
    " count BIGINT NOT NULL DEFAULT 1,"
    " first_at BIGINT NOT NULL,"
    " last_at BIGINT NOT NULL,"
    " PRIMARY KEY (tenant_id, employee_id, touchpoint_id));"

    "CREATE TABLE templates ("
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " name TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " PRIMARY KEY (tenant_id, name));";

/* Sign-in for HR (issue: web API, sign-in). A sessions row is a signed-in
 * browser: the SHA-256 of its cookie token (never the token itself, so a
 * leaked table yields no usable session), its user, when it was created and
 * when it was last used (written at most once a minute); deleting the row
 * ends the session. users gains disabled_at (NULL = active): a disabled
 * account cannot sign in and its sessions are refused. api_tokens holds the
 * tokens of integrations: the SHA-256 of the token, a display prefix, the
 * scopes as bits (web/auth.h AUTH_SCOPE_*), who made it and when it was last
 * used or revoked. The unique index on users (tenant_id, id) lets sessions
 * and tokens name their user by tenant, so neither can point into another
 * tenant. */
static const char m4_sessions[] = "CREATE UNIQUE INDEX users_tenant_id ON users (tenant_id, id);"
                                  "ALTER TABLE users ADD COLUMN disabled_at BIGINT;"

                                  "CREATE TABLE sessions ("
                                  " token_hash {{BLOB}} PRIMARY KEY,"
                                  " tenant_id BIGINT NOT NULL,"
                                  " user_id BIGINT NOT NULL,"
                                  " created_at BIGINT NOT NULL,"
                                  " last_seen_at BIGINT NOT NULL,"
                                  " FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id));"
                                  "CREATE INDEX sessions_tenant_user ON sessions (tenant_id, user_id);"
                                  "CREATE INDEX sessions_last_seen ON sessions (last_seen_at);"

                                  "CREATE TABLE api_tokens ("
                                  " id {{ID}},"
                                  " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
                                  " name TEXT NOT NULL,"
                                  " prefix TEXT NOT NULL,"
                                  " token_hash {{BLOB}} NOT NULL UNIQUE,"
                                  " scopes BIGINT NOT NULL,"
                                  " created_by BIGINT NOT NULL,"
                                  " created_at BIGINT NOT NULL,"
                                  " last_used_at BIGINT,"
                                  " revoked_at BIGINT,"
                                  " UNIQUE (tenant_id, name),"
                                  " FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id));";

/* The HR dashboard and admin panel (issue: dashboard). Tenants gain the
 * anonymity threshold k and the confidentiality mode; employees gain
 * erased_at (personal data removed, aggregates kept).
 *
 * rollups are the dashboard's figures, maintained as events arrive, in the
 * transaction of the event (store/rollup.c): one row per tenant x month
 * (yyyymm in the tenant's zone) x touchpoint x department x location x
 * tenure band, counting invites sent, conversations started and completed,
 * mood (1-5) answers and their sum and distribution, eNPS (0-10) answers,
 * promoters and detractors, and text answers (comments) by sentiment. An
 * invite is attached to its row (invites.rollup_id) when it is first
 * counted, so everything that happens to it later lands in the same cell
 * even if the employee changes department. rollups_dept holds the same
 * counters without location and band (one row per month x touchpoint x
 * department), kept in step by the same statements, so that the views that
 * need neither read a table a tenth the size; rollups_manager the same per
 * department and manager (the employee's manager_email when the invite was
 * counted, kept in invites.rollup_manager), for the heatmap by manager.
 *
 * audit_log records every admin action, export and view of identified
 * answers; webhooks and webhook_deliveries are the tenant's HTTP callbacks
 * (an outbox like outreach's, one row per webhook x event x object);
 * escalation_notes are HR's notes on a red flag. */
/* The counters of every rollups table (rollup.c adds to them). */
#define ROLLUP_COUNTERS                                                                                                \
    " invited BIGINT NOT NULL DEFAULT 0, started BIGINT NOT NULL DEFAULT 0, completed BIGINT NOT NULL DEFAULT 0,"      \
    " mood_n BIGINT NOT NULL DEFAULT 0, mood_sum DOUBLE PRECISION NOT NULL DEFAULT 0,"                                 \
    " mood_1 BIGINT NOT NULL DEFAULT 0, mood_2 BIGINT NOT NULL DEFAULT 0, mood_3 BIGINT NOT NULL DEFAULT 0,"           \
    " mood_4 BIGINT NOT NULL DEFAULT 0, mood_5 BIGINT NOT NULL DEFAULT 0, enps_n BIGINT NOT NULL DEFAULT 0,"           \
    " enps_promoters BIGINT NOT NULL DEFAULT 0, enps_detractors BIGINT NOT NULL DEFAULT 0,"                            \
    " comments BIGINT NOT NULL DEFAULT 0, comments_neg BIGINT NOT NULL DEFAULT 0, comments_pos BIGINT NOT NULL "       \
    "DEFAULT 0,"

static const char m5_dashboard[] =
    "ALTER TABLE tenants ADD COLUMN anon_k INTEGER NOT NULL DEFAULT 5;"
    "ALTER TABLE tenants ADD COLUMN confidentiality TEXT NOT NULL DEFAULT 'anonymous';"
    "ALTER TABLE employees ADD COLUMN erased_at BIGINT;"
    "ALTER TABLE invites ADD COLUMN rollup_id BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE invites ADD COLUMN rollup_manager TEXT NOT NULL DEFAULT '';"

    "CREATE TABLE rollups ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " month INTEGER NOT NULL,"
    " touchpoint_id BIGINT NOT NULL,"
    " department TEXT NOT NULL,"
    " location TEXT NOT NULL,"
    " band TEXT NOT NULL," ROLLUP_COUNTERS " UNIQUE (tenant_id, id),"
    " UNIQUE (tenant_id, month, touchpoint_id, department, location, band));"

    "CREATE TABLE rollups_dept ("
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " month INTEGER NOT NULL,"
    " touchpoint_id BIGINT NOT NULL,"
    " department TEXT NOT NULL," ROLLUP_COUNTERS " PRIMARY KEY (tenant_id, month, touchpoint_id, department));"

    "CREATE TABLE rollups_manager ("
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " month INTEGER NOT NULL,"
    " touchpoint_id BIGINT NOT NULL,"
    " department TEXT NOT NULL,"
    " manager TEXT NOT NULL," ROLLUP_COUNTERS " PRIMARY KEY (tenant_id, month, touchpoint_id, department, manager));"

    "CREATE TABLE audit_log ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " at BIGINT NOT NULL,"
    " user_id BIGINT NOT NULL DEFAULT 0,"
    " token_id BIGINT NOT NULL DEFAULT 0,"
    " action TEXT NOT NULL,"
    " target TEXT NOT NULL DEFAULT '',"
    " detail TEXT NOT NULL DEFAULT '{}');"
    "CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);"

    "CREATE TABLE webhooks ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL REFERENCES tenants (id),"
    " url TEXT NOT NULL,"
    " secret TEXT NOT NULL,"
    " events TEXT NOT NULL,"
    " active INTEGER NOT NULL DEFAULT 1,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " UNIQUE (tenant_id, id));"

    "CREATE TABLE webhook_deliveries ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL,"
    " webhook_id BIGINT NOT NULL,"
    " event TEXT NOT NULL,"
    " ref_id BIGINT NOT NULL,"
    " payload TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " due_at BIGINT NOT NULL,"
    " lease_until BIGINT NOT NULL DEFAULT 0,"
    " last_code INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '',"
    " sent_at BIGINT,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " UNIQUE (webhook_id, event, ref_id),"
    " FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id));"
    "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (due_at) WHERE status = 'pending';"
    "CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until) WHERE status = 'sending';"

    "CREATE TABLE escalation_notes ("
    " id {{ID}},"
    " tenant_id BIGINT NOT NULL,"
    " escalation_id BIGINT NOT NULL,"
    " user_id BIGINT NOT NULL,"
    " text TEXT NOT NULL,"
    " created_at BIGINT NOT NULL);"
    "CREATE INDEX escalation_notes_escalation ON escalation_notes (tenant_id, escalation_id);"
    "CREATE INDEX escalations_tenant_id ON escalations (tenant_id, id);"
    "CREATE INDEX escalations_tenant_status_id ON escalations (tenant_id, status, id);"
    /* Comments are found through their invites' rollups rows. */
    "CREATE INDEX invites_tenant_rollup ON invites (tenant_id, rollup_id);";

const struct store_migration store_migrations[] = {
    {1, "core", m1_core},         {2, "escalations", m2_escalations}, {3, "outreach", m3_outreach},
    {4, "sessions", m4_sessions}, {5, "dashboard", m5_dashboard},
};

const size_t store_migrations_count = sizeof store_migrations / sizeof store_migrations[0];
