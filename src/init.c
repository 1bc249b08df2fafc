/* The library's process-wide settings (include/sipas/init.h): GSL's error handler, set once by
 * each program instead of inside the functions that call GSL. */
#include "sipas/init.h"

#include <gsl/gsl_errno.h>

void sipas_library_init(void)
{
    gsl_set_error_handler_off();
}
