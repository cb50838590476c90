/* API routes for the escalations inbox, comments and people to meet (web_api.h). */
#include <stddef.h>

#include "web/web_api.h"

const web_route web__inbox_api[] = {
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
