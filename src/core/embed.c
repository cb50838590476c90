/* Lookup in the tables of compiled-in files (embed.h). */
#include <string.h>

#include "core/embed.h"

const struct embed_file *embed_find(const struct embed_file *table, const char *path) {
    for (const struct embed_file *f = table; f->path; f++)
        if (strcmp(f->path, path) == 0) return f;
    return NULL;
}
