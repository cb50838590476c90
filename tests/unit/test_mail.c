/* Unit tests for email composition (outreach/mail.h): placeholders (render,
 * HTML escaping, errors that name the line), the subject line, every built-in
 * template of data/templates against its placeholder list, RFC 2047 names and
 * subjects decoded back, quoted-printable round trips, and whole messages
 * (line lengths, 7-bit, CRLF, both parts, header injection). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/embed.h"
#include "core/err.h"
#include "core/utf8.h"
#include "outreach/mail.h"
#include "outreach/mail_int.h"

#define BIG (1024 * 1024)

static const char *const invite_names[] = {"invite",      "invite-onboarding", "invite-tenure", "invite-pulse",
                                           "invite-exit", "invite-adhoc",      "reminder",      "alert"};

/* Renders TEXT into a fresh string (free it) and asserts success. */
static char *render(const char *text, const mail_var *vars, size_t n, int html) {
    buf b;
    char err[128];
    buf_init(&b, BIG);
    int rc = mail_render(text, strlen(text), vars, n, html, &b, err, sizeof err);
    if (rc) fail_msg("render: %s", err);
    if (!b.data) buf_append(&b, "", 0);
    return buf_take(&b, NULL);
}

/* 0, or the error code with ERR filled by mail_template_check. */
static int check(const char *text, const char *const *allowed, char *err, size_t cap) {
    err[0] = '\0';
    return mail_template_check(text, strlen(text), allowed, err, cap);
}

static void render_values(void **state) {
    (void)state;
    mail_var v[] = {{"first_name", "Zoë"}, {"company", "Acme"}, {"empty", NULL}};
    char *s = render("Hi {{first_name}}, welcome to {{company}}!{{empty}}\n", v, 3, 0);
    assert_string_equal(s, "Hi Zoë, welcome to Acme!\n");
    free(s);
    /* One pass: a value that looks like a placeholder stays as it is. */
    mail_var inj[] = {{"first_name", "{{company}}"}, {"company", "Acme"}};
    s = render("{{first_name}} {{company}}", inj, 2, 0);
    assert_string_equal(s, "{{company}} Acme");
    free(s);
    /* Single braces are text. */
    s = render("a { b } c }} {x} {", NULL, 0, 0);
    assert_string_equal(s, "a { b } c }} {x} {");
    free(s);
}

static void render_html_escapes(void **state) {
    (void)state;
    mail_var v[] = {{"name", "<b>\"Tom\" & 'Jerry'</b>"}, {"link", "https://x.test/c/a?b=1&c=2"}};
    char *s = render("<p>{{name}}</p><a href=\"{{link}}\">{{link}}</a>", v, 2, 1);
    assert_string_equal(s, "<p>&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;</p>"
                           "<a href=\"https://x.test/c/a?b=1&amp;c=2\">https://x.test/c/a?b=1&amp;c=2</a>");
    free(s);
    s = render("{{name}}", v, 2, 0);
    assert_string_equal(s, "<b>\"Tom\" & 'Jerry'</b>");
    free(s);
}

static void render_errors(void **state) {
    (void)state;
    mail_var v[] = {{"first_name", "Zoë"}};
    char err[128];
    buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_append(&b, "kept", 4), 0);
    const char *t = "Hello\n\nHi {{frist_name}}";
    assert_int_equal(mail_render(t, strlen(t), v, 1, 0, &b, err, sizeof err), HARK_EINVAL);
    assert_string_equal(err, "line 3: no value for placeholder {{frist_name}}");
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "kept");
    t = "Hi {{first_name";
    assert_int_equal(mail_render(t, strlen(t), v, 1, 0, &b, err, sizeof err), HARK_EINVAL);
    assert_string_equal(err, "line 1: unclosed placeholder");
    assert_string_equal(b.data, "kept");
    /* The bound of OUT. */
    t = "0123456789012345678901234567890123456789{{first_name}}0123456789012345678901234567890123456789";
    assert_int_equal(mail_render(t, strlen(t), v, 1, 0, &b, err, sizeof err), HARK_ETOOBIG);
    assert_string_equal(b.data, "kept");
    buf_free(&b);
}

static void check_templates(void **state) {
    (void)state;
    static const char *const allowed[] = {"first_name", "company", "link", NULL};
    char err[128];
    assert_int_equal(check("No placeholder at all.\nNone { here }.\n", allowed, err, sizeof err), 0);
    assert_int_equal(check("", allowed, err, sizeof err), 0);
    assert_int_equal(check("Hi {{first_name}} of {{company}}: {{link}}", allowed, err, sizeof err), 0);
    struct {
        const char *text, *err;
    } bad[] = {
        {"Subject: x\n\nHi {{frist_name}}", "line 3: unknown placeholder {{frist_name}}"},
        {"a\n{{first_name", "line 2: unclosed placeholder"},
        {"a\n{{first_name}\nb}}", "line 2: unclosed placeholder"},
        {"{{", "line 1: unclosed placeholder"},
        {"x {{first name}}", "line 1: malformed placeholder {{first name}}"},
        {"\n\n\n{{}}", "line 4: malformed placeholder {{}}"},
        {"{{{first_name}}}", "line 1: malformed placeholder {{{first_name}}"},
        {"{{first-name}}", "line 1: malformed placeholder {{first-name}}"},
        {"ok\nbad \xC3\x28", "line 2: invalid UTF-8"},
        {"{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}",
         "line 1: placeholder name longer than 64 bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(check(bad[i].text, allowed, err, sizeof err), HARK_EINVAL);
        assert_string_equal(err, bad[i].err);
    }
    /* A long malformed placeholder is quoted in part, never cutting a character. */
    assert_int_equal(check("{{xééééééééééééééééééééééééé}}", allowed, err, sizeof err), HARK_EINVAL);
    assert_non_null(strstr(err, "...}}"));
    assert_true(utf8_valid((const unsigned char *)err, strlen(err)));
}

static void split_subject(void **state) {
    (void)state;
    const char *s, *b;
    size_t sl, bl;
    const char *t = "Subject: Hello {{x}}  \n\nBody\nmore\n";
    assert_int_equal(mail_split_subject(t, strlen(t), &s, &sl, &b, &bl), 0);
    assert_int_equal(sl, 11);
    assert_memory_equal(s, "Hello {{x}}", 11);
    assert_string_equal(b, "Body\nmore\n");
    t = "\xEF\xBB\xBFSubject:Hi\r\n\r\nBody";
    assert_int_equal(mail_split_subject(t, strlen(t), &s, &sl, &b, &bl), 0);
    assert_int_equal(sl, 2);
    assert_string_equal(b, "Body");
    t = "Subject: Hi\nBody right away";
    assert_int_equal(mail_split_subject(t, strlen(t), &s, &sl, &b, &bl), 0);
    assert_string_equal(b, "Body right away");
    t = "Subject: only";
    assert_int_equal(mail_split_subject(t, strlen(t), &s, &sl, &b, &bl), 0);
    assert_int_equal(sl, 4);
    assert_int_equal(bl, 0);
    const char *bad[] = {"", "Hello\n\nBody", "subject: lower case\n\n", "Subject:   \n\nBody", "Subj"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(mail_split_subject(bad[i], strlen(bad[i]), &s, &sl, &b, &bl), HARK_EINVAL);
}

static size_t count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static void builtin_templates(void **state) {
    (void)state;
    size_t seen = 0;
    for (const struct embed_file *f = hark_template_files; f->path; f++) {
        const char *dot = strrchr(f->path, '.');
        int txt = dot && strcmp(dot, ".txt") == 0, html = dot && strcmp(dot, ".html") == 0;
        if (!txt && !html) continue; /* README.md */
        seen++;
        char name[64], err[160];
        snprintf(name, sizeof name, "%.*s", (int)(dot - f->path - 1), f->path + 1);
        const char *text = (const char *)f->data;
        const char *const *vars = mail_template_vars(name);
        if (!vars) fail_msg("%s: no placeholder list for this template name", f->path);
        if (mail_template_check(text, f->len, vars, err, sizeof err)) fail_msg("%s: %s", f->path, err);
        if (txt) {
            const char *s, *b;
            size_t sl, bl;
            if (mail_split_subject(text, f->len, &s, &sl, &b, &bl)) fail_msg("%s: no subject line", f->path);
            if (bl < 100) fail_msg("%s: body too short", f->path);
        } else {
            /* Self-contained: nothing loaded from elsewhere, nothing run. */
            const char *banned[] = {"<script", "src=", "url(", "<link", "@import", "<img", "javascript:"};
            for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
                if (strstr(text, banned[i])) fail_msg("%s holds %s", f->path, banned[i]);
            assert_non_null(strstr(text, "<html lang=\"en\">"));
            assert_non_null(strstr(text, "<meta charset=\"utf-8\">"));
        }
        /* The link: once in the text, as a button and as text in HTML. */
        if (count(text, "{{link}}") < (size_t)(html ? 2 : 1)) fail_msg("%s: the link is missing", f->path);
        if (html) assert_non_null(strstr(text, "<a href=\"{{link}}\""));
        if (strncmp(name, "alert", 5) == 0) {
            const char *never[] = {"{{first_name", "{{last_name", "{{name", "{{answer",
                                   "{{text",       "{{message",   "{{email"};
            for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
                if (strstr(text, never[i])) fail_msg("%s holds %s", f->path, never[i]);
            assert_non_null(strstr(text, "{{kind}}"));
            assert_non_null(strstr(text, "{{severity}}"));
        } else {
            assert_non_null(strstr(text, "{{first_name}}"));
            assert_non_null(strstr(text, "{{expires}}"));
        }
    }
    assert_true(seen >= 16);
    /* Every default exists in both forms under its own name. */
    for (size_t i = 0; i < sizeof invite_names / sizeof invite_names[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/%s.txt", invite_names[i]);
        assert_non_null(embed_find(hark_template_files, path));
        snprintf(path, sizeof path, "/%s.html", invite_names[i]);
        assert_non_null(embed_find(hark_template_files, path));
    }
    /* The alert's list itself has no room for a name or answer text. */
    const char *const *a = mail_template_vars("alert");
    for (; *a; a++)
        assert_true(!strcmp(*a, "company") || !strcmp(*a, "kind") || !strcmp(*a, "severity") || !strcmp(*a, "link"));
    assert_non_null(mail_template_vars("invite-pulse"));
    assert_non_null(mail_template_vars("reminder"));
    assert_null(mail_template_vars("expiry"));
    assert_null(mail_template_vars("invitation"));
}

static void builtin_fallback(void **state) {
    (void)state;
    const char *t;
    size_t n;
    const struct embed_file *pulse = embed_find(hark_template_files, "/invite-pulse.txt");
    const struct embed_file *generic = embed_find(hark_template_files, "/invite.html");
    const struct embed_file *reminder = embed_find(hark_template_files, "/reminder.txt");
    assert_int_equal(mail_template_builtin("invite-pulse", "txt", &t, &n), 0);
    assert_ptr_equal(t, pulse->data);
    assert_int_equal(n, pulse->len);
    assert_int_equal(mail_template_builtin("invite-custom", "html", &t, &n), 0);
    assert_ptr_equal(t, generic->data);
    assert_int_equal(mail_template_builtin("invite-a-b", "html", &t, &n), 0);
    assert_ptr_equal(t, generic->data);
    assert_int_equal(mail_template_builtin("reminder-pulse", "txt", &t, &n), 0);
    assert_ptr_equal(t, reminder->data);
    assert_int_equal(mail_template_builtin("expiry", "txt", &t, &n), HARK_ENOTFOUND);
    assert_int_equal(mail_template_builtin("invite", "pdf", &t, &n), HARK_ENOTFOUND);
    assert_int_equal(mail_template_builtin("-", "txt", &t, &n), HARK_ENOTFOUND);
    const char *bad[][2] = {{"../invite", "txt"}, {"Invite", "txt"},  {"", "txt"},      {"invite", ""},
                            {"invite", "t.x"},    {"in/vite", "txt"}, {"invite", "TXT"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(mail_template_builtin(bad[i][0], bad[i][1], &t, &n), HARK_EINVAL);
}

/* Decoders for the checks below: the reverse of what mail.h writes, written
 * from the RFCs and strict about what they accept. */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes quoted-printable S (CRLF lines) into OUT, turning CRLF into "\n",
 * and fails the test on any line over 76 characters, a byte outside
 * printable ASCII, white space before a line end, a line starting with '.'
 * or "From ", or a '=' that is not a soft break or two upper-case hex digits. */
static char *qp_decode(const char *s, size_t len, size_t *outlen) {
    char *out = malloc(len + 1);
    size_t o = 0, col = 0;
    assert_non_null(out);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (col == 0 && (c == '.' || (len - i >= 5 && memcmp(s + i, "From ", 5) == 0)))
            fail_msg("a line starts with '%c' at %zu", c, i);
        if (c == '\r') {
            if (i + 1 >= len || s[i + 1] != '\n') fail_msg("bare CR at %zu", i);
            if (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) fail_msg("white space before a line end at %zu", i);
            out[o++] = '\n';
            i += 2;
            col = 0;
            continue;
        }
        if (c == '\n') fail_msg("bare LF at %zu", i);
        if (c != '\t' && (c < 0x20 || c > 0x7E)) fail_msg("byte 0x%02x at %zu", c, i);
        if (c == '=') {
            if (len - i >= 3 && s[i + 1] == '\r' && s[i + 2] == '\n') {
                if (col + 1 > 76) fail_msg("line of %zu characters", col + 1);
                i += 3;
                col = 0;
                continue;
            }
            if (len - i < 3 || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) fail_msg("bad '=' escape at %zu", i);
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 3;
            col += 3;
        } else {
            out[o++] = (char)c;
            i++;
            col++;
        }
        if (col > 76) fail_msg("line of %zu characters at %zu", col, i);
    }
    if (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) fail_msg("white space at the end");
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* S with CRLF and lone CR turned into "\n", as the encoder normalises. */
static char *lf_only(const char *s) {
    char *out = malloc(strlen(s) + 1);
    size_t o = 0;
    assert_non_null(out);
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\r') {
            out[o++] = '\n';
            if (s[i + 1] == '\n') i++;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static void qp_round_trip_one(const char *body) {
    buf b;
    buf_init(&b, BIG);
    assert_int_equal(mail_qp_encode(body, strlen(body), &b), 0);
    size_t n;
    char *dec = qp_decode(b.data ? b.data : "", b.len, &n);
    char *want = lf_only(body);
    if (n != strlen(want) || memcmp(dec, want, n) != 0) fail_msg("QP round trip differs for \"%s\"", body);
    free(dec);
    free(want);
    buf_free(&b);
}

static void qp_round_trip(void **state) {
    (void)state;
    char long_line[400], spaces[200], edge[4][100];
    memset(long_line, 'a', sizeof long_line - 1);
    long_line[sizeof long_line - 1] = '\0';
    memset(spaces, ' ', sizeof spaces - 1);
    spaces[sizeof spaces - 1] = '\0';
    /* Lines around the 76-character limit, ending in a blank or an '='. */
    for (int i = 0; i < 4; i++) {
        memset(edge[i], 'x', 74 + i);
        edge[i][74 + i] = i % 2 ? ' ' : '=';
        edge[i][75 + i] = '\0';
    }
    const char *bodies[] = {
        "",
        "Hello",
        "Hello\n",
        long_line,
        spaces,
        edge[0],
        edge[1],
        edge[2],
        edge[3],
        "trailing spaces   \nand a tab\t\nthen\t \n",
        "a=b==c=\n=3D is not an escape here\n==",
        ".\n.. two dots\n.x\nline\n.",
        "From here\nFrom the start\n>From quoted\nFromage",
        "Zoë Ødegård-Łukasiewicz 日本語 🙂 and a long line of accents: "
        "éééééééééééééééééééééééééééééééééééé",
        "crlf\r\nlines\r\nand a lone\rCR\r\n\r\n",
        "\n\n\n",
        " leading blank\n\tleading tab",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) qp_round_trip_one(bodies[i]);

    /* Random bodies over the characters that matter, from a fixed seed. */
    static const char *const pieces[] = {
        "a", "b", " ", "\t", "=", ".", "\n", "\r\n", "From ", "é", "日", "🙂", "_", "?", "xyzxyzxyzxyzxyzxyzxyzxyz"};
    uint32_t seed = 12345;
    for (int round = 0; round < 2000; round++) {
        char body[600];
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        size_t pieces_n = (seed >> 16) % 80;
        for (size_t k = 0; k < pieces_n; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
            size_t pl = strlen(p);
            if (len + pl >= sizeof body) break;
            memcpy(body + len, p, pl);
            len += pl;
        }
        body[len] = '\0';
        qp_round_trip_one(body);
    }
}

static void qp_bound(void **state) {
    (void)state;
    buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "ab", 2), 0);
    assert_int_equal(mail_qp_encode("ééééé", strlen("ééééé"), &b), HARK_ETOOBIG);
    assert_string_equal(b.data, "ab");
    buf_free(&b);
}

/* The unfolded value of header NAME in the header block of MSG, into OUT;
 * fails the test if it is missing or a line of it is over 76 characters. */
static void header(const char *msg, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name), o = 0;
    const char *end = strstr(msg, "\r\n\r\n");
    const char *p = msg;
    assert_non_null(end);
    while (p < end && !(strncmp(p, name, nl) == 0 && p[nl] == ':')) {
        p = strstr(p, "\r\n");
        assert_non_null(p);
        p += 2;
    }
    if (p >= end) fail_msg("no %s header", name);
    p += nl + 1;
    size_t col = nl + 1;
    for (;;) {
        if (p[0] == '\r' && p[1] == '\n') {
            if (p[2] != ' ' && p[2] != '\t') break;
            p += 2;
            col = 0;
            continue;
        }
        if (++col > 76) fail_msg("%s: a line over 76 characters", name);
        assert_true(o + 1 < cap);
        out[o++] = *p++;
    }
    out[o] = '\0';
}

static size_t b64_decode(const char *s, size_t n, unsigned char *out) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    uint32_t acc = 0;
    int bits = 0;
    assert_int_equal(n % 4, 0);
    for (; i < n && s[i] != '='; i++) {
        const char *c = strchr(abc, s[i]);
        if (!c || !s[i]) fail_msg("bad base64 character '%c'", s[i]);
        acc = acc << 6 | (uint32_t)(c - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Padding: as many '=' as bytes missing from the last group, and no
     * bits left over. */
    if (n - i != (3 - o % 3) % 3 || (acc & ((1u << bits) - 1)) != 0) fail_msg("bad base64 padding: %.*s", (int)n, s);
    for (; i < n; i++) assert_int_equal(s[i], '=');
    return o;
}

/* Decodes one encoded-word W (LEN characters) into OUT; returns its length
 * and fails the test unless it is "=?UTF-8?Q|B?...?=", at most 75
 * characters, and holds whole UTF-8 characters only. */
static size_t ew_decode(const char *w, size_t len, unsigned char *out, int *kind) {
    if (len > 75) fail_msg("encoded-word of %zu characters", len);
    if (len < 12 || memcmp(w, "=?UTF-8?", 8) != 0 || w[9] != '?' || memcmp(w + len - 2, "?=", 2) != 0)
        fail_msg("not an encoded-word: %.*s", (int)len, w);
    const char *t = w + 10;
    size_t tl = len - 12, o = 0;
    *kind = w[8];
    if (w[8] == 'B') {
        o = b64_decode(t, tl, out);
    } else if (w[8] == 'Q') {
        for (size_t i = 0; i < tl; i++) {
            char c = t[i];
            if (c == '_') {
                out[o++] = ' ';
            } else if (c == '=') {
                assert_true(i + 2 < tl && hexval(t[i + 1]) >= 0 && hexval(t[i + 2]) >= 0);
                out[o++] = (unsigned char)(hexval(t[i + 1]) * 16 + hexval(t[i + 2]));
                i += 2;
            } else {
                /* RFC 2047 §5 (3): what a Q word in a phrase may hold. */
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/", c))
                    fail_msg("'%c' in a Q encoded-word", c);
                out[o++] = (unsigned char)c;
            }
        }
    } else {
        fail_msg("unknown encoding %c", w[8]);
    }
    if (!utf8_valid(out, o)) fail_msg("an encoded-word splits a UTF-8 character: %.*s", (int)len, w);
    return o;
}

/* Decodes an unfolded header value as a mail reader shows it: white space
 * between two encoded-words vanishes, other words are joined by one space.
 * *KINDS collects the encodings seen ("Q", "B", "QB"). A NUL decoded from a
 * word fails the test, so OUT compares as a string. */
static void phrase_decode(const char *v, char *out, size_t cap, char *kinds) {
    size_t o = 0;
    int prev_ew = 0, first = 1;
    kinds[0] = '\0';
    while (*v) {
        while (*v == ' ') v++;
        if (!*v) break;
        size_t n = strcspn(v, " ");
        int ew = n >= 2 && v[0] == '=' && v[1] == '?';
        if (!first && !(ew && prev_ew)) out[o++] = ' ';
        if (ew) {
            unsigned char tmp[80];
            int kind;
            size_t dl = ew_decode(v, n, tmp, &kind);
            assert_true(o + dl < cap);
            assert_null(memchr(tmp, '\0', dl));
            memcpy(out + o, tmp, dl);
            o += dl;
            if (!strchr(kinds, kind)) {
                size_t k = strlen(kinds);
                kinds[k] = (char)kind;
                kinds[k + 1] = '\0';
            }
        } else {
            assert_true(o + n < cap);
            memcpy(out + o, v, n);
            o += n;
        }
        prev_ew = ew;
        first = 0;
        v += n;
    }
    out[o] = '\0';
}

static void base_msg(mail_msg *m) {
    memset(m, 0, sizeof *m);
    m->from_name = "Acme HR";
    m->from_addr = "hr@acme.test";
    m->to_name = "Zoë Ødegård";
    m->to_addr = "zoe@acme.test";
    m->subject = "Zoë, a quick check-in from Acme";
    m->text = "Hi Zoë,\n\nStart the chat:\nhttps://hark.acme.test/c/AbC\n";
    m->html = "<p>Hi Zoë,</p>\n<p><a href=\"https://hark.acme.test/c/AbC\">Start</a></p>\n";
    m->message_id = "hark.invite.42.0.7@hark.acme.test";
    m->date = 1796464800; /* 2026-12-05 10:00:00 UTC */
}

static char *build(const mail_msg *m) {
    buf b;
    buf_init(&b, BIG);
    int rc = mail_build(m, &b);
    if (rc) fail_msg("mail_build: %s", hark_strerror(rc));
    return buf_take(&b, NULL);
}

/* Fails the test unless MSG is CRLF throughout, 7-bit, ends with a line
 * break and has no line over MAX characters. */
static void assert_wire_clean(const char *msg, size_t max) {
    size_t col = 0, n = strlen(msg);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)msg[i];
        if (c >= 0x80) fail_msg("8-bit byte at %zu", i);
        if (c == '\r') {
            if (msg[i + 1] != '\n') fail_msg("bare CR at %zu", i);
            continue;
        }
        if (c == '\n') {
            if (i == 0 || msg[i - 1] != '\r') fail_msg("bare LF at %zu", i);
            col = 0;
            continue;
        }
        if (++col > max) fail_msg("line over %zu characters at %zu", max, i);
    }
    assert_true(n >= 2 && msg[n - 2] == '\r' && msg[n - 1] == '\n');
}

static void names_and_subjects(void **state) {
    (void)state;
    mail_msg m;
    char v[2048], dec[2048], kinds[4];
    struct {
        const char *name, *want_raw; /* want_raw: the header value as written, or NULL to decode */
        const char *kinds;           /* the encodings expected, NULL: either */
    } cases[] = {
        {"Acme HR", " Acme HR <zoe@acme.test>", ""},
        {"Smith, John", " \"Smith, John\" <zoe@acme.test>", ""},
        {"J. \"JJ\" O'Neil \\ Jr", " \"J. \\\"JJ\\\" O'Neil \\\\ Jr\" <zoe@acme.test>", ""},
        {"", " zoe@acme.test", ""},
        {"   ", " zoe@acme.test", ""},
        {"Zoë Ødegård-Łukasiewicz 日本語 … Ångström-Ñúñez Þórsdóttir Ærøskøbing Çağlayan Żółć-Gęślą", NULL, NULL},
        {"Zoë Marie-Christine de la Fontaine-Beauregard d'Aubigny et de Montmorency-Laval", NULL, "Q"},
        {"Zoë Smith", NULL, "Q"},
        {"山田太郎 東京都渋谷区神宮前一丁目 株式会社ハーク 人事部 🙂🙂🙂 "
         "日本語のとても長い名前",
         NULL, "B"},
        {"=?UTF-8?Q?looks_encoded?=", NULL, NULL},
        {"A very long ASCII display name that certainly will not fit on one header line of seventy-six", NULL, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        base_msg(&m);
        m.to_name = cases[i].name;
        char *msg = build(&m);
        assert_wire_clean(msg, 76);
        header(msg, "To", v, sizeof v);
        if (cases[i].want_raw) {
            assert_string_equal(v, cases[i].want_raw);
        } else {
            char *lt = strrchr(v, '<');
            assert_non_null(lt);
            assert_string_equal(lt, "<zoe@acme.test>");
            lt[-1] = '\0';
            phrase_decode(v, dec, sizeof dec, kinds);
            assert_string_equal(dec, cases[i].name);
            if (cases[i].kinds) assert_string_equal(kinds, cases[i].kinds);
        }
        free(msg);
    }
    /* Subjects: ASCII folded between words, anything else encoded; both
     * read back as written. */
    const char *subjects[] = {
        "Zoë, a quick check-in from Acme",
        "Reminder: your chat with Acme Corporation International is open until Saturday 5 December",
        "日本語の件名：ハークからのお知らせです。チャットは三分ほどで終わります。よろしくお願いします。",
        "Welcome, Ødegård! How are your first weeks at Łukasiewicz & Søn going? 🙂",
        "x",
    };
    for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
        base_msg(&m);
        m.subject = subjects[i];
        char *msg = build(&m);
        assert_wire_clean(msg, 76);
        header(msg, "Subject", v, sizeof v);
        phrase_decode(v, dec, sizeof dec, kinds);
        assert_string_equal(dec, subjects[i]);
        free(msg);
    }
    /* The From header is written the same way. */
    base_msg(&m);
    m.from_name = "Équipe RH · Acme";
    char *msg = build(&m);
    header(msg, "From", v, sizeof v);
    char *lt = strrchr(v, '<');
    assert_string_equal(lt, "<hr@acme.test>");
    lt[-1] = '\0';
    phrase_decode(v, dec, sizeof dec, kinds);
    assert_string_equal(dec, "Équipe RH · Acme");
    free(msg);
}

/* The body of the MIME part that follows DELIM in MSG, decoded; *TYPE gets
 * its Content-Type line. */
static char *part(const char *msg, const char *delim, int index, char *type, size_t cap) {
    const char *p = msg;
    for (int i = 0; i <= index; i++) {
        p = strstr(p, delim);
        assert_non_null(p);
        p += strlen(delim);
    }
    assert_memory_equal(p, "\r\n", 2);
    const char *hdr_end = strstr(p, "\r\n\r\n");
    assert_non_null(hdr_end);
    const char *ct = strstr(p, "Content-Type: ");
    assert_true(ct && ct < hdr_end);
    snprintf(type, cap, "%.*s", (int)(strstr(ct, "\r\n") - ct), ct);
    assert_non_null(strstr(p, "Content-Transfer-Encoding: quoted-printable\r\n"));
    const char *body = hdr_end + 4;
    char crlf_delim[128];
    snprintf(crlf_delim, sizeof crlf_delim, "\r\n%s", delim);
    const char *end = strstr(body, crlf_delim);
    assert_non_null(end);
    size_t n;
    return qp_decode(body, (size_t)(end - body), &n);
}

static void whole_message(void **state) {
    (void)state;
    const char *t;
    size_t n;
    char err[160];
    const char *link = "https://hark.acme.test/c/AbC-12_x.Yz?a=1&b=2";
    mail_var vars[] = {
        {"first_name", "Zoë"},           {"company", "Acme & Søn"}, {"link", link}, {"expires", "Saturday 5 December"},
        {"touchpoint", "Monthly pulse"}, {"minutes", "3"}};
    buf txt, html;
    buf_init(&txt, BIG);
    buf_init(&html, BIG);
    assert_int_equal(mail_template_builtin("invite-pulse", "txt", &t, &n), 0);
    assert_int_equal(mail_render(t, n, vars, 6, 0, &txt, err, sizeof err), 0);
    assert_int_equal(mail_template_builtin("invite-pulse", "html", &t, &n), 0);
    assert_int_equal(mail_render(t, n, vars, 6, 1, &html, err, sizeof err), 0);
    const char *subj, *body;
    size_t sl, bl;
    assert_int_equal(mail_split_subject(txt.data, txt.len, &subj, &sl, &body, &bl), 0);
    char subject[256];
    snprintf(subject, sizeof subject, "%.*s", (int)sl, subj);
    assert_string_equal(subject, "A quick check-in from Acme & Søn");

    mail_msg m;
    base_msg(&m);
    m.subject = subject;
    m.text = body;
    m.html = html.data;
    char *msg = build(&m);
    assert_wire_clean(msg, 78);
    assert_wire_clean(msg, 76);
    assert_memory_equal(msg, "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n", 39);
    assert_non_null(strstr(msg, "\r\nMessage-ID: <hark.invite.42.0.7@hark.acme.test>\r\n"));
    assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"));
    assert_non_null(strstr(msg, "\r\nFrom: Acme HR <hr@acme.test>\r\n"));

    char v[512], dec[512], kinds[4];
    header(msg, "Content-Type", v, sizeof v);
    const char *bq = strstr(v, "boundary=\"");
    assert_non_null(strstr(v, " multipart/alternative;"));
    assert_non_null(bq);
    char delim[100];
    snprintf(delim, sizeof delim, "--%.*s", (int)strcspn(bq + 10, "\""), bq + 10);
    assert_memory_equal(delim, "--=_", 4);
    assert_int_equal(count(msg, delim), 3); /* two parts and the close: never inside a part */
    char close[110];
    snprintf(close, sizeof close, "\r\n%s--\r\n", delim);
    assert_non_null(strstr(msg, close));
    header(msg, "Subject", v, sizeof v);
    phrase_decode(v, dec, sizeof dec, kinds);
    assert_string_equal(dec, subject);

    char type[128];
    char *plain = part(msg, delim, 0, type, sizeof type);
    assert_string_equal(type, "Content-Type: text/plain; charset=UTF-8");
    assert_string_equal(plain, body);
    assert_non_null(strstr(plain, link));
    char *h = part(msg, delim, 1, type, sizeof type);
    assert_string_equal(type, "Content-Type: text/html; charset=UTF-8");
    assert_string_equal(h, html.data);
    assert_int_equal(count(h, "https://hark.acme.test/c/AbC-12_x.Yz?a=1&amp;b=2"), 3); /* href twice, text once */
    assert_non_null(strstr(h, "Acme &amp; Søn"));

    free(plain);
    free(h);
    free(msg);
    buf_free(&txt);
    buf_free(&html);
}

static void text_only(void **state) {
    (void)state;
    mail_msg m;
    const char *bodies[] = {"Just text, no final line break", "With one\n", ""};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        base_msg(&m);
        m.html = NULL;
        m.text = bodies[i];
        char *msg = build(&m);
        assert_wire_clean(msg, 76);
        assert_non_null(strstr(msg, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
        assert_null(strstr(msg, "multipart"));
        const char *body = strstr(msg, "\r\n\r\n") + 4;
        size_t n;
        char *dec = qp_decode(body, strlen(body), &n);
        assert_string_equal(dec, bodies[i]);
        free(dec);
        free(msg);
    }
    /* A last line that fills its 76 characters still ends with a soft break. */
    char line[77];
    memset(line, 'y', 76);
    line[76] = '\0';
    base_msg(&m);
    m.html = NULL;
    m.text = line;
    char *msg = build(&m);
    assert_wire_clean(msg, 76);
    free(msg);
}

static void dates(void **state) {
    (void)state;
    struct {
        int64_t t;
        const char *want;
    } cases[] = {
        {0, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"},
        {951782400, "Date: Tue, 29 Feb 2000 00:00:00 +0000\r\n"},
        {253402300799LL, "Date: Fri, 31 Dec 9999 23:59:59 +0000\r\n"},
    };
    mail_msg m;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        base_msg(&m);
        m.date = cases[i].t;
        char *msg = build(&m);
        assert_memory_equal(msg, cases[i].want, strlen(cases[i].want));
        free(msg);
    }
}

static void rejects_injection(void **state) {
    (void)state;
    buf b;
    buf_init(&b, BIG);
    assert_int_equal(buf_append(&b, "kept", 4), 0);
    mail_msg m;
    for (int i = 0;; i++) {
        base_msg(&m);
        switch (i) {
        case 0: m.to_addr = "zoe@acme.test\r\nBcc: all@acme.test"; break;
        case 1: m.to_addr = "zoe@acme.test>"; break;
        case 2: m.to_addr = "<zoe@acme.test"; break;
        case 3: m.to_addr = "zoe@acme.test\n"; break;
        case 4: m.from_addr = "hr@acme.test\rX: y"; break;
        case 5: m.to_addr = "zo e@acme.test"; break;
        case 6: m.to_addr = "zoë@acme.test"; break;
        case 7: m.to_addr = "zoe.acme.test"; break;
        case 8: m.to_addr = "zoe@acme@test"; break;
        case 9: m.to_addr = ""; break;
        case 10: m.from_name = "Eve\r\nBcc: all@acme.test"; break;
        case 11: m.to_name = "Zoë\n"; break;
        case 12: m.subject = "Hi\r\nBcc: all@acme.test"; break;
        case 13: m.subject = "Hi\rthere"; break;
        case 14: m.message_id = "id@acme.test>\r\nX-Evil: 1"; break;
        case 15: m.message_id = "<id@acme.test>"; break;
        case 16: m.message_id = "no-at-sign"; break;
        case 17: m.to_name = "Zo\xC3\x28"; break; /* invalid UTF-8 */
        case 18: m.subject = "caf\xE9"; break;    /* Latin-1, not UTF-8 */
        case 19: m.text = "ok\n\xED\xA0\x80 surrogate"; break;
        case 20: m.html = "<p>\xFF</p>"; break;
        case 21: m.subject = ""; break;
        case 22: m.subject = "   "; break;
        case 23: m.subject = NULL; break;
        case 24: m.text = NULL; break;
        case 25: m.date = 253402300800LL; break; /* the year 10000 */
        case 26: m.to_name = "tab\there"; break;
        default: i = -1; break;
        }
        if (i < 0) break;
        if (mail_build(&m, &b) != HARK_EINVAL) fail_msg("case %d was accepted", i);
        assert_int_equal(b.len, 4);
        assert_string_equal(b.data, "kept");
    }
    assert_int_equal(mail_build(NULL, &b), HARK_EINVAL);
    buf_free(&b);
}

static void bounds(void **state) {
    (void)state;
    mail_msg m;
    base_msg(&m);
    buf b;
    buf_init(&b, 300);
    assert_int_equal(buf_append(&b, "kept", 4), 0);
    assert_int_equal(mail_build(&m, &b), HARK_ETOOBIG);
    assert_string_equal(b.data, "kept");
    buf_free(&b);
    /* An address too long to fold gets a line of its own and is still sent. */
    char addr[120];
    memset(addr, 'a', 90);
    snprintf(addr + 90, sizeof addr - 90, "@acme.test");
    m.to_addr = addr;
    char *msg = build(&m);
    char want[140];
    snprintf(want, sizeof want, "\r\n <%s>\r\n", addr);
    assert_non_null(strstr(msg, want));
    free(msg);
    char huge[300];
    memset(huge, 'a', 260);
    snprintf(huge + 260, sizeof huge - 260, "@acme.test");
    m.to_addr = huge;
    buf_init(&b, BIG);
    assert_int_equal(mail_build(&m, &b), HARK_EINVAL);
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(render_values),
        cmocka_unit_test(render_html_escapes),
        cmocka_unit_test(render_errors),
        cmocka_unit_test(check_templates),
        cmocka_unit_test(split_subject),
        cmocka_unit_test(builtin_templates),
        cmocka_unit_test(builtin_fallback),
        cmocka_unit_test(qp_round_trip),
        cmocka_unit_test(qp_bound),
        cmocka_unit_test(names_and_subjects),
        cmocka_unit_test(whole_message),
        cmocka_unit_test(text_only),
        cmocka_unit_test(dates),
        cmocka_unit_test(rejects_injection),
        cmocka_unit_test(bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
