// Keras's default layer names: snake_case of the class name (reference §3,
// the Keras >= 2.7 / Keras 3 tail set of lowercase letters).
#include <cctype>

#include "stride/layer.hpp"

namespace stride {

std::string keras_snake_case(std::string_view name) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lowerc = [](char c) { return c >= 'a' && c <= 'z'; };
  // Pass 1: an underscore before every uppercase letter followed by a
  // lowercase one (not at position 0).
  std::string s1;
  for (std::size_t j = 0; j < name.size(); ++j) {
    if (j >= 1 && upper(name[j]) && j + 1 < name.size() && lowerc(name[j + 1])) s1 += '_';
    s1 += name[j];
  }
  // Pass 2: an underscore between a lowercase letter and an uppercase one.
  std::string s2;
  for (std::size_t j = 0; j < s1.size(); ++j) {
    s2 += s1[j];
    if (lowerc(s1[j]) && j + 1 < s1.size() && upper(s1[j + 1])) s2 += '_';
  }
  for (char& c : s2) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s2;
}

}  // namespace stride
