// HDF5 through its C API, in memory: files are opened from an image with the
// core driver (no backing store) and new files are read back with
// H5Fget_file_image, so nothing is written to disk here and a truncated or
// corrupt file never reaches HDF5 through a path.
#include "hdf5_file.hpp"

#include <fmt/format.h>
#include <hdf5.h>

#include <algorithm>
#include <atomic>

#include "stride/error.hpp"
#include "stride/npy.hpp"
#include "zip_archive.hpp"

namespace stride::hdf5 {

namespace {

// Attributes stride reads are names and JSON; a bigger one is corrupt.
constexpr std::uint64_t kMaxAttributeBytes = 64u << 20;
constexpr std::uint64_t kMaxAttributeStrings = 1u << 20;

// HDF5 prints its error stack to stderr by default; stride reports its own line.
void silence_library() {
  static const bool done = [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// The innermost description on HDF5's error stack, where the error was found.
std::string library_error() {
  std::string text;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &text);
  H5Eclear2(H5E_DEFAULT);
  return text.empty() ? "HDF5 error" : text;
}

// Each file image gets its own name: HDF5 takes two in-memory files with
// one name for the same file.
std::string unique_name(const std::string& name) {
  static std::atomic<unsigned long> counter{0};
  return fmt::format("{}#stride{}", name, counter++);
}

std::string join(const std::string& path, std::string_view name) {
  return path == "/" ? "/" + std::string(name) : path + "/" + std::string(name);
}

std::string printable(std::string_view text) {
  return printable_member_name(text);
}

}  // namespace

Handle::~Handle() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE:
      H5Fclose(id_);
      break;
    case H5I_GROUP:
      H5Gclose(id_);
      break;
    case H5I_DATASET:
      H5Dclose(id_);
      break;
    case H5I_ATTR:
      H5Aclose(id_);
      break;
    case H5I_DATASPACE:
      H5Sclose(id_);
      break;
    case H5I_DATATYPE:
      H5Tclose(id_);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id_);
      break;
    default:
      H5Idec_ref(id_);
  }
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Handle old(id_);
    id_ = other.id_;
    other.id_ = -1;
  }
  return *this;
}

bool has_signature(std::string_view bytes) {
  // The signature sits at 0 or, after a user block, at 512, 1024, 2048...
  constexpr std::string_view kSignature("\x89HDF\r\n\x1a\n", 8);
  for (std::size_t at = 0; at + kSignature.size() <= bytes.size(); at = at ? at * 2 : 512)
    if (bytes.substr(at, kSignature.size()) == kSignature) return true;
  return false;
}

// ---- Group ------------------------------------------------------------------

Group::Group(std::shared_ptr<Handle> file_id, Handle id, std::string path, std::string file)
    : file_id_(std::move(file_id)),
      id_(std::make_shared<Handle>(std::move(id))),
      path_(std::move(path)),
      file_(std::move(file)) {}

std::string Group::child_path(std::string_view name) const {
  return join(path_, name);
}

void Group::fail(const std::string& message) const {
  throw Error(SourceLoc{file_, 0, 0}, fmt::format("{}: {}", printable(path_), message));
}

void Group::fail_at(std::string_view child, const std::string& message) const {
  throw Error(SourceLoc{file_, 0, 0}, fmt::format("{}: {}", printable(child_path(child)), message));
}

bool Group::has(std::string_view name) const {
  if (name.empty()) return false;
  // H5Lexists needs every group on the way to exist.
  for (std::size_t end = name.find('/');; end = name.find('/', end + 1)) {
    const std::string prefix(name.substr(0, end));
    if (H5Lexists(id_->get(), prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (end == std::string_view::npos) return true;
  }
}

namespace {
H5I_type_t object_type(hid_t group, std::string_view name) {
  const std::string n(name);
  const Handle object(H5Oopen(group, n.c_str(), H5P_DEFAULT));
  if (!object.valid()) {
    H5Eclear2(H5E_DEFAULT);
    return H5I_BADID;
  }
  return H5Iget_type(object.get());
}
}  // namespace

bool Group::has_group(std::string_view name) const {
  return has(name) && object_type(id_->get(), name) == H5I_GROUP;
}

bool Group::has_dataset(std::string_view name) const {
  return has(name) && object_type(id_->get(), name) == H5I_DATASET;
}

Group Group::group(std::string_view name) const {
  if (!has(name)) fail_at(name, "no such group");
  const std::string n(name);
  Handle id(H5Gopen2(id_->get(), n.c_str(), H5P_DEFAULT));
  if (!id.valid()) {
    const std::string why = library_error();
    if (object_type(id_->get(), name) == H5I_DATASET)
      fail_at(name, "is a dataset, expected a group");
    fail_at(name, fmt::format("cannot open the group: {}", why));
  }
  return Group(file_id_, std::move(id), child_path(name), file_);
}

Dataset Group::dataset(std::string_view name) const {
  if (!has(name)) fail_at(name, "no such dataset");
  const std::string n(name);
  Handle id(H5Dopen2(id_->get(), n.c_str(), H5P_DEFAULT));
  if (!id.valid()) {
    const std::string why = library_error();
    if (object_type(id_->get(), name) == H5I_GROUP) fail_at(name, "is a group, expected a dataset");
    fail_at(name, fmt::format("cannot open the dataset: {}", why));
  }
  return Dataset(file_id_, std::move(id), child_path(name), file_);
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> names;
  const herr_t status = H5Literate(
      id_->get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
      },
      &names);
  if (status < 0) fail(fmt::format("cannot list the group: {}", library_error()));
  return names;
}

bool Group::has_attribute(std::string_view name) const {
  const std::string n(name);
  const htri_t exists = H5Aexists(id_->get(), n.c_str());
  if (exists < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  return exists > 0;
}

std::vector<std::string> Group::string_list_attribute(std::string_view name) const {
  const std::string n(name);
  const auto fail_attr = [&](const std::string& message) {
    fail(fmt::format("attribute '{}': {}", printable(name), message));
  };
  if (!has_attribute(name)) fail_attr("missing");
  const Handle attr(H5Aopen(id_->get(), n.c_str(), H5P_DEFAULT));
  if (!attr.valid()) fail_attr(fmt::format("cannot open: {}", library_error()));
  const Handle type(H5Aget_type(attr.get())), space(H5Aget_space(attr.get()));
  if (!type.valid() || !space.valid()) fail_attr(fmt::format("cannot read: {}", library_error()));
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count < 0) fail_attr(fmt::format("cannot read: {}", library_error()));
  if (count == 0) return {};
  if (H5Tget_class(type.get()) != H5T_STRING) fail_attr("is not a string");
  if (H5Sget_simple_extent_ndims(space.get()) > 1) fail_attr("is not a list of strings");
  if (static_cast<std::uint64_t>(count) > kMaxAttributeStrings)
    fail_attr(fmt::format("holds {} strings, more than stride reads", count));
  std::vector<std::string> values;
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle memory(H5Tcopy(H5T_C_S1));
    H5Tset_size(memory.get(), H5T_VARIABLE);
    H5Tset_cset(memory.get(), H5Tget_cset(type.get()));
    std::vector<char*> pointers(static_cast<std::size_t>(count), nullptr);
    if (H5Aread(attr.get(), memory.get(), pointers.data()) < 0)
      fail_attr(fmt::format("cannot read: {}", library_error()));
    std::uint64_t total = 0;
    for (char* p : pointers) {
      values.emplace_back(p ? p : "");
      total += values.back().size();
    }
    H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, pointers.data());
    if (total > kMaxAttributeBytes) fail_attr("is larger than stride reads");
    return values;
  }
  const std::size_t size = H5Tget_size(type.get());
  if (size == 0) fail_attr(fmt::format("cannot read: {}", library_error()));
  if (size > kMaxAttributeBytes / static_cast<std::uint64_t>(count))
    fail_attr(fmt::format("holds {} strings of {} bytes, more than stride reads", count, size));
  Handle memory(H5Tcopy(H5T_C_S1));
  H5Tset_size(memory.get(), size);
  H5Tset_strpad(memory.get(), H5T_STR_NULLPAD);
  std::string buffer(size * static_cast<std::size_t>(count), '\0');
  if (H5Aread(attr.get(), memory.get(), buffer.data()) < 0)
    fail_attr(fmt::format("cannot read: {}", library_error()));
  for (hssize_t i = 0; i < count; ++i) {
    std::string_view s(buffer.data() + static_cast<std::size_t>(i) * size, size);
    values.emplace_back(s.substr(0, s.find('\0')));
  }
  return values;
}

std::string Group::string_attribute(std::string_view name) const {
  std::vector<std::string> values = string_list_attribute(name);
  if (values.size() != 1)
    fail(fmt::format("attribute '{}': expected one string, found {}", printable(name),
                     values.size()));
  return std::move(values.front());
}

namespace {
Handle intermediate_groups() {
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl.get(), 1);
  return lcpl;
}
}  // namespace

Group Group::create_group(std::string_view name) const {
  const std::string n(name);
  const Handle lcpl = intermediate_groups();
  Handle id(H5Gcreate2(id_->get(), n.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!id.valid()) fail_at(name, fmt::format("cannot create the group: {}", library_error()));
  return Group(file_id_, std::move(id), child_path(name), file_);
}

void Group::set_string_attribute(std::string_view name, std::string_view value) const {
  const std::string n(name);
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), std::max<std::size_t>(value.size(), 1));
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  const Handle space(H5Screate(H5S_SCALAR));
  const Handle attr(
      H5Acreate2(id_->get(), n.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  std::string buffer(value);
  buffer.resize(std::max<std::size_t>(value.size(), 1), '\0');
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), buffer.data()) < 0)
    fail(fmt::format("cannot write attribute '{}': {}", n, library_error()));
}

void Group::set_string_list_attribute(std::string_view name,
                                      const std::vector<std::string>& values) const {
  const std::string n(name);
  const hsize_t count = values.size();
  const Handle space(H5Screate_simple(1, &count, nullptr));
  Handle type;
  std::string buffer;
  if (values.empty()) {
    type = Handle(H5Tcopy(H5T_IEEE_F64LE));
    buffer.assign(8, '\0');  // a valid pointer for the empty write
  } else {
    std::size_t size = 1;
    for (const std::string& v : values) size = std::max(size, v.size());
    type = Handle(H5Tcopy(H5T_C_S1));
    H5Tset_size(type.get(), size);
    H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
    for (const std::string& v : values) {
      buffer += v;
      buffer.append(size - v.size(), '\0');
    }
  }
  const Handle attr(
      H5Acreate2(id_->get(), n.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), buffer.data()) < 0)
    fail(fmt::format("cannot write attribute '{}': {}", n, library_error()));
}

void Group::write_float32(std::string_view name, const Shape& shape, const float* values) const {
  const std::string n(name);
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  const Handle space(dims.empty()
                         ? H5Screate(H5S_SCALAR)
                         : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  const Handle lcpl = intermediate_groups();
  const Handle dataset(H5Dcreate2(id_->get(), n.c_str(), H5T_IEEE_F32LE, space.get(), lcpl.get(),
                                  H5P_DEFAULT, H5P_DEFAULT));
  if (!dataset.valid() ||
      H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0)
    fail_at(name, fmt::format("cannot write the dataset: {}", library_error()));
}

// ---- Dataset ----------------------------------------------------------------

Dataset::Dataset(std::shared_ptr<Handle> file_id, Handle id, std::string path, std::string file)
    : file_id_(std::move(file_id)),
      id_(std::make_shared<Handle>(std::move(id))),
      path_(std::move(path)),
      file_(std::move(file)) {}

void Dataset::fail(const std::string& message) const {
  throw Error(SourceLoc{file_, 0, 0}, fmt::format("{}: {}", printable(path_), message));
}

Shape Dataset::shape() const {
  const Handle space(H5Dget_space(id_->get()));
  if (!space.valid()) fail(fmt::format("cannot read the shape: {}", library_error()));
  switch (H5Sget_simple_extent_type(space.get())) {
    case H5S_SCALAR:
      return {};
    case H5S_SIMPLE:
      break;
    default:
      fail("holds no data (a null dataspace)");
  }
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > H5S_MAX_RANK)
    fail(fmt::format("cannot read the shape: {}", library_error()));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
    fail(fmt::format("cannot read the shape: {}", library_error()));
  Shape shape;
  for (const hsize_t d : dims) {
    if (d > static_cast<hsize_t>(kMaxArrayBytes))
      fail(fmt::format("has an absurd dimension {}", d));
    shape.push_back(static_cast<Dim>(d));
  }
  return shape;
}

std::string Dataset::dtype() const {
  const Handle type(H5Dget_type(id_->get()));
  if (!type.valid()) return "an unreadable type";
  const std::size_t bits = H5Tget_size(type.get()) * 8;
  switch (H5Tget_class(type.get())) {
    case H5T_FLOAT:
      return fmt::format("float{}", bits);
    case H5T_INTEGER:
      return fmt::format("{}int{}", H5Tget_sign(type.get()) == H5T_SGN_NONE ? "u" : "", bits);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    default:
      return "a non-numeric type";
  }
}

bool Dataset::is_float() const {
  const Handle type(H5Dget_type(id_->get()));
  return type.valid() && H5Tget_class(type.get()) == H5T_FLOAT;
}

void Dataset::read_float32(float* out) const {
  if (H5Dread(id_->get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    fail(fmt::format("cannot read the data: {}", library_error()));
}

// ---- File -------------------------------------------------------------------

File::File(Handle id, std::string name)
    : id_(std::make_shared<Handle>(std::move(id))), name_(std::move(name)) {}

File File::open(std::string_view bytes, const std::string& name) {
  silence_library();
  const SourceLoc where{name, 0, 0};
  if (!has_signature(bytes)) throw Error(where, "not an HDF5 file (no HDF5 signature)");
  const Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), 1 << 16, /*backing_store=*/0) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0)
    throw Error(where, fmt::format("cannot open as HDF5: {}", library_error()));
  Handle id(H5Fopen(unique_name(name).c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!id.valid()) throw Error(where, fmt::format("not a valid HDF5 file: {}", library_error()));
  return File(std::move(id), name);
}

File File::create(const std::string& name) {
  silence_library();
  const SourceLoc where{name, 0, 0};
  const Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), 1 << 16, /*backing_store=*/0) < 0)
    throw Error(where, fmt::format("cannot create an HDF5 file: {}", library_error()));
  Handle id(H5Fcreate(unique_name(name).c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()));
  if (!id.valid())
    throw Error(where, fmt::format("cannot create an HDF5 file: {}", library_error()));
  return File(std::move(id), name);
}

Group File::root() const {
  Handle id(H5Gopen2(id_->get(), "/", H5P_DEFAULT));
  if (!id.valid())
    throw Error(SourceLoc{name_, 0, 0},
                fmt::format("cannot open the root group: {}", library_error()));
  return Group(id_, std::move(id), "/", name_);
}

std::string File::image() const {
  const SourceLoc where{name_, 0, 0};
  if (H5Fflush(id_->get(), H5F_SCOPE_GLOBAL) < 0)
    throw Error(where, fmt::format("cannot write the HDF5 file: {}", library_error()));
  const ssize_t size = H5Fget_file_image(id_->get(), nullptr, 0);
  if (size < 0) throw Error(where, fmt::format("cannot write the HDF5 file: {}", library_error()));
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (H5Fget_file_image(id_->get(), bytes.data(), bytes.size()) != size)
    throw Error(where, fmt::format("cannot write the HDF5 file: {}", library_error()));
  return bytes;
}

}  // namespace stride::hdf5
