// How many threads stride computes with.
#pragma once

namespace stride {

// Sets the number of threads the fast kernels use (>= 1; larger values are
// capped at 256). The default is the number of CPUs this process may run on
// (sched_getaffinity), or $STRIDE_NUM_THREADS when that is set. A given
// count gives bit-identical results. stride's own kernels cut work into
// pieces that do not depend on the count, so their results are the same for
// every count (on AVX2 CPUs they compute every convolution kernel gradient);
// oneDNN's kernel gradients, used on older CPUs, share the batch sum out by
// thread, so across counts they may differ in the last bits
// ($STRIDE_ONEDNN=0 turns oneDNN off). Not to be called while a computation
// is running.
void set_num_threads(int threads);
int num_threads();

}  // namespace stride
