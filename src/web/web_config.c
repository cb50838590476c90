/* API routes for configuration: touchpoints, flows, webhooks (web_api.h). */
#include <stddef.h>

#include "web/web_api.h"

const web_route web__config_api[] = {
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
