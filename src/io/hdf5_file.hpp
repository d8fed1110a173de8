// A small RAII layer over the HDF5 C library (Debian's libhdf5) for the Keras
// weight files: files opened from and written to memory, groups, float32
// datasets and string attributes. HDF5's own error printing is switched off;
// every failure is a stride::Error located at the file, whose message starts
// with the object's path inside it ("/model_weights/conv2d: ...").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stride/shape.hpp"

namespace stride::hdf5 {

// An HDF5 identifier, closed with the right H5*close when it goes.
class Handle {
 public:
  Handle() = default;
  explicit Handle(std::int64_t id) : id_(id) {}
  ~Handle();
  Handle(Handle&& other) noexcept : id_(other.id_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  std::int64_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  std::int64_t id_ = -1;
};

// Does `bytes` start with the HDF5 signature (at 0, or after a user block)?
bool has_signature(std::string_view bytes);

class Dataset;

// A group (the file's root group included) of an open file.
class Group {
 public:
  const std::string& path() const { return path_; }  // "/" or "/model_weights/conv2d"
  const std::string& file() const { return file_; }  // how errors name the file

  // Is there a link `name` ("a" or "a/b/c") below this group, and what is it?
  bool has_group(std::string_view name) const;
  bool has_dataset(std::string_view name) const;
  bool has(std::string_view name) const;
  Group group(std::string_view name) const;  // an error when it is missing or not a group
  Dataset dataset(std::string_view name) const;
  // The names of the links in this group, in name order.
  std::vector<std::string> children() const;

  bool has_attribute(std::string_view name) const;
  // A string attribute (fixed or variable length, scalar or one element).
  std::string string_attribute(std::string_view name) const;
  // A string array attribute; a scalar string reads as one element and an
  // empty array of any type as none (Keras writes an empty float64 array).
  std::vector<std::string> string_list_attribute(std::string_view name) const;

  // ---- Writing (files made with File::create) ----
  // Creates the group, and the groups on its way ("a/b").
  Group create_group(std::string_view name) const;
  // A fixed-length, NUL-padded ASCII string, as h5py stores Python bytes.
  void set_string_attribute(std::string_view name, std::string_view value) const;
  // An array of such strings; an empty list is an empty float64 array, as
  // numpy.asarray([]) gives and Keras stores it.
  void set_string_list_attribute(std::string_view name,
                                 const std::vector<std::string>& values) const;
  // A little-endian float32 dataset in C order, created with the groups on its way.
  void write_float32(std::string_view name, const Shape& shape, const float* values) const;

  // An error at this group: "FILE: PATH: message".
  [[noreturn]] void fail(const std::string& message) const;
  [[noreturn]] void fail_at(std::string_view child, const std::string& message) const;

 private:
  friend class File;
  Group(std::shared_ptr<Handle> file_id, Handle id, std::string path, std::string file);
  std::string child_path(std::string_view name) const;
  std::shared_ptr<Handle> file_id_;  // keeps the file open while groups live
  std::shared_ptr<Handle> id_;
  std::string path_, file_;
};

class Dataset {
 public:
  const std::string& path() const { return path_; }
  Shape shape() const;
  // "float32", "float64", "int32", "string", ...: what the file holds.
  std::string dtype() const;
  bool is_float() const;
  // Reads the whole dataset as float32 into `out` (shape() elements).
  void read_float32(float* out) const;
  // An error at this dataset: "FILE: PATH: message".
  [[noreturn]] void fail(const std::string& message) const;

 private:
  friend class Group;
  Dataset(std::shared_ptr<Handle> file_id, Handle id, std::string path, std::string file);
  std::shared_ptr<Handle> file_id_;
  std::shared_ptr<Handle> id_;
  std::string path_, file_;
};

// An HDF5 file held in memory.
class File {
 public:
  // Opens the file image `bytes` read-only; `name` is how errors name it.
  static File open(std::string_view bytes, const std::string& name);
  // A new, empty file in memory.
  static File create(const std::string& name);
  Group root() const;
  // The file's bytes as they would be on disk (flushes first).
  std::string image() const;

 private:
  File(Handle id, std::string name);
  std::shared_ptr<Handle> id_;
  std::string name_;
};

}  // namespace stride::hdf5
