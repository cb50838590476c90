/* API routes for employees: list, search, edit, erase, CSV import (web_api.h). */
#include <stddef.h>

#include "web/web_api.h"

const web_route web__people_api[] = {
    {NULL, NULL, 0, 0, NULL, NULL, NULL},
};
