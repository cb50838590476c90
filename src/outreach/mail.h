/* Email composition for outreach: templates with {{placeholders}} and the
 * MIME message around them (multipart/alternative, text and HTML, UTF-8,
 * quoted-printable, RFC 2047 encoded headers, RFC 5322 Date, a Message-ID the
 * caller derives from the outbox key). Pure: no I/O, no clock, no globals;
 * sending is transport.h's job and choosing what to send is the mailer's.
 *
 * Templates are data (data/templates, compiled in; a tenant may override any
 * of them): NAME.txt holds "Subject: ..." on its first line, a blank line,
 * then the plain-text body; NAME.html holds the HTML body. A placeholder is
 * {{name}} (letters, digits, '_'); in HTML each value is escaped, in the
 * subject and plain text it is inserted as is. Names are looked up from the
 * most specific to the default: "invite-onboarding" then "invite". */
#ifndef HARK_OUTREACH_MAIL_H
#define HARK_OUTREACH_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct mail_var {
    const char *name; /* without braces */
    const char *value;
} mail_var;

/* Checks that TEXT[0..LEN) is valid UTF-8 and that every placeholder in it
 * is well formed and one of ALLOWED (a NULL-terminated list). 0, or
 * HARK_EINVAL with ERR naming the first problem and its line ("line 3:
 * unknown placeholder {{frist_name}}"; "line 1: unclosed placeholder"). A
 * single '{' or '}' is ordinary text. */
int mail_template_check(const char *text, size_t len, const char *const *allowed, char *err, size_t errlen);

/* Appends TEXT with each placeholder replaced by its value from VARS (HTML-
 * escaped when HTML is 1: & < > " ') to OUT, in one pass: a value holding
 * "{{x}}" is not expanded again. HARK_EINVAL (ERR names it and its line) for
 * a placeholder that is not in VARS or any problem mail_template_check
 * reports; HARK_ETOOBIG when OUT's bound is hit. On failure OUT is left as it
 * was. A NULL value renders as "". */
int mail_render(const char *text, size_t len, const mail_var *vars, size_t nvars, int html, buf *out, char *err,
                size_t errlen);

/* Splits a rendered .txt template into its subject (the "Subject: " line,
 * without the prefix, the line end and surrounding blanks) and its body
 * (after the blank line, or right after the subject line when there is no
 * blank line), as pointers into TEXT. A UTF-8 byte order mark before
 * "Subject:" is skipped. HARK_EINVAL when the first line is not a subject or
 * the subject is empty. */
int mail_split_subject(const char *text, size_t len, const char **subject, size_t *subject_len, const char **body,
                       size_t *body_len);

/* The placeholders a template of family NAME may use, as a static
 * NULL-terminated list for mail_template_check; the family is NAME up to its
 * first '-': "invite" (first_name, company, link, expires, touchpoint,
 * minutes), "reminder" (the same and reminder_number), "alert" (company,
 * kind, severity, link: never a name nor answer text). NULL for any other. */
const char *const *mail_template_vars(const char *name);

/* Finds the built-in template NAME.EXT (EXT "txt" or "html", data/templates),
 * from the most specific name to the default by dropping the last "-part":
 * "invite-pulse", then "invite". 0 with *TEXT (static, NUL-terminated, not
 * to be freed) and *LEN; HARK_ENOTFOUND when no level exists; HARK_EINVAL for
 * a NAME other than 1-64 lowercase letters, digits, '-' and '_' or an EXT
 * other than 1-8 lowercase letters. */
int mail_template_builtin(const char *name, const char *ext, const char **text, size_t *len);

typedef struct mail_msg {
    const char *from_name, *from_addr; /* display name may be "" */
    const char *to_name, *to_addr;     /* one To; more recipients are envelope-only (RCPT) */
    const char *subject;               /* UTF-8, one line */
    const char *text;                  /* UTF-8 plain-text body, "\n" or "\r\n" line ends */
    const char *html;                  /* UTF-8 HTML body; NULL = text only */
    const char *message_id;            /* without angle brackets: "local@domain" */
    int64_t date;                      /* Unix seconds, written in UTC ("+0000") */
} mail_msg;

/* Appends the whole message (headers, blank line, body; CRLF line ends, no
 * line over 78 characters, 7-bit clean, ending with a line break) to OUT.
 * Headers: Date, From, To, Subject, Message-ID, MIME-Version, Content-Type
 * (multipart/alternative with a boundary that cannot occur in the encoded
 * parts, or text/plain when html is NULL), Auto-Submitted: auto-generated.
 * Non-ASCII display names and subjects are RFC 2047 encoded-words (UTF-8, B
 * or Q), split so that no encoded-word exceeds 75 characters and no UTF-8
 * sequence is cut; ASCII names with specials are quoted; runs of blanks in an
 * ASCII name or subject become one space. Header lines are folded at 76
 * characters (RFC 2047's limit for lines holding encoded-words); the one
 * exception is an address or message id over 73 bytes, which cannot be
 * folded and gets a line of its own. Bodies are quoted-printable, lines of
 * at most 76 characters, never a '.' (so SMTP dot-stuffing is never needed)
 * nor "From " (mbox) at the start of a line.
 * HARK_EINVAL when an address or the message id holds CR, LF, '<', '>',
 * white space or anything but printable ASCII, has not exactly one '@' or is
 * longer than 254 bytes; when a name or the subject holds a control
 * character (CR, LF, tab, ...) or is not valid UTF-8 (header injection); when
 * the subject is blank, a body is not valid UTF-8, a required field (all but
 * the names and html) is NULL, or the date is outside the years 1900-9999.
 * HARK_ETOOBIG at OUT's bound, HARK_ENOMEM. On failure OUT is left as it was. */
int mail_build(const mail_msg *m, buf *out);

#endif
