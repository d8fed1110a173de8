// Table rows for the convolution family tests: a layer call written as JSON
// (positional args, keyword args), the input shape, and the output shape and
// parameter count worked out by hand.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.hpp"

namespace stride::test {

struct ConvCase {
  const char* cls;
  const char* args;    // JSON array of positional arguments: "[16, 3]"
  const char* kwargs;  // JSON object of keyword arguments: R"({"strides": 2})"
  Shape input;         // batch included; kNone for None
  Shape output;
  Dim params;
};

inline std::vector<Json> positional(const char* args) {
  std::vector<Json> out;
  for (const Json& v : Json::parse(args)) out.push_back(v);
  return out;
}

inline std::string describe(const ConvCase& c) {
  return std::string(c.cls) + " args=" + c.args + " kwargs=" + c.kwargs +
         " input=" + shape_to_python(c.input);
}

inline void expect_case(const ConvCase& c) {
  SCOPED_TRACE(describe(c));
  try {
    auto layer = built(c.cls, positional(c.args), Json::parse(c.kwargs), c.input);
    EXPECT_EQ(shape_to_python(layer->output_shape()), shape_to_python(c.output));
    EXPECT_EQ(layer->compute_output_shape(c.input), c.output);
    EXPECT_EQ(layer->count_params(), c.params);
    EXPECT_EQ(layer->trainable_params(), c.params);
    EXPECT_EQ(layer->non_trainable_params(), 0);
  } catch (const Error& e) {
    ADD_FAILURE() << "unexpected error: " << e.what();
  }
}

// The message of the error that constructing and building the layer throws,
// the layer named 'c' so that messages say "Conv2D layer 'c': ..."
// ("" when nothing is thrown).
inline std::string build_error(const char* cls, const char* args, const char* kwargs,
                               const Shape& input) {
  return error_of([&] {
    auto layer = make(cls, positional(args), Json::parse(kwargs));
    layer->set_name("c");
    layer->build(input);
  });
}

// The explain lines of the built layer, joined by newlines.
inline std::string explain_text(const char* cls, const char* args, const char* kwargs,
                                const Shape& input) {
  auto layer = built(cls, positional(args), Json::parse(kwargs), input);
  Explanation e;
  layer->explain(e);
  std::string text;
  for (const std::string& line : e.lines) text += line + "\n";
  return text;
}

}  // namespace stride::test
