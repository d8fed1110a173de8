// .npz archives: zips of .npy members, read from memory and written to
// memory with libzip. Members are stored (np.savez) or deflated
// (np.savez_compressed); libzip handles zip64 (NumPy forces it) and checks
// each member's CRC when it is read to the end.
#include <fmt/format.h>
#include <zip.h>

#include <memory>
#include <set>

#include "binary_file.hpp"
#include "stride/error.hpp"
#include "stride/npy.hpp"

namespace stride {

namespace {

// Deflate expands data at most about 1032:1; a member that claims more than
// this ratio is corrupt or a zip bomb, and is refused before inflating.
constexpr std::uint64_t kMaxDeflateRatio = 1100;
// Members are inflated into a buffer grown as data arrives, starting at
// most this large, so a size the archive merely claims is never allocated.
constexpr std::uint64_t kInitialReadBytes = 1u << 20;
// Room for any real .npy header on top of the data cap.
constexpr std::uint64_t kMaxMemberBytes = kMaxArrayBytes + (1u << 26);

struct ZipDiscard {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipFileClose {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};
struct ZipSourceFree {
  void operator()(zip_source_t* source) const { zip_source_free(source); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;

// libzip's text for an error, releasing the error.
std::string error_text(zip_error_t& error) {
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// A member name fit for a one-line message: control bytes as \xNN.
std::string printable(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

// Refuses members whose method or declared size stride will not inflate.
void check_member(const zip_stat_t& stat, const SourceLoc& where) {
  if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) && stat.encryption_method != ZIP_EM_NONE)
    throw Error(where, "the member is encrypted");
  if (!(stat.valid & ZIP_STAT_COMP_METHOD) || !(stat.valid & ZIP_STAT_SIZE) ||
      !(stat.valid & ZIP_STAT_COMP_SIZE))
    throw Error(where, "the archive does not give the member's size and compression");
  if (stat.comp_method != ZIP_CM_STORE && stat.comp_method != ZIP_CM_DEFLATE)
    throw Error(where, fmt::format("the member uses zip compression method {}; stride reads "
                                   "stored and deflated members (np.savez, np.savez_compressed)",
                                   stat.comp_method));
  if (stat.size > kMaxMemberBytes)
    throw Error(where, fmt::format("the member claims {} bytes, more than the {} stride reads",
                                   stat.size, kMaxMemberBytes));
  if (stat.comp_method == ZIP_CM_STORE && stat.size != stat.comp_size)
    throw Error(where, fmt::format("the stored member claims {} bytes but occupies {}: the "
                                   "archive is corrupt",
                                   stat.size, stat.comp_size));
  if (stat.comp_method == ZIP_CM_DEFLATE && stat.size / kMaxDeflateRatio > stat.comp_size + 1)
    throw Error(where, fmt::format("the member claims {} bytes from {} compressed bytes, more "
                                   "than deflate can produce: a corrupt archive or a zip bomb",
                                   stat.size, stat.comp_size));
}

// The member's uncompressed bytes: exactly its declared size, CRC checked.
std::string read_member(zip_t* archive, zip_uint64_t index, zip_uint64_t size,
                        const SourceLoc& where) {
  std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(archive, index, 0));
  if (!file) throw Error(where, fmt::format("cannot read the member: {}", zip_strerror(archive)));
  std::string data(std::min<zip_uint64_t>(size, kInitialReadBytes), '\0');
  zip_uint64_t filled = 0;
  const auto fail = [&] {
    throw Error(where, fmt::format("cannot read the member: {}", zip_file_strerror(file.get())));
  };
  while (filled < size) {
    if (filled == data.size()) data.resize(std::min<zip_uint64_t>(size, 2 * data.size()));
    const zip_int64_t n = zip_fread(file.get(), data.data() + filled, data.size() - filled);
    if (n < 0) fail();
    if (n == 0)
      throw Error(where, fmt::format("the member holds {} bytes, not the {} the archive declares",
                                     filled, size));
    filled += static_cast<zip_uint64_t>(n);
  }
  // Reading on to the end makes libzip check the CRC and catches extra data.
  char extra;
  const zip_int64_t n = zip_fread(file.get(), &extra, 1);
  if (n < 0) fail();
  if (n > 0)
    throw Error(where,
                fmt::format("the member holds more than the {} bytes the archive declares", size));
  return data;
}

}  // namespace

NamedArrays parse_npz(std::string_view bytes, const std::string& name) {
  const SourceLoc where{name, 0, 0};
  if (bytes.empty()) throw Error(where, "empty file, not a .npz archive");
  if (bytes.starts_with("\x93NUMPY")) throw Error(where, "this is a .npy file, not a .npz archive");
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!source) throw Error(where, fmt::format("cannot read the archive: {}", error_text(error)));
  ZipPtr archive(zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (!archive) {
    zip_source_free(source);
    // libzip refuses duplicate names as it opens the archive.
    if (zip_error_code_zip(&error) == ZIP_ER_EXISTS) {
      zip_error_fini(&error);
      throw Error(where, "not a valid .npz (zip) archive: two members have the same name");
    }
    throw Error(where, fmt::format("not a valid .npz (zip) archive: {}", error_text(error)));
  }
  zip_error_fini(&error);

  NamedArrays arrays;
  std::set<std::string> keys;
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t stat;
    zip_stat_init(&stat);
    // Raw names: keys are the bytes the archive holds (UTF-8 from NumPy).
    if (zip_stat_index(archive.get(), index, ZIP_FL_ENC_RAW, &stat) != 0 ||
        !(stat.valid & ZIP_STAT_NAME))
      throw Error(where, fmt::format("cannot read member {} of the archive: {}", i,
                                     zip_strerror(archive.get())));
    const std::string member = stat.name;
    const SourceLoc member_where{name + ":" + printable(member), 0, 0};
    // Directories hold no data; zip tools add them for keys with a '/'.
    if (member.ends_with('/') && (stat.valid & ZIP_STAT_SIZE) && stat.size == 0) continue;
    if (!member.ends_with(".npy"))
      throw Error(where, fmt::format("member '{}' is not a .npy array (stride reads .npz "
                                     "archives of .npy members only)",
                                     printable(member)));
    std::string key = member.substr(0, member.size() - 4);
    if (!keys.insert(key).second)
      throw Error(where, fmt::format("member '{}' appears twice", printable(member)));
    check_member(stat, member_where);
    const std::string data = read_member(archive.get(), index, stat.size, member_where);
    arrays.emplace_back(std::move(key), parse_npy(data, member_where.file));
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
      throw Error(fmt::format("the .npz key '{}' appears twice", printable(key)));
  }
  // Member sources point into these until zip_close.
  std::vector<std::string> members;
  members.reserve(arrays.size());
  for (const auto& [key, array] : arrays) members.push_back(serialize_npy(array));

  zip_error_t error;
  zip_error_init(&error);
  std::unique_ptr<zip_source_t, ZipSourceFree> buffer(
      zip_source_buffer_create(nullptr, 0, 0, &error));
  if (!buffer) throw Error(fmt::format("cannot create the archive: {}", error_text(error)));
  ZipPtr archive(zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error));
  if (!archive) throw Error(fmt::format("cannot create the archive: {}", error_text(error)));
  zip_error_fini(&error);
  zip_source_keep(buffer.get());  // the archive's close must not free it
  const auto fail = [&](const std::string& what) {
    throw Error(
        fmt::format("cannot create the archive: {}: {}", what, zip_strerror(archive.get())));
  };
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    const std::string member = arrays[i].first + ".npy";
    zip_source_t* source =
        zip_source_buffer(archive.get(), members[i].data(), members[i].size(), 0);
    if (!source) fail(member);
    // GUESS marks a UTF-8 name as such and stores other bytes unchanged.
    const zip_int64_t index = zip_file_add(archive.get(), member.c_str(), source, ZIP_FL_ENC_GUESS);
    if (index < 0) {
      zip_source_free(source);
      fail(member);
    }
    const auto at = static_cast<zip_uint64_t>(index);
    if (zip_set_file_compression(archive.get(), at, compressed ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                                 0) != 0 ||
        // 1980-01-01 00:00 in MS-DOS date and time: the same bytes every run.
        zip_file_set_dostime(archive.get(), at, 0, (0 << 9) | (1 << 5) | 1, 0) != 0)
      fail(member);
  }
  if (zip_close(archive.get()) != 0) fail("writing");
  archive.release();  // zip_close freed it

  std::string out;
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_source_stat(buffer.get(), &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE) ||
      zip_source_open(buffer.get()) != 0)
    throw Error("cannot read back the archive written in memory");
  out.resize(stat.size);
  const zip_int64_t n = zip_source_read(buffer.get(), out.data(), out.size());
  zip_source_close(buffer.get());
  if (n < 0 || static_cast<zip_uint64_t>(n) != stat.size)
    throw Error("cannot read back the archive written in memory");
  return out;
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
