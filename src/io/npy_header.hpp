// The header of a .npy file: the Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// that np.save writes, read with NumPy's rules (exactly these three keys,
// shape a tuple of non-negative ints) and written byte for byte like NumPy.
#pragma once

#include <string>
#include <string_view>

#include "stride/error.hpp"
#include "stride/npy.hpp"

namespace stride::npy {

struct Header {
  DType dtype = DType::kFloat32;
  Shape shape;
};

// Parses and checks the dict text (after the length field, padding
// included). Refuses unsupported dtypes, a Fortran-order layout that
// differs from C order, and dims that are negative or do not fit 64 bits.
Header parse_header(std::string_view text, const SourceLoc& where);

// NumPy's dict text without the alignment padding: keys sorted, repr()
// values, ", " after each item, then spare spaces for the first dim to grow
// to 21 digits (numpy.lib.format.GROWTH_AXIS_MAX_DIGITS).
std::string header_dict(const Header& header);

// '<f4', '|u1', ...: the descr NumPy writes for a dtype.
std::string_view descr(DType dtype);

}  // namespace stride::npy
