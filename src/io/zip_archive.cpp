// Zip archives in memory with libzip. Members are stored or deflated;
// libzip handles zip64 and checks each member's CRC when it is read to the
// end.
#include "zip_archive.hpp"

#include <fmt/format.h>
#include <zip.h>

#include <algorithm>

#include "stride/error.hpp"

namespace stride {

namespace {

// Deflate expands data at most about 1032:1; a member that claims more than
// this ratio is corrupt or a zip bomb, and is refused before inflating.
constexpr std::uint64_t kMaxDeflateRatio = 1100;
// Members are inflated into a buffer grown as data arrives, starting at
// most this large, so a size the archive merely claims is never allocated.
constexpr std::uint64_t kInitialReadBytes = 1u << 20;

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

// Refuses members whose method or declared size stride will not inflate.
void check_member(const zip_stat_t& stat, std::uint64_t max_bytes, const SourceLoc& where) {
  if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) && stat.encryption_method != ZIP_EM_NONE)
    throw Error(where, "the member is encrypted");
  if (!(stat.valid & ZIP_STAT_COMP_METHOD) || !(stat.valid & ZIP_STAT_SIZE) ||
      !(stat.valid & ZIP_STAT_COMP_SIZE))
    throw Error(where, "the archive does not give the member's size and compression");
  if (stat.comp_method != ZIP_CM_STORE && stat.comp_method != ZIP_CM_DEFLATE)
    throw Error(where, fmt::format("the member uses zip compression method {}; stride reads "
                                   "stored and deflated members",
                                   stat.comp_method));
  if (stat.size > max_bytes)
    throw Error(where, fmt::format("the member claims {} bytes, more than the {} stride reads",
                                   stat.size, max_bytes));
  if (stat.comp_method == ZIP_CM_STORE && stat.size != stat.comp_size)
    throw Error(where, fmt::format("the stored member claims {} bytes but occupies {}: the "
                                   "archive is corrupt",
                                   stat.size, stat.comp_size));
  if (stat.comp_method == ZIP_CM_DEFLATE && stat.size / kMaxDeflateRatio > stat.comp_size + 1)
    throw Error(where, fmt::format("the member claims {} bytes from {} compressed bytes, more "
                                   "than deflate can produce: a corrupt archive or a zip bomb",
                                   stat.size, stat.comp_size));
}

}  // namespace

std::string printable_member_name(std::string_view name) {
  std::string out;
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

struct ZipReader::Archive {
  ZipPtr zip;
};

ZipReader::ZipReader(std::string_view bytes, const std::string& file, const std::string& what)
    : archive_(std::make_unique<Archive>()) {
  const SourceLoc where{file, 0, 0};
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (!source) throw Error(where, fmt::format("cannot read the archive: {}", error_text(error)));
  archive_->zip.reset(zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (!archive_->zip) {
    zip_source_free(source);
    // libzip refuses duplicate names as it opens the archive.
    if (zip_error_code_zip(&error) == ZIP_ER_EXISTS) {
      zip_error_fini(&error);
      throw Error(where, fmt::format("not a valid {}: two members have the same name", what));
    }
    throw Error(where, fmt::format("not a valid {}: {}", what, error_text(error)));
  }
  zip_error_fini(&error);
  zip_t* zip = archive_->zip.get();
  const zip_int64_t count = zip_get_num_entries(zip, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    // Raw names: the bytes the archive holds.
    if (zip_stat_index(zip, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW, &stat) != 0 ||
        !(stat.valid & ZIP_STAT_NAME))
      throw Error(where,
                  fmt::format("cannot read member {} of the archive: {}", i, zip_strerror(zip)));
    Member m;
    m.name = stat.name;
    m.size = (stat.valid & ZIP_STAT_SIZE) ? stat.size : 0;
    m.is_directory = m.name.ends_with('/') && (stat.valid & ZIP_STAT_SIZE) && stat.size == 0;
    members_.push_back(std::move(m));
  }
}

ZipReader::~ZipReader() = default;

std::int64_t ZipReader::find(std::string_view name) const {
  for (std::size_t i = 0; i < members_.size(); ++i)
    if (members_[i].name == name) return static_cast<std::int64_t>(i);
  return -1;
}

std::string ZipReader::read(std::size_t index, std::uint64_t max_bytes,
                            const std::string& where_name) const {
  const SourceLoc where{where_name, 0, 0};
  zip_t* zip = archive_->zip.get();
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(zip, index, ZIP_FL_ENC_RAW, &stat) != 0)
    throw Error(where, fmt::format("cannot read the member: {}", zip_strerror(zip)));
  check_member(stat, max_bytes, where);
  const zip_uint64_t size = stat.size;
  std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(zip, index, 0));
  if (!file) throw Error(where, fmt::format("cannot read the member: {}", zip_strerror(zip)));
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

std::string serialize_zip(const ZipMembers& members, bool compressed) {
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
  for (const auto& [name, data] : members) {
    // Member sources point into `members` until zip_close.
    zip_source_t* source = zip_source_buffer(archive.get(), data.data(), data.size(), 0);
    if (!source) fail(name);
    // GUESS marks a UTF-8 name as such and stores other bytes unchanged.
    const zip_int64_t index = zip_file_add(archive.get(), name.c_str(), source, ZIP_FL_ENC_GUESS);
    if (index < 0) {
      zip_source_free(source);
      fail(name);
    }
    const auto at = static_cast<zip_uint64_t>(index);
    if (zip_set_file_compression(archive.get(), at, compressed ? ZIP_CM_DEFLATE : ZIP_CM_STORE,
                                 0) != 0 ||
        // 1980-01-01 00:00 in MS-DOS date and time: the same bytes every run.
        zip_file_set_dostime(archive.get(), at, 0, (0 << 9) | (1 << 5) | 1, 0) != 0)
      fail(name);
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

}  // namespace stride
