// Keras model files: .keras archives (a zip of config.json,
// model.weights.h5 and metadata.json), legacy .h5 model files and
// .weights.h5 files (reference §6), read from memory and written
// atomically.
#include <fmt/format.h>

#include <ctime>

#include "io/binary_file.hpp"
#include "io/hdf5_watchdog.hpp"
#include "io/keras_files.hpp"
#include "io/zip_archive.hpp"

namespace stride {

namespace {

constexpr std::uint64_t kMaxConfigBytes = 64u << 20;
constexpr std::uint64_t kMaxMetadataBytes = 1u << 20;
// A weights file holds arrays up to kMaxArrayBytes, plus HDF5's own structures.
constexpr std::uint64_t kMaxWeightsBytes = kMaxArrayBytes + (1u << 26);

class KerasArchive {
 public:
  KerasArchive(std::string_view bytes, const std::string& file)
      : file_(file), zip_(bytes, file, ".keras (zip) archive") {
    if (zip_.find(kKerasConfigMember) < 0 && zip_.find(kKerasWeightsMember) < 0)
      for (const ZipReader::Member& m : zip_.members())
        if (m.name.ends_with(".npy"))
          throw Error(SourceLoc{file_, 0, 0},
                      "a .npz archive of weights, not a model: give the model as MODEL and "
                      "this file with --weights");
  }

  std::string member(const char* name, std::uint64_t max_bytes) const {
    const std::int64_t index = zip_.find(name);
    if (index < 0)
      throw Error(SourceLoc{file_, 0, 0},
                  fmt::format("the archive has no member '{}' (a .keras file holds {}, {} and {})",
                              name, kKerasConfigMember, kKerasWeightsMember, kKerasMetadataMember));
    return zip_.read(static_cast<std::size_t>(index), max_bytes, member_name(name));
  }

  std::string member_name(const char* name) const { return fmt::format("{}: {}", file_, name); }

  // metadata.json, when present, must be the JSON object Keras writes.
  void check_metadata() const {
    if (zip_.find(kKerasMetadataMember) < 0) return;
    const std::string text = member(kKerasMetadataMember, kMaxMetadataBytes);
    const Json metadata = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    const SourceLoc where{member_name(kKerasMetadataMember), 0, 0};
    if (metadata.is_discarded()) throw Error(where, "invalid JSON");
    if (!metadata.is_object())
      throw Error(where, "expected a JSON object with keras_version and date_saved");
    if (auto v = metadata.find("keras_version"); v != metadata.end() && !v->is_string())
      throw Error(where, "\"keras_version\" must be a string");
  }

  // The model of config.json, after checking metadata.json.
  Sequential model() const {
    Sequential model = read_keras_json(member(kKerasConfigMember, kMaxConfigBytes),
                                       member_name(kKerasConfigMember));
    check_metadata();
    return model;
  }

  NamedArrays weights(const Sequential& model) const {
    const std::string bytes = member(kKerasWeightsMember, kMaxWeightsBytes);
    const hdf5::ReadDeadline deadline(file_);
    const hdf5::File h5 = hdf5::File::open(bytes, member_name(kKerasWeightsMember));
    return read_keras_h5_weights(h5.root(), model);
  }

 private:
  std::string file_;
  ZipReader zip_;
};

ModelFile read_keras_archive(std::string_view bytes, const std::string& file) {
  const KerasArchive archive(bytes, file);
  ModelFile out{archive.model(), true};
  out.model.build();
  out.model.set_weights(archive.weights(out.model), file);
  return out;
}

ModelFile read_keras_h5_model(std::string_view bytes, const std::string& file) {
  const hdf5::ReadDeadline deadline(file);
  const hdf5::File h5 = hdf5::File::open(bytes, file);
  const hdf5::Group root = h5.root();
  if (!root.has_attribute("model_config"))
    throw Error(SourceLoc{file, 0, 0},
                "an HDF5 file without a model_config attribute: a weights file, not a model "
                "(give the model as MODEL and this file with --weights)");
  ModelFile out{
      read_keras_json(root.string_attribute("model_config"), fmt::format("{}: model_config", file)),
      true};
  out.model.build();
  if (!root.has_group("model_weights"))
    root.fail("no group 'model_weights': the model file holds no weights");
  out.model.set_weights(read_keras_h5_weights(root, out.model), file);
  return out;
}

std::string date_saved() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d@%H:%M:%S", &local);
  return text;
}

template <class Write>
void write_atomically(const std::string& path, Write&& serialize) {
  try {
    write_file_atomically(path, serialize());
  } catch (Error& e) {
    e.set_loc_if_unknown(SourceLoc{path, 0, 0});
    throw;
  }
}

bool ends_with_lower(const std::string& path, std::string_view suffix) {
  if (path.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(path[path.size() - suffix.size() + i])) !=
        suffix[i])
      return false;
  return true;
}

}  // namespace

Sequential read_keras_archive_model(std::string_view bytes, const std::string& file) {
  return KerasArchive(bytes, file).model();
}

bool is_zip(std::string_view bytes) {
  return bytes.starts_with("PK\x03\x04") || bytes.starts_with("PK\x05\x06");
}

ModelFile read_keras_model_file(std::string_view bytes, const std::string& file) {
  if (hdf5::has_signature(bytes)) return read_keras_h5_model(bytes, file);
  return read_keras_archive(bytes, file);
}

NamedArrays read_keras_weights(std::string_view bytes, const std::string& file,
                               const Sequential& model) {
  if (hdf5::has_signature(bytes)) {
    const hdf5::ReadDeadline deadline(file);
    const hdf5::File h5 = hdf5::File::open(bytes, file);
    return read_keras_h5_weights(h5.root(), model);
  }
  return KerasArchive(bytes, file).weights(model);
}

bool is_keras_archive(std::string_view bytes, const std::string& file) {
  if (!is_zip(bytes)) return false;
  try {
    const ZipReader zip(bytes, file, "zip archive");
    return zip.find(kKerasWeightsMember) >= 0 || zip.find(kKerasConfigMember) >= 0;
  } catch (const Error&) {
    // Unreadable: the name says which reader should report it.
    return ends_with_lower(file, ".keras");
  }
}

void save_keras(const Sequential& model, const std::string& path) {
  write_atomically(path, [&] {
    require_built(model);
    const std::string config = to_keras3_json(model);
    const hdf5::File h5 = hdf5::File::create(fmt::format("{}: {}", path, kKerasWeightsMember));
    write_keras3_weights(h5.root(), model);
    const std::string metadata =
        to_python_json(Json{{"keras_version", kKeras3Version}, {"date_saved", date_saved()}});
    // Keras writes the members in this order, stored.
    return serialize_zip({{kKerasMetadataMember, metadata},
                          {kKerasConfigMember, config},
                          {kKerasWeightsMember, h5.image()}},
                         /*compressed=*/false);
  });
}

void save_keras_h5(const Sequential& model, const std::string& path) {
  write_atomically(path, [&] {
    require_built(model);
    const hdf5::File h5 = hdf5::File::create(path);
    const hdf5::Group root = h5.root();
    root.set_string_attribute("keras_version", kKeras2Version);
    root.set_string_attribute("backend", "tensorflow");
    root.set_string_attribute("model_config", to_keras2_json(model));
    write_legacy_weights(root.create_group("model_weights"), model);
    return h5.image();
  });
}

void save_weights_h5(const Sequential& model, const std::string& path) {
  write_atomically(path, [&] {
    require_built(model);
    const hdf5::File h5 = hdf5::File::create(path);
    write_keras3_weights(h5.root(), model);
    return h5.image();
  });
}

void save_model(const Sequential& model, const std::string& path) {
  if (ends_with_lower(path, ".keras"))
    save_keras(model, path);
  else if (ends_with_lower(path, ".weights.h5"))
    save_weights_h5(model, path);
  else if (ends_with_lower(path, ".h5") || ends_with_lower(path, ".hdf5"))
    save_keras_h5(model, path);
  else if (ends_with_lower(path, ".json"))
    write_atomically(path, [&] { return to_keras3_json(model); });
  else
    model.save_weights(path);
}

}  // namespace stride
