// How many threads stride computes with.
#pragma once

namespace stride {

// Sets the number of threads the fast kernels use (>= 1; larger values are
// capped at 256). The default is the number of CPUs this process may run on
// (sched_getaffinity), or $STRIDE_NUM_THREADS when that is set. Work is cut
// into pieces that do not depend on the thread count and each output is
// computed by one piece in a fixed order, so results are bit-identical for
// every thread count. Not to be called while a computation is running.
void set_num_threads(int threads);
int num_threads();

}  // namespace stride
