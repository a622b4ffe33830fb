// Shim for zlib: gzip writers for the 10x output (matrix.mtx.gz, barcodes.tsv.gz).
#ifndef SCREENPLAN_CZLIB_SHIM_H
#define SCREENPLAN_CZLIB_SHIM_H
#include <zlib.h>
#endif
