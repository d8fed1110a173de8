// .npz archives: zips of .npy members (zip_archive.hpp), stored (np.savez)
// or deflated (np.savez_compressed).
#include <fmt/format.h>

#include <set>

#include "binary_file.hpp"
#include "stride/error.hpp"
#include "stride/npy.hpp"
#include "zip_archive.hpp"

namespace stride {

namespace {

// Room for any real .npy header on top of the data cap.
constexpr std::uint64_t kMaxMemberBytes = kMaxArrayBytes + (1u << 26);

}  // namespace

NamedArrays parse_npz(std::string_view bytes, const std::string& name) {
  const SourceLoc where{name, 0, 0};
  if (bytes.empty()) throw Error(where, "empty file, not a .npz archive");
  if (bytes.starts_with("\x93NUMPY")) throw Error(where, "this is a .npy file, not a .npz archive");
  const ZipReader archive(bytes, name, ".npz (zip) archive");
  NamedArrays arrays;
  std::set<std::string> keys;
  for (std::size_t i = 0; i < archive.members().size(); ++i) {
    const ZipReader::Member& m = archive.members()[i];
    const std::string member_where = name + ":" + printable_member_name(m.name);
    // Directories hold no data; zip tools add them for keys with a '/'.
    if (m.is_directory) continue;
    if (!m.name.ends_with(".npy"))
      throw Error(where, fmt::format("member '{}' is not a .npy array (stride reads .npz "
                                     "archives of .npy members only)",
                                     printable_member_name(m.name)));
    std::string key = m.name.substr(0, m.name.size() - 4);
    if (!keys.insert(key).second)
      throw Error(where, fmt::format("member '{}' appears twice", printable_member_name(m.name)));
    const std::string data = archive.read(i, kMaxMemberBytes, member_where);
    arrays.emplace_back(std::move(key), parse_npy(data, member_where));
  }
  return arrays;
}

NamedArrays read_npz(const std::string& path) {
  return parse_npz(read_binary_file(path, kMaxMemberBytes), path);
}

std::string serialize_npz(const NamedArrays& arrays, bool compressed) {
  // libzip writes nothing for an archive without members; NumPy writes the
  // 22-byte end-of-central-directory record alone.
  if (arrays.empty()) return std::string("PK\x05\x06", 4) + std::string(18, '\0');
  std::set<std::string_view> keys;
  for (const auto& [key, array] : arrays) {
    if (!keys.insert(key).second)
      throw Error(fmt::format("the .npz key '{}' appears twice", printable_member_name(key)));
  }
  ZipMembers members;
  members.reserve(arrays.size());
  for (const auto& [key, array] : arrays) members.emplace_back(key + ".npy", serialize_npy(array));
  return serialize_zip(members, compressed);
}

void write_npz(const std::string& path, const NamedArrays& arrays, bool compressed) {
  try {
    write_file_atomically(path, serialize_npz(arrays, compressed));
  } catch (Error& e) {
    e.set_loc_if_unknown(SourceLoc{path, 0, 0});
    throw;
  }
}

}  // namespace stride
