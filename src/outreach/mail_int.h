/* Internals of the mail module (mail.h): the quoted-printable encoder of
 * mime.c, reached by tests/unit/test_mail.c to check it on its own. Not for
 * use outside src/outreach/mail.c and mime.c. */
#ifndef HARK_OUTREACH_MAIL_INT_H
#define HARK_OUTREACH_MAIL_INT_H

#include <stddef.h>

#include "core/buf.h"

#define MAIL_QP_LINE_MAX 76 /* RFC 2045 §6.7 (5): encoded lines, soft-break '=' included */

/* Appends TEXT[0..LEN) quoted-printable encoded (RFC 2045 §6.7) to OUT: CRLF,
 * LF and a lone CR all become a CRLF line break; lines of at most
 * MAIL_QP_LINE_MAX characters with soft breaks ("=" CRLF) where needed;
 * '=', control and non-ASCII bytes, blanks at the end of a line, a '.' at
 * the start of an output line (so SMTP dot-stuffing is never needed) and the
 * 'F' of "From " there (mbox) as "=XX" with upper-case hex. The output ends
 * where TEXT does: with a line break only when TEXT ends with one. 0, or
 * HARK_ETOOBIG / HARK_ENOMEM with OUT left as it was. */
int mail_qp_encode(const char *text, size_t len, buf *out);

#endif
