/* API routes for the dashboard: overview, trends, heatmap, outreach status, export (web_api.h). */
#include <stddef.h>

#include "web/web_api.h"

const web_route web__dashboard_api[] = {
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
