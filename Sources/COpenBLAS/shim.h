// Shim for OpenBLAS (CBLAS) and LAPACKE. lapack_int is a macro Swift cannot see, so it is
// re-exported as a typedef; the thread-count setter lets the benchmark pin threads.
#ifndef SCREENPLAN_COPENBLAS_SHIM_H
#define SCREENPLAN_COPENBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
typedef lapack_int sp_lapack_int;
#endif
