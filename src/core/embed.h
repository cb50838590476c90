/* Files compiled into the binary by cmake/embed.cmake: the web assets
 * (hark_assets, from web/), the default flows (hark_flow_files, from
 * data/flows/), the red-flag rules (hark_flag_files, from data/flags/) and the
 * email templates (hark_template_files, from data/templates/).
 * Each table ends with an entry whose path is NULL. */
#ifndef HARK_EMBED_H
#define HARK_EMBED_H

#include <stddef.h>

struct embed_file {
    const char *path;          /* "/chat/index.html": relative to the root, with a leading slash */
    const unsigned char *data; /* NUL-terminated for convenience; len excludes the NUL */
    size_t len;
};

extern const struct embed_file hark_assets[];
extern const struct embed_file hark_flow_files[];
extern const struct embed_file hark_flag_files[];
extern const struct embed_file hark_template_files[]; /* data/templates: email templates */

/* Finds PATH in TABLE; NULL when absent. */
const struct embed_file *embed_find(const struct embed_file *table, const char *path);

#endif
