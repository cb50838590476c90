/* API routes for administration: users, tenant settings, API tokens, audit log (web_api.h). */
#include <stddef.h>

#include "web/web_api.h"

const web_route web__admin_api[] = {
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
