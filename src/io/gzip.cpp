// gzip decompression: zlib's inflate with the gzip wrapper, member after
// member, into a buffer that grows with the output (never sized from the
// file's own claims) up to a cap.
#include "gzip.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>

#include "stride/error.hpp"

namespace stride {

namespace {

// zlib counts in 32-bit uInt: feed input and output in pieces of at most this.
constexpr std::size_t kChunk = std::size_t{1} << 30;

class Inflater {
 public:
  explicit Inflater(const SourceLoc& where) {
    // 16 + MAX_WBITS: a gzip header and trailer (CRC-32 and length) around deflate data.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK)
      throw Error(where, "cannot start gzip decompression: zlib is out of memory");
  }
  ~Inflater() { inflateEnd(&stream_); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
};

}  // namespace

bool is_gzip(std::string_view bytes) {
  return bytes.starts_with("\x1f\x8b");
}

std::string gunzip(std::string_view gz, const std::string& name, std::uint64_t max_bytes) {
  const SourceLoc where{name, 0, 0};
  Inflater inflater(where);
  z_stream& z = inflater.stream();
  std::size_t fed = 0;   // input bytes handed to zlib so far
  std::size_t used = 0;  // output bytes written
  std::string out;
  // The last member's trailer holds its size mod 2^32: a first guess at the
  // output's size, trusted only as far as deflate's ratio (at most 1032:1)
  // allows, so a lying trailer cannot make a huge allocation.
  if (gz.size() >= 18) {
    const auto* end = reinterpret_cast<const unsigned char*>(gz.data() + gz.size());
    const std::uint64_t claimed = std::uint64_t{end[-4]} | std::uint64_t{end[-3]} << 8 |
                                  std::uint64_t{end[-2]} << 16 | std::uint64_t{end[-1]} << 24;
    out.resize(static_cast<std::size_t>(
        std::min({claimed, 1032 * std::uint64_t{gz.size()}, max_bytes + 1})));
  }
  for (;;) {
    if (z.avail_in == 0 && fed < gz.size()) {
      const std::size_t n = std::min(kChunk, gz.size() - fed);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + fed));
      z.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    if (used == out.size()) {
      // Room for one byte past the cap, so exceeding it is seen.
      if (used > max_bytes)
        throw Error(where, fmt::format("gzip data decompresses to more than {} bytes, the most "
                                       "stride reads from a gzip file",
                                       max_bytes));
      const std::uint64_t grown = std::max<std::uint64_t>(2 * out.size(), 1 << 16);
      out.resize(static_cast<std::size_t>(std::min(grown, max_bytes + 1)));
    }
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(std::min(kChunk, out.size() - used));
    const uInt room = z.avail_out;
    const int status = inflate(&z, Z_NO_FLUSH);
    used += room - z.avail_out;
    const std::size_t left = gz.size() - fed + z.avail_in;  // input not consumed yet
    if (status == Z_STREAM_END) {
      if (left == 0) break;
      if (!is_gzip(gz.substr(gz.size() - left)))
        throw Error(where, fmt::format("{} bytes after the end of the gzip data are not another "
                                       "gzip member",
                                       left));
      inflateReset(&z);  // the next member (`cat a.gz b.gz` makes these)
      continue;
    }
    if (status == Z_OK) continue;
    if (status == Z_BUF_ERROR) {  // no progress: out of output room, or of input
      if (z.avail_out == 0 || (z.avail_in == 0 && left > 0)) continue;
      if (left == 0)
        throw Error(where, fmt::format("truncated gzip data: the {} compressed bytes end before "
                                       "the end of the stream",
                                       gz.size()));
    }
    if (status == Z_MEM_ERROR) throw Error(where, "gzip decompression ran out of memory");
    throw Error(where, fmt::format("corrupt gzip data: {}", z.msg ? z.msg : "invalid data"));
  }
  if (used > max_bytes)
    throw Error(where, fmt::format("gzip data decompresses to more than {} bytes, the most stride "
                                   "reads from a gzip file",
                                   max_bytes));
  out.resize(used);
  return out;
}

}  // namespace stride
