// parallel_for: the one way kernels use threads. A persistent pool; the
// calling thread works too; each thread starts on its own contiguous share of
// the pieces and then claims what is left of the others' from their back
// ends (atomic words), so a core slowed by a co-tenant simply takes fewer
// pieces.
#pragma once

#include <functional>

#include "stride/shape.hpp"

namespace stride::kernels {

// Runs body(begin, end) over [0, count) cut into pieces of `grain` items
// (the last may be shorter). The pieces depend only on count and grain, so
// a body that writes disjoint outputs per piece gives the same result with
// any number of threads. Runs inline when there is one piece, one thread,
// or when called from inside another parallel_for.
void parallel_for(Dim count, Dim grain, const std::function<void(Dim begin, Dim end)>& body);

// The number of pieces parallel_for would use to spread `count` items over
// the threads with at least `min_grain` items each: handy for choosing a
// grain (grain = ceil(count / pieces)). Depends on the thread count, so only
// for work whose result does not depend on how it is cut.
Dim parallel_pieces(Dim count, Dim min_grain);

// A grain for `count` items of `item_flops` each: pieces of at least ~0.5
// MFLOP (handing a piece to a thread costs microseconds) and, where there is
// enough work, about 32 per thread, so that a slowed core takes fewer and
// the threads end close together (8 per thread left case (a)'s two threads
// ending ~12 us apart). Depends on the thread count, so only for work whose
// result does not depend on how it is cut.
Dim flop_grain(Dim count, double item_flops);

}  // namespace stride::kernels
