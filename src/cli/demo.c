/* `hark demo`: a believable demo company (tenant "demo"): several hundred
 * employees across departments, locations and hire dates, a handful of
 * completed conversations, and fresh chat links to try. Run again, it keeps the
 * company and prints new links. The admin password is kept in
 * DATA_DIR/demo-admin.txt (mode 0600) so later runs can show it again. */
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat/chat.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/tz.h"
#include "flow/flow.h"
#include "nlp/sentiment.h"

#define DEMO_SLUG   "demo"
#define DEMO_NAME   "Lumen & Oak"
#define DEMO_DOMAIN "lumenoak.example"

static const char *first_names[] = {
    "Maya",  "Jonas",  "Amara", "Luca",   "Sofia",  "Noah",  "Priya", "Mateo",   "Hannah", "Kwame", "Elena", "Ravi",
    "Chloe", "Tomasz", "Aisha", "Daniel", "Ingrid", "Omar",  "Lena",  "Hiroshi", "Fatima", "Lucas", "Grace", "Emil",
    "Zara",  "Diego",  "Nina",  "Samuel", "Yuki",   "Marta", "Ethan", "Leila",   "Oscar",  "Ana",   "Felix", "Mei",
};
static const char *last_names[] = {
    "Fischer", "Okafor",  "Silva",  "Novak", "Haddad", "Lindqvist", "Moreau",  "Kowalski", "Tanaka",  "Mensah",
    "Costa",   "Schmidt", "Patel",  "Rossi", "Nguyen", "Andersen",  "Garcia",  "Byrne",    "Ivanova", "Dubois",
    "Yilmaz",  "Keller",  "Santos", "Walsh", "Ito",    "Berg",      "Ramirez", "Hughes",   "Popescu", "Weber",
};
static const struct {
    const char *name;
    int weight;
} departments[] = {
    {"Engineering", 28}, {"Customer Support", 18}, {"Sales", 14},  {"Operations", 12},
    {"Marketing", 8},    {"Product", 8},           {"Finance", 6}, {"People", 6},
    {"Legal", 1},
};
static const struct {
    const char *name, *tz;
} locations[] = {
    {"Berlin", "Europe/Berlin"},
    {"Lisbon", "Europe/Lisbon"},
    {"Austin", "America/Chicago"},
    {"Toronto", "America/Toronto"},
    {"Remote", ""},
};

static const char *positive_comments[] = {
    "My team lead is really supportive and I finally have time to focus on deep work.",
    "The new flexible hours made a big difference for me, thank you.",
    "I feel recognised for the migration project and I am learning a lot.",
    "Great onboarding, everyone was friendly and helpful.",
};
static const char *negative_comments[] = {
    "We are understaffed since the spring and I am working late most evenings.",
    "Too many meetings and unclear priorities, it is hard to get anything done.",
    "I feel micromanaged and my ideas are not taken seriously.",
    "The on-call rotation is exhausting and nobody seems to notice.",
};
static const char *neutral_comments[] = {
    "Things are fine overall, the workload is manageable.",
    "It has been an ordinary month, nothing special to report.",
};

/* A small deterministic generator so every demo company looks the same. */
static uint64_t demo_rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n) {
    demo_rng ^= demo_rng << 13;
    demo_rng ^= demo_rng >> 7;
    demo_rng ^= demo_rng << 17;
    return (uint32_t)(demo_rng % n);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *pick_department(void) {
    int total = 0;
    for (size_t i = 0; i < N_OF(departments); i++) total += departments[i].weight;
    int r = (int)rnd((uint32_t)total);
    for (size_t i = 0; i < N_OF(departments); i++) {
        if (r < departments[i].weight) return departments[i].name;
        r -= departments[i].weight;
    }
    return departments[0].name;
}

static void date_days_ago(int64_t now, int days, char out[11]) {
    char iso[32];
    hark_time_format(now - (int64_t)days * 86400000LL, iso, sizeof iso);
    snprintf(out, 11, "%.10s", iso);
}

static void lower_ascii(char *s) {
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

/* Answers the open question of a flow like a person of the given MOOD (1-5). */
static void demo_answer(const char *input_json, int mood, char *out, size_t cap) {
    json_t *in = json_loads(input_json, 0, NULL);
    const char *kind = json_string_value(json_object_get(in, "kind"));
    if (kind && !strcmp(kind, "scale")) {
        int min = (int)json_integer_value(json_object_get(in, "min"));
        int max = (int)json_integer_value(json_object_get(in, "max"));
        int v = min + (max - min) * (mood - 1) / 4;
        if (max - min == 10) { /* eNPS: happy people recommend, most others stay passive */
            static const int lo[] = {0, 2, 5, 7, 8}, span[] = {4, 5, 4, 3, 3};
            v = lo[mood - 1] + (int)rnd((uint32_t)span[mood - 1]);
        }
        snprintf(out, cap, "%d", v);
    } else if (kind && !strcmp(kind, "choice")) {
        json_t *opts = json_object_get(in, "options");
        size_t n = json_array_size(opts);
        size_t i = mood >= 4 ? 0 : (mood <= 2 ? n - 1 : n / 2);
        snprintf(out, cap, "%s", n ? json_string_value(json_array_get(opts, i)) : "");
    } else {
        const char *t = mood >= 4   ? positive_comments[rnd(N_OF(positive_comments))]
                        : mood <= 2 ? negative_comments[rnd(N_OF(negative_comments))]
                                    : neutral_comments[rnd(N_OF(neutral_comments))];
        snprintf(out, cap, "%s", t);
    }
    json_decref(in);
}

/* A touchpoint of the demo company and its flow, looked up and parsed once
 * per run (a year of conversations uses the same two). */
typedef struct demo_tp {
    store_touchpoint tp;
    int64_t flow_id;
    flow *fl;
} demo_tp;

static demo_tp demo_tps[8];
static size_t demo_ntps;

static int demo_tp_get(store_conn *c, const store_tenant *t, const char *name, const demo_tp **out) {
    for (size_t i = 0; i < demo_ntps; i++)
        if (!strcmp(demo_tps[i].tp.name, name)) {
            *out = &demo_tps[i];
            return HARK_OK;
        }
    if (demo_ntps == N_OF(demo_tps)) return HARK_EBUSY;
    demo_tp *d = &demo_tps[demo_ntps];
    store_flow sf;
    char err[256];
    int rc = store_touchpoint_by_name(c, t->id, name, &d->tp);
    if (rc || (rc = store_flow_latest(c, t->id, d->tp.flow_name, &sf))) return rc;
    d->fl = flow_parse(sf.json, strlen(sf.json), err, sizeof err);
    d->flow_id = sf.id;
    store_flow_clear(&sf);
    if (!d->fl) return HARK_EINVAL;
    demo_ntps++;
    *out = d;
    return HARK_OK;
}

static void demo_tps_free(void) {
    for (size_t i = 0; i < demo_ntps; i++) flow_free(demo_tps[i].fl);
    demo_ntps = 0;
}

/* Runs a conversation of employee E through TOUCHPOINT, invited at AT (Unix
 * ms) for occurrence OCC, and stores it: the whole of it, only the first
 * answer when ABANDON is 1 (started, never completed), or only the invite
 * when it is -1 (never answered). */
static int demo_conversation(const hark_config *cfg, store_conn *c, const store_tenant *t, const store_employee *e,
                             const char *touchpoint, int mood, int64_t at, const char *occ, int abandon) {
    store_invite inv;
    flow_state fs;
    char err[256], answer[512];
    const demo_tp *d;
    int rc = demo_tp_get(c, t, touchpoint, &d);
    if (rc) return rc;
    const flow *fl = d->fl;
    int64_t now = at;
    memset(&inv, 0, sizeof inv);
    inv.tenant_id = t->id;
    inv.employee_id = e->id;
    inv.touchpoint_id = d->tp.id;
    inv.flow_id = d->flow_id;
    snprintf(inv.occurrence, sizeof inv.occurrence, "demo-%" PRId64 "-%s", e->id, occ);
    snprintf(inv.status, sizeof inv.status, "sent");
    inv.created_at = now;
    inv.expires_at = now + cfg->invite_ttl_days * 86400000LL;
    if ((rc = store_invite_create(c, &inv)) || abandon < 0) goto out;

    store_conversation sc;
    memset(&sc, 0, sizeof sc);
    sc.tenant_id = t->id;
    sc.invite_id = inv.id;
    sc.flow_id = d->flow_id;
    if ((rc = store_conversation_create(c, &sc))) goto out;
    flow_ctx ctx = {e->first_name, t->name};
    flow_out out;
    memset(&out, 0, sizeof out);
    flow_state_init(&fs);
    if ((rc = flow_start(fl, &fs, &ctx, &out))) goto out;
    int64_t seq = 0;
    int step = 0;
    for (;;) {
        store_message msgs[1 + FLOW_OUT_MAX];
        store_flag flags[STORE_FLAGS_MAX];
        char flags_json[CHAT_FLAGS_JSON_MAX];
        store_answer ans;
        size_t n = 0, nans = 0;
        memset(msgs, 0, sizeof msgs);
        memset(&ans, 0, sizeof ans);
        if (step > 0) {
            /* The employee's answer to the question asked in the previous round. */
            nlp_sentiment s;
            nlp_sentiment_score(answer, strlen(answer), &s);
            flow_answer_rec fa;
            flow_out next;
            memset(&next, 0, sizeof next);
            if ((rc = flow_answer(fl, &fs, answer, s.compound, &ctx, &next, &fa, err, sizeof err))) break;
            flow_out_free(&out);
            out = next;
            msgs[0].seq = ++seq;
            msgs[0].created_at = now + seq * 20000; /* the conversation's own time, not the demo's */
            msgs[0].from_employee = 1;
            snprintf(msgs[0].client_id, sizeof msgs[0].client_id, "demo-%d", step);
            msgs[0].text = answer;
            msgs[0].scored = 1;
            msgs[0].compound = s.compound;
            msgs[0].pos = s.pos;
            msgs[0].neu = s.neu;
            msgs[0].neg = s.neg;
            msgs[0].nflags = chat_flags(answer, strlen(answer), flags, flags_json, sizeof flags_json);
            if (msgs[0].nflags) {
                msgs[0].flags = flags;
                msgs[0].flags_json = flags_json;
            }
            n = 1;
            if (fa.key[0]) {
                ans.seq = seq;
                snprintf(ans.key, sizeof ans.key, "%s", fa.key);
                snprintf(ans.kind, sizeof ans.kind, "%s", fa.kind);
                ans.has_number = fa.has_number;
                ans.number = fa.number;
                nans = 1;
            }
        }
        int64_t awaiting = 0;
        for (int i = 0; i < out.n; i++) {
            msgs[n].seq = ++seq;
            msgs[n].created_at = now + seq * 20000;
            msgs[n].text = out.msgs[i].text;
            msgs[n].input_json = out.msgs[i].input_json;
            if (out.msgs[i].input_json) awaiting = seq;
            n++;
        }
        int64_t prev = sc.last_seq, dup;
        snprintf(sc.node, sizeof sc.node, "%s", fs.node);
        sc.vars_json = fs.vars;
        sc.last_seq = seq;
        sc.awaiting_seq = awaiting;
        sc.done = fs.done;
        rc = store_conversation_append(c, &sc, prev, msgs, n, nans ? &ans : NULL, nans, &dup);
        sc.vars_json = NULL;
        if (rc || fs.done || (abandon && step == 1)) break;
        const char *input = flow_open_input(fl, &fs);
        if (!input) break;
        demo_answer(input, mood, answer, sizeof answer);
        step++;
    }
    flow_out_free(&out);
out:
    return rc;
}

/* The mood a person of department DEPT tends to answer MONTHS_AGO months
 * ago: some teams are happier than others, and most improve over the year. */
static int demo_mood(const char *dept, int months_ago) {
    int base = 3;
    if (!strcmp(dept, "Customer Support") || !strcmp(dept, "Operations")) base = 2;
    if (!strcmp(dept, "People") || !strcmp(dept, "Product") || !strcmp(dept, "Legal")) base = 4;
    int r = (int)rnd(10);
    int mood = base + (r < 2 ? -1 : r > 7 ? 1 : 0) + (months_ago < 4 && rnd(3) == 0 ? 1 : 0);
    return mood < 1 ? 1 : mood > 5 ? 5 : mood;
}

/* A year of monthly pulse conversations, plus onboarding for recent hires:
 * about two thirds answer, a few stop half-way, so the dashboard has trends,
 * response rates and a heatmap (and the small Legal team shows suppression).
 * One transaction per month. Progress goes to stdout. */
static int demo_history(const hark_config *cfg, store_conn *c, const store_tenant *t, int64_t now) {
    enum { MONTHS = 12, PAGE = 256 };
    store_employee page[PAGE];
    int64_t total = 0;
    for (int m = MONTHS - 1; m >= 0; m--) {
        int64_t after = 0;
        size_t n;
        char occ[16];
        int rc = store_begin(c);
        if (rc) return rc;
        do {
            if ((rc = store_employee_list(c, t->id, after, page, PAGE, &n))) break;
            for (size_t i = 0; i < n && !rc; i++) {
                const store_employee *e = &page[i];
                after = e->id;
                int64_t hired;
                int64_t at = now - ((int64_t)m * 30 + 2 + rnd(20)) * 86400000LL;
                if (at > now - 3600000LL) at = now - 3600000LL;
                if (tz_date_parse(e->hire_date, &hired) || hired * 86400000LL > at) continue;
                if (rnd(100) >= 85) continue; /* not invited this month */
                int answered = rnd(100) < 68;
                snprintf(occ, sizeof occ, "m%d", m);
                int onboarding = at - hired * 86400000LL < 40 * 86400000LL;
                rc = demo_conversation(cfg, c, t, e, onboarding ? "onboarding" : "pulse", demo_mood(e->department, m),
                                       at, occ, answered ? (rnd(100) < 8 ? 1 : 0) : -1);
                total++;
            }
        } while (!rc && n == PAGE);
        if (rc) {
            store_rollback(c);
            return rc;
        }
        if ((rc = store_commit(c))) return rc;
        printf("  month %d of %d: %" PRId64 " invitations so far\n", MONTHS - m, MONTHS, total);
        fflush(stdout);
    }
    return 0;
}

static int create_company(const hark_config *cfg, store_conn *c, int employees, store_tenant *t, char *password,
                          size_t cap) {
    int64_t sample[16];
    int n_sample = 0;
    int64_t now = hark_now_ms();
    char admin[128];
    snprintf(admin, sizeof admin, "admin@%s", DEMO_DOMAIN);
    int rc = cli_provision_tenant(c, DEMO_SLUG, DEMO_NAME, "Europe/Berlin", admin, t, password, cap);
    if (rc) return rc;
    if ((rc = store_begin(c))) return rc;
    for (int i = 0; i < employees; i++) {
        store_employee e;
        memset(&e, 0, sizeof e);
        e.tenant_id = t->id;
        const char *fn = first_names[rnd(N_OF(first_names))], *ln = last_names[rnd(N_OF(last_names))];
        size_t loc = rnd(N_OF(locations));
        snprintf(e.external_id, sizeof e.external_id, "E%05d", 1001 + i);
        snprintf(e.first_name, sizeof e.first_name, "%s", fn);
        snprintf(e.last_name, sizeof e.last_name, "%s", ln);
        snprintf(e.email, sizeof e.email, "%s.%s.%d@%s", fn, ln, 1001 + i, DEMO_DOMAIN);
        lower_ascii(e.email);
        snprintf(e.department, sizeof e.department, "%s", i == 0 ? "Engineering" : pick_department());
        snprintf(e.location, sizeof e.location, "%s", locations[loc].name);
        /* Three team leads per department. */
        snprintf(e.manager_email, sizeof e.manager_email, "lead%u.%.40s@%s", rnd(3) + 1, e.department, DEMO_DOMAIN);
        for (char *p = e.manager_email; *p; p++) *p = *p == ' ' ? '-' : *p;
        lower_ascii(e.manager_email);
        snprintf(e.timezone, sizeof e.timezone, "%s", locations[loc].tz);
        /* Hire dates over five years, with a steady stream of recent hires. */
        int days = i % 10 == 0 ? 3 + (int)rnd(60) : 30 + (int)rnd(5 * 365);
        date_days_ago(now, days, e.hire_date);
        if (i % 37 == 5) date_days_ago(now, -(int)(5 + rnd(20)), e.exit_date); /* leaving soon */
        snprintf(e.status, sizeof e.status, "active");
        if ((rc = store_employee_upsert(c, &e))) goto fail;
        if (n_sample < 16) sample[n_sample++] = e.id;
    }
    if ((rc = store_commit(c))) return rc;
    (void)n_sample;
    (void)sample;
    rc = demo_history(cfg, c, t, now);
    demo_tps_free();
    return rc;
fail:
    store_rollback(c);
    return rc;
}

static void save_password(const hark_config *cfg, const char *password) {
    char path[600];
    snprintf(path, sizeof path, "%s/demo-admin.txt", cfg->data_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    ssize_t w = write(fd, password, strlen(password));
    (void)w;
    close(fd);
}

static void load_password(const hark_config *cfg, char *out, size_t cap) {
    char path[600];
    snprintf(path, sizeof path, "%s/demo-admin.txt", cfg->data_dir);
    FILE *f = fopen(path, "r");
    snprintf(out, cap, "(shown when the demo was created)");
    if (!f) return;
    if (!fgets(out, (int)cap, f)) snprintf(out, cap, "(unknown)");
    fclose(f);
}

int cli_demo(const hark_config *cfg, int argc, char **argv) {
    unsigned char used[64] = {0};
    unsigned char key[32];
    store *st;
    store_tenant t;
    char password[64], url[1024], base[600];
    int rc, employees = 300;
    if (argc > 64) return 2;
    const char *n = cli_opt(argc, argv, "employees", used);
    if (cli_check_unused("demo", argc, argv, used)) return 2;
    if (n) {
        char *end;
        long v = strtol(n, &end, 10);
        if (*end || v < 1 || v > 100000) {
            fprintf(stderr, "hark demo: --employees must be an integer from 1 to 100000\n");
            return 2;
        }
        employees = (int)v;
    }
    if (cli_load_key(cfg, key)) return 1;
    if ((rc = cli_open_store(cfg, &st))) return rc;
    store_conn *c = store_main_conn(st);
    rc = store_tenant_by_slug(c, DEMO_SLUG, &t);
    if (rc == HARK_ENOTFOUND) {
        printf("Creating the demo company \"%s\" with %d employees...\n", DEMO_NAME, employees);
        fflush(stdout);
        rc = create_company(cfg, c, employees, &t, password, sizeof password);
        if (rc) {
            fprintf(stderr, "hark demo: cannot create the demo company: %s\n", hark_strerror(rc));
            store_close(st);
            return 1;
        }
        save_password(cfg, password);
    } else if (rc == 0) {
        load_password(cfg, password, sizeof password);
    } else {
        fprintf(stderr, "hark demo: %s\n", hark_strerror(rc));
        store_close(st);
        return 1;
    }
    int64_t count = 0;
    store_employee_count(c, t.id, &count);
    config_public_url(cfg, base, sizeof base);
    printf("Demo company \"%s\" (tenant %s): %" PRId64 " employees\n", t.name, t.slug, count);
    printf("Open %s/\n", base);
    printf("admin login: admin@%s / %s\n", DEMO_DOMAIN, password);
    static const char *tps[] = {"pulse", "onboarding", "tenure", "exit"};
    printf("chat links (one per touchpoint, valid for %" PRId64 " days):\n", cfg->invite_ttl_days);
    store_employee list[N_OF(tps)];
    size_t nlist = 0;
    int shown = 0;
    store_employee_list(c, t.id, 0, list, N_OF(tps), &nlist);
    for (size_t i = 0; i < nlist; i++) {
        const store_employee *ep = &list[i];
        store_employee e = *ep;
        if (i == 0) printf("sample employee: %s\n", e.email);
        rc = cli_make_invite(cfg, c, key, t.id, e.id, tps[i], url, sizeof url);
        if (rc) {
            fprintf(stderr, "hark demo: cannot make an invite: %s\n", hark_strerror(rc));
            break;
        }
        printf("  %-10s %s  (%s %s)\n", tps[i], url, e.first_name, e.last_name);
        shown++;
    }
    store_close(st);
    return shown ? 0 : 1;
}
