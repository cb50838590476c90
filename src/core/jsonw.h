/* Writing JSON text into a bounded buffer (buf.h) without building a tree:
 * used on hot paths (chat frames) where jansson's allocation per value would
 * cost more than the message itself. Parsing uses jansson. */
#ifndef HARK_JSONW_H
#define HARK_JSONW_H

#include <stddef.h>

#include "core/buf.h"

/* Appends S (LEN bytes of UTF-8) as a quoted JSON string. 0 or a buf error. */
int jsonw_str(buf *b, const char *s, size_t len);
/* Appends a quoted JSON string of the NUL-terminated S. */
int jsonw_cstr(buf *b, const char *s);

#endif
