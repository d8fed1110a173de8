// Internal pieces of the Keras file readers and writers (reference §6):
// weight layouts inside an HDF5 file and the .keras archive's members.
#pragma once

#include <string>
#include <string_view>

#include "io/hdf5_file.hpp"
#include "stride/model.hpp"
#include "stride/npy.hpp"

namespace stride {

// The members of a .keras archive.
inline constexpr const char* kKerasConfigMember = "config.json";
inline constexpr const char* kKerasWeightsMember = "model.weights.h5";
inline constexpr const char* kKerasMetadataMember = "metadata.json";
// The Keras versions whose layouts stride writes (reference §6.2, §6.3).
inline constexpr const char* kKeras3Version = "3.10.0";
inline constexpr const char* kKeras2Version = "2.15.0";

// The model's weights from a Keras HDF5 file, in either layout: Keras 3
// (layers/<snake_case class>[_n]/vars/<i>) or Keras 2 legacy (a group with
// layer_names: /model_weights of a model file, or the root of a
// save_weights file). Counts, dtypes and shapes are checked against the
// built model before anything is read; arrays are named as
// Sequential::weight_arrays() names them.
NamedArrays read_keras_h5_weights(const hdf5::Group& root, const Sequential& model);

// Keras 3 layout under `root` (a .weights.h5 file or model.weights.h5).
void write_keras3_weights(const hdf5::Group& root, const Sequential& model);
// Keras 2 legacy layout in `group` (/model_weights, or the root of a
// weights-only .h5).
void write_legacy_weights(const hdf5::Group& group, const Sequential& model);

// Writers need the model built, its weights bound; an Error otherwise.
void require_built(const Sequential& model);
// `value` as Python's json.dumps writes it (", " and ": ", ASCII only).
std::string to_python_json(const Json& value);

// Is `bytes` a zip archive (local file header or an empty archive)?
bool is_zip(std::string_view bytes);
// A zip holding config.json or model.weights.h5 (not a .npz)?
bool is_keras_archive(std::string_view bytes, const std::string& file);

// The model of a .keras archive without its weights: the zip, config.json
// and metadata.json (HDF5 is not touched).
Sequential read_keras_archive_model(std::string_view bytes, const std::string& file);
// A .keras archive or a legacy .h5 model file (HDF5), with its weights.
ModelFile read_keras_model_file(std::string_view bytes, const std::string& file);
// The weights of a .keras archive or a Keras HDF5 file, for `model`.
NamedArrays read_keras_weights(std::string_view bytes, const std::string& file,
                               const Sequential& model);

}  // namespace stride
