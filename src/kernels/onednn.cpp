// oneDNN convolutions: a primitive per geometry, created once and cached
// (oneDNN picks its kernel and weight layout at creation; Keras's HWIO
// kernel is reordered into that layout on every call, since training changes
// it between calls).
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

// One geometry's primitive, and the buffer its weights are reordered into.
struct ForwardConv {
  std::mutex running;  // the weights buffer is shared by calls
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward primitive;
  memory::desc user_weights;
  memory weights;  // in the primitive's layout, or empty when that is HWIO
  std::optional<dnnl::reorder> reorder;
};

using Key = std::vector<Dim>;

// Descriptors of the convolution, or nothing when oneDNN cannot express it.
std::unique_ptr<ForwardConv> create_forward(const ConvGeometry& g, bool has_bias) {
  const bool is3d = g.input[0] != 1 || g.kernel[0] != 1 || g.output[0] != 1;
  const int first = is3d ? 0 : 1;  // spatial axes used
  memory::dims src{g.batch, g.in_channels}, dst{g.batch, g.out_channels},
      weights{g.out_channels, g.in_channels}, strides, dilates, pad_l, pad_r;
  for (int a = first; a < 3; ++a) {
    src.push_back(g.input[a]);
    dst.push_back(g.output[a]);
    weights.push_back(g.kernel[a]);
    strides.push_back(g.strides[a]);
    dilates.push_back(g.dilation[a] - 1);
    pad_l.push_back(g.pad_before[a]);
    // What is left after the last window: oneDNN's output size divides
    // (in + pad_l + pad_r - span) by the stride, rounding down, as Keras does.
    const Dim span = (g.kernel[a] - 1) * g.dilation[a] + 1;
    pad_r.push_back(
        std::max<Dim>(0, (g.output[a] - 1) * g.strides[a] + span - g.input[a] - g.pad_before[a]));
    if ((g.input[a] + g.pad_before[a] + pad_r.back() - span) / g.strides[a] + 1 != g.output[a])
      return nullptr;
  }
  const Tag activations = is3d ? Tag::ndhwc : Tag::nhwc;
  const memory::desc src_md(src, memory::data_type::f32, activations);
  const memory::desc dst_md(dst, memory::data_type::f32, activations);
  const memory::desc any_weights(weights, memory::data_type::f32, Tag::any);
  const memory::desc bias_md({g.out_channels}, memory::data_type::f32, Tag::a);
  auto conv = std::make_unique<ForwardConv>();
  conv->user_weights = memory::desc(weights, memory::data_type::f32, is3d ? Tag::dhwio : Tag::hwio);
  try {
    const auto prop = dnnl::prop_kind::forward_inference;
    const auto algo = dnnl::algorithm::convolution_direct;
    const dnnl::convolution_forward::desc desc =
        has_bias ? dnnl::convolution_forward::desc(prop, algo, src_md, any_weights, bias_md, dst_md,
                                                   strides, dilates, pad_l, pad_r)
                 : dnnl::convolution_forward::desc(prop, algo, src_md, any_weights, dst_md, strides,
                                                   dilates, pad_l, pad_r);
    conv->pd = dnnl::convolution_forward::primitive_desc(desc, cpu_engine());
    conv->primitive = dnnl::convolution_forward(conv->pd);
    if (conv->pd.weights_desc() != conv->user_weights) {
      conv->weights = memory(conv->pd.weights_desc(), cpu_engine());
      conv->reorder.emplace(memory(conv->user_weights, cpu_engine(), nullptr), conv->weights);
    }
  } catch (const dnnl::error&) {
    return nullptr;  // no implementation for this geometry
  }
  return conv;
}

// The cached primitive of a geometry (nullptr: oneDNN does not take it).
// Shared: a call still running keeps its entry when the cache starts over.
std::shared_ptr<ForwardConv> forward_conv(const ConvGeometry& g, bool has_bias) {
  static std::mutex mutex;
  static std::map<Key, std::shared_ptr<ForwardConv>> cache;
  Key key{g.batch, g.in_channels, g.out_channels, has_bias};
  for (const Spatial* s : {&g.input, &g.output, &g.kernel, &g.strides, &g.dilation, &g.pad_before})
    key.insert(key.end(), s->begin(), s->end());
  std::lock_guard lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    // Bounded: a long run over many shapes (varying batch sizes) starts over.
    if (cache.size() >= 256) cache.clear();
    it = cache.emplace(key, create_forward(g, has_bias)).first;
  }
  return it->second;
}

}  // namespace

bool conv_forward(const ConvGeometry& g, const float* input, const float* kernel, const float* bias,
                  float* output) {
  if (!enabled() || g.groups != 1 || g.batch == 0) return false;
  const std::shared_ptr<ForwardConv> conv = forward_conv(g, bias != nullptr);
  if (!conv) return false;
  std::lock_guard lock(conv->running);
  dnnl::engine& engine = cpu_engine();
  dnnl::stream stream(engine);
  // oneDNN's OpenMP threads: as many as stride's own pool.
  omp_set_num_threads(num_threads());
  memory user_weights(conv->user_weights, engine, const_cast<float*>(kernel));
  memory weights = user_weights;
  if (conv->reorder) {
    conv->reorder->execute(stream, user_weights, conv->weights);
    weights = conv->weights;
  }
  const auto& desc = conv->pd;
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory(desc.src_desc(), engine, const_cast<float*>(input))},
      {DNNL_ARG_WEIGHTS, weights},
      {DNNL_ARG_DST, memory(desc.dst_desc(), engine, output)}};
  if (bias) args.emplace(DNNL_ARG_BIAS, memory(desc.bias_desc(), engine, const_cast<float*>(bias)));
  conv->primitive.execute(stream, args);
  stream.wait();
  return true;
}

#else

bool conv_forward(const ConvGeometry&, const float*, const float*, const float*, float*) {
  return false;
}

#endif

}  // namespace stride::kernels::onednn
