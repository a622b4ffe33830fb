// `%.6g` text of reals and the Matrix Market array lines of true states (states.mtx.gz).
//
// glibc's printf converts through multi-precision arithmetic; states.mtx.gz alone holds millions
// of `%.6g` values per run. The six significant digits are found here with integer arithmetic
// that is exact: a double is m·2^q with an integer m < 2^53, so v·10^k (k ≤ 19) is the 128-bit
// integer m·10^k shifted right by −q bits, and rounding it to an integer, half to even as printf
// rounds, reads the shifted-out bits. Values outside 1e-14…1e6 (where that does not hold) go
// through the previous converter (CVectorMath.h) or snprintf. Same bytes as snprintf("%.6g").
#ifndef SCREENPLAN_FORMAT_H
#define SCREENPLAN_FORMAT_H

#include <stdint.h>

/// `%.6g` of `value` into `out` (at least 32 bytes, NUL included); returns the length.
int screenplan_format_g6_exact(char *out, double value);

/// Matrix Market `array` lines of one column `x[0 ..< rows]`: every value `%.6g` (0 as `0`) and a
/// newline, in row order (states.mtx.gz). `out` needs rows · 32 bytes. Returns the bytes written.
long screenplan_format_state_values(char *out, const double *x, long rows);

#endif
