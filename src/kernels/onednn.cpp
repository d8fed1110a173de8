// oneDNN convolutions, forward and both gradients: a primitive per geometry,
// created once and cached (oneDNN picks its kernel and weight layout at
// creation; Keras's HWIO kernel is reordered into that layout on every call,
// since training changes it between calls, and the kernel gradient back).
#include "kernels/onednn.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

#ifdef STRIDE_ONEDNN
#include <omp.h>

#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "stride/parallel.hpp"
#endif

namespace stride::kernels::onednn {

namespace {

std::atomic<int> enabled_state{-1};  // -1: not decided yet

}  // namespace

bool enabled() {
#ifdef STRIDE_ONEDNN
  int state = enabled_state.load();
  if (state < 0) {
    const char* env = std::getenv("STRIDE_ONEDNN");
    state = env && std::strcmp(env, "0") == 0 ? 0 : 1;
    enabled_state.store(state);
  }
  return state == 1;
#else
  return false;
#endif
}

void set_enabled(bool on) {
  enabled_state.store(on ? 1 : 0);
}

#ifdef STRIDE_ONEDNN

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// oneDNN's description of a geometry: sizes in its order (N, C, [D,] H, W),
// formats, strides, dilations and padding.
struct Described {
  memory::desc src, dst, any_weights, user_weights, bias;
  memory::dims strides, dilates, pad_l, pad_r;
};

// Nothing when oneDNN cannot express the geometry.
std::optional<Described> describe(const ConvGeometry& g) {
  const bool is3d = g.input[0] != 1 || g.kernel[0] != 1 || g.output[0] != 1;
  const int first = is3d ? 0 : 1;  // spatial axes used
  memory::dims src{g.batch, g.in_channels}, dst{g.batch, g.out_channels},
      weights{g.out_channels, g.in_channels};
  Described d;
  for (int a = first; a < 3; ++a) {
    src.push_back(g.input[a]);
    dst.push_back(g.output[a]);
    weights.push_back(g.kernel[a]);
    d.strides.push_back(g.strides[a]);
    d.dilates.push_back(g.dilation[a] - 1);
    d.pad_l.push_back(g.pad_before[a]);
    // What is left after the last window: oneDNN's output size divides
    // (in + pad_l + pad_r - span) by the stride, rounding down, as Keras does.
    const Dim span = (g.kernel[a] - 1) * g.dilation[a] + 1;
    d.pad_r.push_back(
        std::max<Dim>(0, (g.output[a] - 1) * g.strides[a] + span - g.input[a] - g.pad_before[a]));
    if ((g.input[a] + g.pad_before[a] + d.pad_r.back() - span) / g.strides[a] + 1 != g.output[a])
      return std::nullopt;
  }
  const Tag activations = is3d ? Tag::ndhwc : Tag::nhwc;
  const auto f32 = memory::data_type::f32;
  d.src = memory::desc(src, f32, activations);
  d.dst = memory::desc(dst, f32, activations);
  d.any_weights = memory::desc(weights, f32, Tag::any);
  d.user_weights = memory::desc(weights, f32, is3d ? Tag::dhwio : Tag::hwio);
  d.bias = memory::desc({g.out_channels}, f32, Tag::a);
  return d;
}

constexpr auto kDirect = dnnl::algorithm::convolution_direct;

// Which optional parts a primitive has (part of its cache key).
enum Variant : unsigned { kBias = 1, kRelu = 2 };

dnnl::convolution_forward::primitive_desc forward_pd(const Described& d, dnnl::prop_kind prop,
                                                     unsigned variant) {
  const bool has_bias = variant & kBias;
  const auto desc =
      has_bias ? dnnl::convolution_forward::desc(prop, kDirect, d.src, d.any_weights, d.bias, d.dst,
                                                 d.strides, d.dilates, d.pad_l, d.pad_r)
               : dnnl::convolution_forward::desc(prop, kDirect, d.src, d.any_weights, d.dst,
                                                 d.strides, d.dilates, d.pad_l, d.pad_r);
  dnnl::primitive_attr attr;
  if (variant & kRelu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  return {desc, attr, cpu_engine()};
}

// Weights in oneDNN's layout for a primitive, and the reorder between that
// layout and Keras's HWIO (either direction); empty when they are the same.
struct WeightsBuffer {
  memory::desc user;
  memory buffer;
  std::optional<dnnl::reorder> reorder;

  void prepare(const memory::desc& user_desc, const memory::desc& primitive_desc, bool to_user) {
    user = user_desc;
    if (primitive_desc == user_desc) return;
    buffer = memory(primitive_desc, cpu_engine());
    const memory user_memory(user_desc, cpu_engine(), nullptr);
    reorder.emplace(to_user ? dnnl::reorder(buffer, user_memory)
                            : dnnl::reorder(user_memory, buffer));
  }
};

// One geometry's primitive and the buffer its weights (or, for the kernel
// gradient, the weight gradient) go through; `running` serializes calls,
// which share the buffer.
template <class Primitive>
struct Prepared {
  static constexpr bool kWeightGradient =
      std::is_same_v<Primitive, dnnl::convolution_backward_weights>;
  std::mutex running;
  typename Primitive::primitive_desc pd;
  Primitive primitive;
  WeightsBuffer weights;

  Prepared(typename Primitive::primitive_desc desc, const memory::desc& user_weights)
      : pd(std::move(desc)), primitive(pd) {
    weights.prepare(user_weights, kWeightGradient ? pd.diff_weights_desc() : pd.weights_desc(),
                    kWeightGradient);
  }
};

// How each kind is described to oneDNN; the gradients name the forward they
// belong to, as oneDNN asks.
dnnl::convolution_forward::primitive_desc inference_pd(const Described& d, unsigned variant) {
  return forward_pd(d, dnnl::prop_kind::forward_inference, variant);
}

dnnl::convolution_backward_data::primitive_desc backward_data_pd(const Described& d, unsigned) {
  return {dnnl::convolution_backward_data::desc(kDirect, d.src, d.any_weights, d.dst, d.strides,
                                                d.dilates, d.pad_l, d.pad_r),
          cpu_engine(), forward_pd(d, dnnl::prop_kind::forward_training, 0)};
}

dnnl::convolution_backward_weights::primitive_desc backward_weights_pd(const Described& d,
                                                                       unsigned variant) {
  using Desc = dnnl::convolution_backward_weights::desc;
  const Desc desc = variant & kBias ? Desc(kDirect, d.src, d.any_weights, d.bias, d.dst, d.strides,
                                           d.dilates, d.pad_l, d.pad_r)
                                    : Desc(kDirect, d.src, d.any_weights, d.dst, d.strides,
                                           d.dilates, d.pad_l, d.pad_r);
  return {desc, cpu_engine(), forward_pd(d, dnnl::prop_kind::forward_training, variant)};
}

// Threads a geometry's primitives run on: one for small work (a batch-1
// layer), where OpenMP's fork and barrier cost more than a second thread
// gains; stride's setting otherwise. Depends only on the geometry and that
// setting, so results stay the same for a given setting.
constexpr double kSmallWorkFlops = 1e6;

int threads_for(const ConvGeometry& g) {
  return conv_flops(g) < kSmallWorkFlops ? 1 : num_threads();
}

using Key = std::vector<Dim>;

// The cached primitive of a geometry (nullptr: oneDNN does not take it), one
// cache per primitive kind. Shared: a call still running keeps its entry
// when the cache starts over.
template <class Primitive>
std::shared_ptr<Prepared<Primitive>> cached(
    const ConvGeometry& g, unsigned variant,
    typename Primitive::primitive_desc (*make_pd)(const Described&, unsigned)) {
  static std::mutex mutex;
  static std::map<Key, std::shared_ptr<Prepared<Primitive>>> cache;
  // oneDNN sizes a primitive's work (and its barriers) for the thread count
  // at creation: a primitive is made and run with the same count.
  Key key{g.batch, g.in_channels, g.out_channels, variant, threads_for(g)};
  for (const Spatial* s : {&g.input, &g.output, &g.kernel, &g.strides, &g.dilation, &g.pad_before})
    key.insert(key.end(), s->begin(), s->end());
  std::lock_guard lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    // Bounded: a long run over many shapes (varying batch sizes) starts over.
    if (cache.size() >= 256) cache.clear();
    std::shared_ptr<Prepared<Primitive>> conv;
    if (const std::optional<Described> d = describe(g)) {
      try {
        conv = std::make_shared<Prepared<Primitive>>(make_pd(*d, variant), d->user_weights);
      } catch (const dnnl::error&) {
        // no implementation for this geometry
      }
    }
    it = cache.emplace(key, std::move(conv)).first;
  }
  return it->second;
}

memory wrap(const memory::desc& desc, const float* data) {
  return memory(desc, cpu_engine(), const_cast<float*>(data));
}

// oneDNN's OpenMP threads (the team parallel_for uses too): threads_for(g).
void use_threads_for(const ConvGeometry& g) {
  omp_set_num_threads(threads_for(g));
}

// The weights as the primitive wants them: Keras's array, or the buffer it
// was reordered into.
memory weights_in(WeightsBuffer& w, dnnl::stream& stream, const float* kernel) {
  memory user = wrap(w.user, kernel);
  if (!w.reorder) return user;
  w.reorder->execute(stream, user, w.buffer);
  return w.buffer;
}

bool usable(const ConvGeometry& g) {
  return enabled() && g.groups == 1 && g.batch > 0;
}

}  // namespace

bool conv_forward(const ConvGeometry& g, const float* input, const float* kernel, const float* bias,
                  float* output, bool relu) {
  if (!usable(g)) return false;
  use_threads_for(g);  // before the primitive is made (see cached)
  const auto conv =
      cached<dnnl::convolution_forward>(g, (bias ? kBias : 0u) | (relu ? kRelu : 0u), inference_pd);
  if (!conv) return false;
  std::lock_guard lock(conv->running);
  dnnl::stream stream(cpu_engine());
  const auto& pd = conv->pd;
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, wrap(pd.src_desc(), input)},
      {DNNL_ARG_WEIGHTS, weights_in(conv->weights, stream, kernel)},
      {DNNL_ARG_DST, wrap(pd.dst_desc(), output)}};
  if (bias) args.emplace(DNNL_ARG_BIAS, wrap(pd.bias_desc(), bias));
  conv->primitive.execute(stream, args);
  stream.wait();
  return true;
}

bool conv_backward_input(const ConvGeometry& g, const float* output_grad, const float* kernel,
                         float* input_grad) {
  if (!usable(g)) return false;
  use_threads_for(g);  // before the primitive is made (see cached)
  const auto conv = cached<dnnl::convolution_backward_data>(g, 0, backward_data_pd);
  if (!conv) return false;
  std::lock_guard lock(conv->running);
  dnnl::stream stream(cpu_engine());
  const auto& pd = conv->pd;
  conv->primitive.execute(stream, {{DNNL_ARG_DIFF_DST, wrap(pd.diff_dst_desc(), output_grad)},
                                   {DNNL_ARG_WEIGHTS, weights_in(conv->weights, stream, kernel)},
                                   {DNNL_ARG_DIFF_SRC, wrap(pd.diff_src_desc(), input_grad)}});
  stream.wait();
  return true;
}

bool conv_backward_kernel(const ConvGeometry& g, const float* input, const float* output_grad,
                          float* kernel_grad, float* bias_grad) {
  // Debian's oneDNN 2.6 writes past a buffer of its own when it creates the
  // 1x1 kernel-gradient primitive (jit_1x1:avx2) for some strided
  // geometries (valgrind: ConvTransposeBackwardKernel's random trials): 1x1
  // kernels keep stride's own gradient kernels.
  if (!usable(g) || g.kernel[0] * g.kernel[1] * g.kernel[2] == 1) return false;
  use_threads_for(g);  // before the primitive is made (see cached)
  const auto conv =
      cached<dnnl::convolution_backward_weights>(g, bias_grad ? kBias : 0u, backward_weights_pd);
  if (!conv) return false;
  std::lock_guard lock(conv->running);
  dnnl::stream stream(cpu_engine());
  const auto& pd = conv->pd;
  WeightsBuffer& w = conv->weights;
  memory user = wrap(w.user, kernel_grad);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, wrap(pd.src_desc(), input)},
                                       {DNNL_ARG_DIFF_DST, wrap(pd.diff_dst_desc(), output_grad)},
                                       {DNNL_ARG_DIFF_WEIGHTS, w.reorder ? w.buffer : user}};
  if (bias_grad) args.emplace(DNNL_ARG_DIFF_BIAS, wrap(pd.diff_bias_desc(), bias_grad));
  conv->primitive.execute(stream, args);
  if (w.reorder) w.reorder->execute(stream, w.buffer, user);
  stream.wait();
  return true;
}

#else

bool conv_forward(const ConvGeometry&, const float*, const float*, const float*, float*, bool) {
  return false;
}
bool conv_backward_input(const ConvGeometry&, const float*, const float*, float*) {
  return false;
}
bool conv_backward_kernel(const ConvGeometry&, const float*, const float*, float*, float*) {
  return false;
}

#endif

}  // namespace stride::kernels::onednn
