/* Email templates (mail.h): checking and rendering {{placeholders}}, the
 * subject line of a .txt template, the placeholders each template family may
 * use, and the built-in templates of data/templates with their fallback from
 * "invite-pulse" to "invite". The MIME message around a rendered template is
 * mime.c's job; choosing a template and its values is the mailer's. */
#include <stdio.h>
#include <string.h>

#include "core/embed.h"
#include "core/err.h"
#include "core/utf8.h"
#include "outreach/mail.h"

#define VAR_NAME_MAX 64 /* bytes of a placeholder name */
#define SNIPPET_MAX  32 /* bytes of a malformed placeholder quoted in an error */
#define TPL_NAME_MAX 64 /* bytes of a template name ("invite-onboarding") */
#define TPL_EXT_MAX  8

static const char *const invite_vars[] = {"first_name", "company", "link", "expires", "touchpoint", "minutes", NULL};
static const char *const reminder_vars[] = {"first_name", "company",         "link", "expires", "touchpoint",
                                            "minutes",    "reminder_number", NULL};
/* An alert goes to HR mailboxes and lock screens: it names neither the
 * employee nor anything they wrote, so no placeholder can carry either. */
static const char *const alert_vars[] = {"company", "kind", "severity", "link", NULL};

/* Walks a template from one placeholder to the next, counting lines and
 * checking UTF-8 on the way, so check and render read templates alike. */
typedef struct tpl_scan {
    const char *s;
    size_t len, pos;
    unsigned line; /* 1-based line of pos */
} tpl_scan;

static int is_name_char(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Advances from sc->pos to the next placeholder. 1 when one is found: the
 * literal text before it is s[sc->pos..*lit_end), its name is *name (*nlen
 * bytes) and sc->pos is left at the "{{" (the caller moves it past with
 * *next); 0 at the end of the text (*lit_end = len); HARK_EINVAL with ERR set
 * for a malformed placeholder or invalid UTF-8. Each byte is looked at a
 * bounded number of times, so scanning is linear in the text. */
static int scan_next(tpl_scan *sc, size_t *lit_end, const char **name, size_t *nlen, size_t *next, char *err,
                     size_t errlen) {
    const unsigned char *s = (const unsigned char *)sc->s;
    size_t i = sc->pos;
    while (i < sc->len) {
        unsigned char c = s[i];
        if (c == '\n') {
            sc->line++;
            i++;
        } else if (c >= 0x80) {
            uint32_t cp;
            size_t n = utf8_decode(s + i, sc->len - i, &cp);
            if (n == 0) {
                snprintf(err, errlen, "line %u: invalid UTF-8", sc->line);
                return HARK_EINVAL;
            }
            i += n;
        } else if (c == '{' && i + 1 < sc->len && s[i + 1] == '{') {
            break;
        } else {
            i++;
        }
    }
    *lit_end = i;
    if (i >= sc->len) return 0;

    size_t start = i + 2, j = start;
    while (j < sc->len && is_name_char(s[j]) && j - start <= VAR_NAME_MAX) j++;
    if (j - start > VAR_NAME_MAX) {
        snprintf(err, errlen, "line %u: placeholder name longer than %d bytes", sc->line, VAR_NAME_MAX);
        return HARK_EINVAL;
    }
    if (j > start && j + 1 < sc->len && s[j] == '}' && s[j + 1] == '}') {
        *name = sc->s + start;
        *nlen = j - start;
        *next = j + 2;
        return 1;
    }
    /* Malformed: say "unclosed" when no "}}" follows on the same line, else
     * quote what stands between the braces. This runs once, on the way out. */
    size_t k = start;
    while (k < sc->len && s[k] != '\n' && !(s[k] == '}' && k + 1 < sc->len && s[k + 1] == '}')) k++;
    if (k >= sc->len || s[k] == '\n') {
        snprintf(err, errlen, "line %u: unclosed placeholder", sc->line);
        return HARK_EINVAL;
    }
    size_t show = k - start;
    if (show > SNIPPET_MAX) {
        show = SNIPPET_MAX;
        while (show > 0 && (s[start + show] & 0xC0) == 0x80) show--; /* do not cut a UTF-8 sequence */
    }
    snprintf(err, errlen, "line %u: malformed placeholder {{%.*s%s}}", sc->line, (int)show, sc->s + start,
             show < k - start ? "..." : "");
    return HARK_EINVAL;
}

static int in_list(const char *name, size_t nlen, const char *const *list) {
    for (; list && *list; list++)
        if (strlen(*list) == nlen && memcmp(*list, name, nlen) == 0) return 1;
    return 0;
}

int mail_template_check(const char *text, size_t len, const char *const *allowed, char *err, size_t errlen) {
    tpl_scan sc = {text, len, 0, 1};
    for (;;) {
        size_t lit_end, nlen, next;
        const char *name;
        int rc = scan_next(&sc, &lit_end, &name, &nlen, &next, err, errlen);
        if (rc <= 0) return rc;
        if (!in_list(name, nlen, allowed)) {
            snprintf(err, errlen, "line %u: unknown placeholder {{%.*s}}", sc.line, (int)nlen, name);
            return HARK_EINVAL;
        }
        sc.pos = next;
    }
}

/* Appends V with the five characters that matter in HTML text and in quoted
 * attribute values escaped. */
static int append_html(buf *out, const char *v) {
    const char *run = v;
    for (const char *p = v;; p++) {
        const char *rep;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\0': return buf_append(out, run, (size_t)(p - run));
        default: continue;
        }
        int rc = buf_append(out, run, (size_t)(p - run));
        if (!rc) rc = buf_append(out, rep, strlen(rep));
        if (rc) return rc;
        run = p + 1;
    }
}

int mail_render(const char *text, size_t len, const mail_var *vars, size_t nvars, int html, buf *out, char *err,
                size_t errlen) {
    size_t start = out->len;
    tpl_scan sc = {text, len, 0, 1};
    int rc;
    for (;;) {
        size_t lit_end, nlen, next;
        const char *name;
        int found = scan_next(&sc, &lit_end, &name, &nlen, &next, err, errlen);
        if (found < 0) {
            rc = found;
            goto fail;
        }
        rc = buf_append(out, text + sc.pos, lit_end - sc.pos);
        if (rc) goto fail;
        if (!found) return HARK_OK;
        const mail_var *v = NULL;
        for (size_t i = 0; i < nvars && !v; i++)
            if (strlen(vars[i].name) == nlen && memcmp(vars[i].name, name, nlen) == 0) v = &vars[i];
        if (!v) {
            snprintf(err, errlen, "line %u: no value for placeholder {{%.*s}}", sc.line, (int)nlen, name);
            rc = HARK_EINVAL;
            goto fail;
        }
        const char *value = v->value ? v->value : "";
        rc = html ? append_html(out, value) : buf_append(out, value, strlen(value));
        if (rc) goto fail;
        sc.pos = next;
    }
fail:
    if (rc == HARK_ETOOBIG || rc == HARK_ENOMEM) snprintf(err, errlen, "line %u: %s", sc.line, hark_strerror(rc));
    out->len = start;
    if (out->data) out->data[start] = '\0';
    return rc;
}

static int is_blank(char c) {
    return c == ' ' || c == '\t';
}

int mail_split_subject(const char *text, size_t len, const char **subject, size_t *subject_len, const char **body,
                       size_t *body_len) {
    static const char prefix[] = "Subject:";
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    if (len - i < sizeof prefix - 1 || memcmp(text + i, prefix, sizeof prefix - 1) != 0) return HARK_EINVAL;
    i += sizeof prefix - 1;
    const char *nl = memchr(text + i, '\n', len - i);
    size_t eol = nl ? (size_t)(nl - text) : len;
    size_t a = i, b = eol;
    while (a < b && is_blank(text[a])) a++;
    while (b > a && (is_blank(text[b - 1]) || text[b - 1] == '\r')) b--;
    if (a == b) return HARK_EINVAL;

    size_t rest = nl ? eol + 1 : len;
    /* The blank line that ends the subject; a template without one still
     * has its body on the next line. */
    if (rest < len && text[rest] == '\n')
        rest++;
    else if (len - rest >= 2 && text[rest] == '\r' && text[rest + 1] == '\n')
        rest += 2;
    *subject = text + a;
    *subject_len = b - a;
    *body = text + rest;
    *body_len = len - rest;
    return HARK_OK;
}

const char *const *mail_template_vars(const char *name) {
    if (!name) return NULL;
    size_t n = strcspn(name, "-");
    if (n == 6 && memcmp(name, "invite", 6) == 0) return invite_vars;
    if (n == 8 && memcmp(name, "reminder", 8) == 0) return reminder_vars;
    if (n == 5 && memcmp(name, "alert", 5) == 0) return alert_vars;
    return NULL;
}

int mail_template_builtin(const char *name, const char *ext, const char **text, size_t *len) {
    if (!name || !ext) return HARK_EINVAL;
    size_t n = strlen(name), e = strlen(ext);
    if (n == 0 || n > TPL_NAME_MAX || e == 0 || e > TPL_EXT_MAX) return HARK_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
              name[i] == '_'))
            return HARK_EINVAL;
    for (size_t i = 0; i < e; i++)
        if (ext[i] < 'a' || ext[i] > 'z') return HARK_EINVAL;

    char path[1 + TPL_NAME_MAX + 1 + TPL_EXT_MAX + 1];
    for (;;) {
        snprintf(path, sizeof path, "/%.*s.%s", (int)n, name, ext);
        const struct embed_file *f = embed_find(hark_template_files, path);
        if (f) {
            *text = (const char *)f->data;
            *len = f->len;
            return HARK_OK;
        }
        while (n > 0 && name[n - 1] != '-') n--;
        if (n <= 1) return HARK_ENOTFOUND;
        n--; /* drop the '-' */
    }
}
