// Ziggurat normals for several random streams at once (the simulator's noise).
//
// RandomStream.fillZigguratNormals draws one stream's normals one at a time; a step of the
// simulator needs one normal per regulator for every cell, each cell with its own stream (so that
// results do not depend on thread count or block size). This fills the normals of up to four
// streams in one pass, the four xoshiro256** states in the lanes of one AVX2 register when the CPU
// has AVX2 (checked at run time; scalar otherwise), with AVX-512's rotations, exact conversion
// and paired table loads when it has AVX-512 F/VL/DQ. Each stream draws exactly the sequence
// RandomStream.zigguratNormal draws: the same 64-bit words in the same order, the same arithmetic
// (no fused multiply-add), the rare wedge and tail draws taken from that stream at the point
// where they occur. So the numbers are bit for bit those of the one-at-a-time loop.
#ifndef SCREENPLAN_ZIGGURAT_H
#define SCREENPLAN_ZIGGURAT_H

#include <stdint.h>

/// Fills `out[l * stride + i]` for lane l < lanes (1…4) and i < count with standard normals from
/// the xoshiro256** state `states[4l … 4l + 3]` (s0, s1, s2, s3), which is advanced.
/// `table` is the ziggurat table of RandomStream (x[0…128] then x[i+1]/x[i] for i < 128),
/// `pairs` the same layers side by side (x[i], x[i+1]/x[i] at 2i, 2i + 1, for i < 128; the AVX-512
/// path reads a layer's two values in one load), `r` the tail's start.
void screenplan_ziggurat_fill(
    uint64_t *states, int lanes, double *out, long stride, long count, const double *table, const double *pairs,
    double r);

/// The same with the widest path no wider than `path` (0 scalar, 1 AVX2, 2 AVX-512, each used
/// only when the CPU has it): the tests compare every path the machine runs.
void screenplan_ziggurat_fill_path(
    int path, uint64_t *states, int lanes, double *out, long stride, long count, const double *table,
    const double *pairs, double r);

#endif
