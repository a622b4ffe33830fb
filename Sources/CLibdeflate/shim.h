// Shim for libdeflate: the gzip members of the 10x output's matrix, barcodes and states
// (about twice zlib's level-1 speed on Matrix Market text, and smaller output).
#ifndef SCREENPLAN_CLIBDEFLATE_SHIM_H
#define SCREENPLAN_CLIBDEFLATE_SHIM_H
#include <libdeflate.h>
#endif
