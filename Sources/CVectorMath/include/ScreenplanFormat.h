// `%.6g` text of reals and the Matrix Market lines of true states (states.mtx.gz).
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

/// Matrix Market lines `gene cell value` of the nonzero values of one column `x[0 ..< rows]`:
/// gene i's text is the 16 bytes at `gene_text + 16·i` (number and a space, `gene_length[i]`
/// bytes), the cell's text `cell_text` (number and a space, `cell_length` bytes, 16 readable),
/// the value `%.6g`, then a newline. `out` needs rows · 64 bytes. Returns the bytes written and
/// adds the lines written to `*entries`.
long screenplan_format_state_column(
    char *out, const double *x, long rows, const uint8_t *gene_text, const uint8_t *gene_length,
    const uint8_t *cell_text, long cell_length, long *entries);

#endif
