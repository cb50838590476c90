/* Writing one email of the outbox: which template (the tenant's own, else the
 * built-in one of data/templates; the touchpoint's own, else the generic
 * one), the values of its placeholders, the chat link with a signed token,
 * and the MIME message (mail.h). Also decides when a row must not be sent
 * any more (the conversation started, the invite expired, the person left)
 * or cannot be (no valid address, a broken template). Alerts to HR carry the
 * kind and severity of the red flag and a link, never the answer's text or
 * the employee's name. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/email.h"
#include "core/embed.h"
#include "core/err.h"
#include "core/token.h"
#include "core/tz.h"
#include "outreach/mail.h"
#include "outreach/outreach_int.h"

#define MAIL_MAX          (256 * 1024) /* bound of one rendered part and of one message */
#define TEMPLATE_CACHE_MS 10000        /* a tenant's template is read again after this */

/* A tenant's own template NAME, through a small cache (the mailer asks for
 * four templates per message; most tenants have none of their own). *BODY
 * is NULL when the tenant has none, else borrowed from the cache: valid
 * until the next lookup. Entries are refreshed after TEMPLATE_CACHE_MS, so
 * a template stored with `hark template set` is used within that time. */
static int tenant_template(outreach *o, int64_t tenant_id, const char *name, const char **body) {
    int64_t now = hark_now_ms();
    size_t oldest = 0;
    for (size_t i = 0; i < OUTREACH_TEMPLATE_CACHE; i++) {
        struct outreach_template *e = &o->templates[i];
        if (e->fetched_ms && e->tenant_id == tenant_id && !strcmp(e->name, name) &&
            now - e->fetched_ms < TEMPLATE_CACHE_MS && now >= e->fetched_ms) {
            *body = e->body;
            return HARK_OK;
        }
        if (e->fetched_ms < o->templates[oldest].fetched_ms) oldest = i;
    }
    struct outreach_template *e = &o->templates[oldest];
    char *fresh = NULL;
    int rc = store_template_get(o->c, tenant_id, name, &fresh);
    if (rc) return rc;
    free(e->body);
    e->body = fresh;
    e->tenant_id = tenant_id;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->fetched_ms = now;
    *body = e->body;
    return HARK_OK;
}

void outreach__templates_clear(outreach *o) {
    for (size_t i = 0; i < OUTREACH_TEMPLATE_CACHE; i++) {
        free(o->templates[i].body);
        memset(&o->templates[i], 0, sizeof o->templates[i]);
    }
}

/* A template's text: the tenant's own NAME-KIND.EXT, its own NAME.EXT, the
 * built-in NAME-KIND.EXT, the built-in NAME.EXT, in that order. *TEXT is
 * borrowed (valid until the next lookup). HARK_ENOTFOUND when none exists.
 * WHICH receives the file name that was used. */
static int find_template(outreach *o, int64_t tenant_id, const char *name, const char *kind, const char *ext,
                         const char **text, char *which, size_t cap) {
    char names[2][96];
    int rc;
    snprintf(names[0], sizeof names[0], "%s-%s.%s", name, kind ? kind : "", ext);
    snprintf(names[1], sizeof names[1], "%s.%s", name, ext);
    for (int i = kind ? 0 : 1; i < 2; i++) {
        const char *own = NULL;
        if ((rc = tenant_template(o, tenant_id, names[i], &own))) return rc;
        if (own) {
            *text = own;
            snprintf(which, cap, "%s (tenant's own)", names[i]);
            return HARK_OK;
        }
    }
    char base[80];
    size_t len;
    snprintf(base, sizeof base, "%s%s%s", name, kind ? "-" : "", kind ? kind : "");
    if ((rc = mail_template_builtin(base, ext, text, &len)) == HARK_OK)
        snprintf(which, cap, "%s.%s (built-in, or its generic level)", base, ext);
    return rc;
}

/* Checks one template pair (NAME[-KIND].txt and .html). */
static int check_pair(outreach *o, int64_t tenant_id, const char *name, const char *kind, char *err, size_t errlen) {
    static const char *const exts[] = {"txt", "html"};
    const char *const *allowed = mail_template_vars(name);
    for (int i = 0; i < 2; i++) {
        const char *text;
        char which[128], msg[200];
        int rc = find_template(o, tenant_id, name, kind, exts[i], &text, which, sizeof which);
        if (rc == HARK_ENOTFOUND) {
            snprintf(err, errlen, "%s.%s: no such template", name, exts[i]);
            return HARK_EINVAL;
        }
        if (rc) return rc;
        rc = mail_template_check(text, strlen(text), allowed, msg, sizeof msg);
        if (rc == HARK_OK && i == 0) {
            const char *subj, *body;
            size_t sl, bl;
            if (mail_split_subject(text, strlen(text), &subj, &sl, &body, &bl)) {
                snprintf(msg, sizeof msg, "line 1: the first line must be \"Subject: ...\"");
                rc = HARK_EINVAL;
            }
        }
        if (rc) {
            snprintf(err, errlen, "%s: %s", which, msg);
            return HARK_EINVAL;
        }
    }
    return HARK_OK;
}

int outreach__check_templates(outreach *o, int64_t tenant_id, const char *kind, char *err, size_t errlen) {
    int rc = check_pair(o, tenant_id, "invite", kind, err, errlen);
    if (rc == HARK_OK) rc = check_pair(o, tenant_id, "reminder", kind, err, errlen);
    if (rc == HARK_OK) rc = check_pair(o, tenant_id, "alert", NULL, err, errlen);
    return rc;
}

const hark_tz *outreach__employee_tz(const store_mail_ctx *ctx) {
    const hark_tz *tz = NULL;
    if (!(ctx->employee.timezone[0] && tz_get(ctx->employee.timezone, &tz) == HARK_OK) &&
        tz_get(ctx->tenant.timezone, &tz) != HARK_OK)
        tz_get("UTC", &tz);
    return tz;
}

/* "Saturday 5 December" for instant MS in zone TZ. */
static void human_date(int64_t ms, const hark_tz *tz, char *out, size_t cap) {
    static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    static const char *const months[] = {"January", "February", "March",     "April",   "May",      "June",
                                         "July",    "August",   "September", "October", "November", "December"};
    int64_t day;
    int sec, y, m, d;
    tz_to_local(tz, ms / 1000, &day, &sec);
    tz_civil_from_days(day, &y, &m, &d);
    snprintf(out, cap, "%s %d %s", days[tz_weekday(day)], d, months[m - 1]);
}

/* Renders NAME[-KIND] (.txt with its subject, and .html) with VARS into
 * SUBJECT, TEXT and HTML. */
static int render_pair(outreach *o, int64_t tenant_id, const char *name, const char *kind, const mail_var *vars,
                       size_t nvars, buf *subject, buf *text, buf *html, char *why, size_t whylen) {
    const char *src, *subj, *body;
    char which[128], err[200];
    size_t sl, bl;
    buf rendered;
    int rc = find_template(o, tenant_id, name, kind, "txt", &src, which, sizeof which);
    if (rc) {
        snprintf(why, whylen, "template %s.txt: %s", name, hark_strerror(rc));
        return rc;
    }
    buf_init(&rendered, MAIL_MAX);
    rc = mail_render(src, strlen(src), vars, nvars, 0, &rendered, err, sizeof err);
    if (rc == HARK_OK && mail_split_subject(rendered.data, rendered.len, &subj, &sl, &body, &bl)) {
        snprintf(err, sizeof err, "no subject line");
        rc = HARK_EINVAL;
    }
    if (rc == HARK_OK) rc = buf_append(subject, subj, sl);
    if (rc == HARK_OK) rc = buf_append(text, body, bl);
    buf_free(&rendered);
    if (rc) {
        snprintf(why, whylen, "template %s: %s", which, rc == HARK_EINVAL ? err : hark_strerror(rc));
        return rc;
    }
    if ((rc = find_template(o, tenant_id, name, kind, "html", &src, which, sizeof which))) {
        snprintf(why, whylen, "template %s.html: %s", name, hark_strerror(rc));
        return rc;
    }
    rc = mail_render(src, strlen(src), vars, nvars, 1, html, err, sizeof err);
    if (rc) snprintf(why, whylen, "template %s: %s", which, rc == HARK_EINVAL ? err : hark_strerror(rc));
    return rc;
}

/* The red flag's kind in words for HR. */
static const char *kind_name(const char *kind) {
    if (!strcmp(kind, "self_harm")) return "risk of self-harm";
    if (!strcmp(kind, "threat")) return "threat of violence";
    if (!strcmp(kind, "resign")) return "intention to leave";
    return kind; /* harassment, burnout */
}

static const char *severity_name(int s) {
    return s >= 3 ? "urgent" : s == 2 ? "concern" : "watch";
}

const char *outreach__obsolete(const store_outbox *row, const store_mail_ctx *ctx, int64_t now) {
    const char *s = ctx->invite.status;
    if (!strcmp(s, "started") || !strcmp(s, "completed")) return "the conversation has started";
    if (!strcmp(s, "expired") || now >= ctx->invite.expires_at) return "the invite has expired";
    if (!strcmp(row->kind, "reminder") && strcmp(s, "sent") && strcmp(s, "opened"))
        return "the invite was not delivered";
    if (!strcmp(ctx->employee.status, "inactive")) return "the employee is inactive";
    if (!strcmp(ctx->employee.status, "left") && strcmp(ctx->touchpoint.kind, "exit")) return "the employee has left";
    return NULL;
}

int outreach__compose(outreach *o, const store_outbox *row, const store_mail_ctx *ctx, outreach_mail *m, char *why,
                      size_t whylen) {
    buf subject, text, html;
    mail_var vars[8];
    size_t nv = 0;
    char link[800], expires[64], number[16], tok[TOKEN_MAX], to_name[160], msgid[400];
    const char *to_addr;
    int64_t now = hark_now_ms();
    int rc, alert = !strcmp(row->kind, "alert");

    m->nrcpt = 0;
    buf_reset(&m->data);
    snprintf(m->name, sizeof m->name, "%s.%" PRId64 ".%d.%" PRId64, row->kind, row->ref_id, row->n, row->tenant_id);
    to_name[0] = '\0';
    if (alert) {
        if ((rc = store_admin_emails(o->c, row->tenant_id, m->rcpt, OUTREACH_MAX_RCPT, &m->nrcpt))) return rc;
        size_t k = 0;
        for (size_t i = 0; i < m->nrcpt; i++)
            if (!email_problem(m->rcpt[i], strlen(m->rcpt[i]))) memmove(m->rcpt[k++], m->rcpt[i], 256);
        m->nrcpt = k;
        if (!m->nrcpt) {
            snprintf(why, whylen, "no owner or admin with a valid address to tell");
            return STORE_OUTBOX_FAILED;
        }
        snprintf(link, sizeof link, "%s/#/escalations/%" PRId64, o->public_url, ctx->escalation.id);
        vars[nv++] = (mail_var){"company", ctx->tenant.name};
        vars[nv++] = (mail_var){"kind", kind_name(ctx->escalation.kind)};
        vars[nv++] = (mail_var){"severity", severity_name(ctx->escalation.severity)};
        vars[nv++] = (mail_var){"link", link};
        to_addr = m->rcpt[0];
    } else {
        const hark_tz *tz;
        if (email_problem(ctx->employee.email, strlen(ctx->employee.email))) {
            snprintf(why, whylen, "invalid email address");
            return STORE_OUTBOX_FAILED;
        }
        snprintf(m->rcpt[0], sizeof m->rcpt[0], "%s", ctx->employee.email);
        m->nrcpt = 1;
        to_addr = m->rcpt[0];
        tz = outreach__employee_tz(ctx);
        token_claims cl = {row->tenant_id, ctx->invite.id, ctx->invite.expires_at};
        if ((rc = token_make(o->o.key, &cl, tok, sizeof tok))) return rc;
        snprintf(link, sizeof link, "%s/c/%s", o->public_url, tok);
        human_date(ctx->invite.expires_at - 1, tz, expires, sizeof expires);
        snprintf(number, sizeof number, "%d", row->n);
        snprintf(to_name, sizeof to_name, "%s%s%s", ctx->employee.first_name,
                 ctx->employee.first_name[0] && ctx->employee.last_name[0] ? " " : "", ctx->employee.last_name);
        vars[nv++] = (mail_var){"first_name", ctx->employee.first_name[0] ? ctx->employee.first_name : "there"};
        vars[nv++] = (mail_var){"company", ctx->tenant.name};
        vars[nv++] = (mail_var){"link", link};
        vars[nv++] = (mail_var){"expires", expires};
        vars[nv++] = (mail_var){"touchpoint", ctx->touchpoint.name};
        vars[nv++] = (mail_var){"minutes", "3"};
        vars[nv++] = (mail_var){"reminder_number", number};
    }

    buf_init(&subject, 1024);
    buf_init(&text, MAIL_MAX);
    buf_init(&html, MAIL_MAX);
    rc = render_pair(o, row->tenant_id, alert ? "alert" : row->kind, alert ? NULL : ctx->touchpoint.kind, vars, nv,
                     &subject, &text, &html, why, whylen);
    if (rc == HARK_OK) {
        mail_msg msg;
        snprintf(msgid, sizeof msgid, "hark.%s@%s", m->name, o->domain);
        memset(&msg, 0, sizeof msg);
        msg.from_name = o->from_name;
        msg.from_addr = o->from_addr;
        msg.to_name = to_name;
        msg.to_addr = to_addr;
        msg.subject = subject.data ? subject.data : "";
        msg.text = text.data ? text.data : "";
        msg.html = html.data ? html.data : "";
        msg.message_id = msgid;
        msg.date = now / 1000;
        if ((rc = mail_build(&msg, &m->data))) snprintf(why, whylen, "message not built: %s", hark_strerror(rc));
    }
    buf_free(&subject);
    buf_free(&text);
    buf_free(&html);
    if (rc == HARK_EINVAL || rc == HARK_ENOTFOUND || rc == HARK_ETOOBIG) return STORE_OUTBOX_FAILED;
    return rc;
}
