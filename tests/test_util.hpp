// Helpers for tests: build a layer from arguments without going through a
// reader, and read its shapes and counts.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "stride/stride.hpp"

namespace stride::test {

// make_layer("Conv2D", {5, 3}, {{"padding", "same"}}) is Conv2D(5, 3, padding='same').
inline std::unique_ptr<Layer> make(const std::string& cls, std::vector<Json> positional = {},
                                   Json keywords = Json::object()) {
  LayerCall call;
  call.class_name = cls;
  call.loc = SourceLoc{"test", 1, 1};
  for (Json& v : positional) call.args.push_back(Arg{"", std::move(v), call.loc});
  for (auto& [k, v] : keywords.items()) call.args.push_back(Arg{k, v, call.loc});
  return make_layer(call);
}

// The layer built on `input` (batch dim included).
inline std::unique_ptr<Layer> built(const std::string& cls, std::vector<Json> positional,
                                    Json keywords, const Shape& input) {
  auto layer = make(cls, std::move(positional), std::move(keywords));
  layer->build(input);
  return layer;
}

// The message of the stride::Error that `fn` throws ("" if none).
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace stride::test
