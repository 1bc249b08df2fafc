/* sipas/init.h - what a program calls once, at its start, before any other sipas function.
 *
 * sipas_library_init turns off GSL's default error handler, which prints a message and calls
 * abort() on a domain error (a quantile of an impossible probability, a fit of too few points).
 * The library never prints and never ends the program: it checks every GSL result instead (a
 * status other than GSL_SUCCESS, or a NaN from a gsl_cdf_* function) and turns it into a
 * sipas_error (SIPAS_ERR_MATH) or a documented NaN. GSL's handler is one global of the process,
 * so it is set here once rather than inside each estimate (which also kept a library function
 * from changing a setting that belongs to the program).
 *
 * Every program that links the library (sipas-collect, sipas-analyze, the tests, the fuzz
 * targets, the tools) calls it; calling it again does no harm. It does not allocate. */
#ifndef SIPAS_INIT_H
#define SIPAS_INIT_H

void sipas_library_init(void);

#endif
