// gzip decompression (RFC 1952, with zlib) for the dataset readers. Errors
// are stride::Error located at the file's name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stride {

// The most a gzip file may decompress to: a bound on what a small corrupt or
// hostile file (a "zip bomb") can make stride allocate. 4 GiB is 90 times
// Fashion-MNIST's largest file; bigger data sets can be gunzipped first.
inline constexpr std::uint64_t kMaxGunzipBytes = std::uint64_t{1} << 32;

// True if `bytes` starts with the gzip magic 1f 8b.
bool is_gzip(std::string_view bytes);

// The data of every member, concatenated (as gzip -d does). Corrupt or
// truncated data, bytes after the last member that are not another member,
// and output beyond max_bytes are errors.
std::string gunzip(std::string_view gz, const std::string& name,
                   std::uint64_t max_bytes = kMaxGunzipBytes);

}  // namespace stride
