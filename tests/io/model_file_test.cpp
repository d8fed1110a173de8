// load_model: reading files and stdin, refusing binary files, and choosing
// the reader by content.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "stride/stride.hpp"

namespace stride {
namespace {

namespace fs = std::filesystem;

const char* const kConvJson =
    R"({"class_name": "Sequential", "config": {"name": "modèle", "layers": [)"
    R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, 32, 32, 3], "name": "in"}}, )"
    R"({"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 5, "kernel_size": [3, 3], "activation": "relu"}}]}})";

class ModelFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stride_model_file_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_ / "m", fs::perms::owner_all, ec);
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& content, const std::string& name = "m") {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  // "FILE[:LINE:COL]: message" of the error loading `path` ("" if none).
  static std::string error_loading(const std::string& path) {
    try {
      load_model(path);
    } catch (const Error& e) {
      return e.located();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(ModelFile, JsonByContent) {
  // Leading whitespace and a byte order mark do not hide the '{'.
  const std::string path = write("\xEF\xBB\xBF\n  \t" + std::string(kConvJson), "model.txt");
  Sequential model = load_model(path);
  EXPECT_EQ(model.name(), "modèle");  // UTF-8 text is fine
  model.build();
  // 32 - 3 + 1 = 30; (3*3*3 + 1) * 5 = 140.
  EXPECT_EQ(model.output_shape(), (Shape{kNone, 30, 30, 5}));
  EXPECT_EQ(model.count_params(), 140);
}

TEST_F(ModelFile, JsonErrorsNameTheFile) {
  const std::string path = write("{\n  \"class_name\": \"Functional\", \"config\": {}}");
  EXPECT_EQ(error_loading(path),
            path +
                ":2:3: only Sequential models are supported; this is a functional model "
                "(class_name \"Functional\")");
}

TEST_F(ModelFile, KerasLinesByContent) {
  // Not '{' first: the Keras lines reader. Had it gone to the JSON reader,
  // the error would say "invalid JSON".
  const std::string path = write(
      "# the first seed\n"
      "model.add(keras.layers.Conv2D(5, kernel_size=3, activation='relu', input_shape=(32, 32, "
      "3)))\n");
  Sequential model = load_model(path);
  model.build();
  // 32 - 3 + 1 = 30; (3*3*3 + 1) * 5 = 140.
  EXPECT_EQ(model.output_shape(), (Shape{kNone, 30, 30, 5}));
  EXPECT_EQ(model.count_params(), 140);
  // Its errors are the lines reader's, located in the file.
  const std::string bad = write("Conv2D(5, 3)\nFoo(1)\n", "bad.txt");
  EXPECT_EQ(error_loading(bad).rfind(bad + ":", 0), 0u) << error_loading(bad);
  EXPECT_EQ(error_loading(bad).find("invalid JSON"), std::string::npos) << error_loading(bad);
}

TEST_F(ModelFile, Stdin) {
  std::istringstream in(kConvJson);
  std::streambuf* saved = std::cin.rdbuf(in.rdbuf());
  std::string error;
  std::size_t layers = 0;
  try {
    layers = load_model("-").layers().size();
  } catch (const Error& e) {
    error = e.located();
  }
  std::istringstream bad("{\"class_name\": 1}");
  std::cin.rdbuf(bad.rdbuf());
  std::string bad_error;
  try {
    load_model("-");
  } catch (const Error& e) {
    bad_error = e.located();
  }
  std::cin.rdbuf(saved);
  EXPECT_EQ(error, "");
  EXPECT_EQ(layers, 1u);
  EXPECT_EQ(bad_error,
            "<stdin>:1:2: \"class_name\" of the model must be a non-empty string, got "
            "a number");
}

TEST_F(ModelFile, MissingFile) {
  const std::string path = (dir_ / "nope.json").string();
  EXPECT_EQ(error_loading(path), path + ": no such file");
}

TEST_F(ModelFile, Directory) {
  EXPECT_EQ(error_loading(dir_.string()), dir_.string() + ": is a directory, not a model file");
}

TEST_F(ModelFile, Unreadable) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  const std::string path = write(kConvJson);
  fs::permissions(path, fs::perms::none);
  EXPECT_EQ(error_loading(path), path + ": cannot open: Permission denied");
}

TEST_F(ModelFile, TooLarge) {
  const std::string path = write("{");
  fs::resize_file(path, (64u << 20) + 1);  // one byte over 64 MiB (sparse)
  EXPECT_EQ(error_loading(path), path +
                                     ": the file is 67108865 bytes, larger than the 64 MiB a "
                                     "model file may have");
}

TEST_F(ModelFile, Hdf5) {
  // The HDF5 signature, at the start or after a 512-byte user block, sends
  // the file to the HDF5 reader, which names what HDF5 found wrong.
  const std::string signature("\x89HDF\r\n\x1a\n", 8);
  const std::string expected = ": not a valid HDF5 file: bad byte number in an address";
  std::string path = write(signature + std::string(100, '\0'), "model.h5");
  EXPECT_EQ(error_loading(path), path + expected);
  path = write(std::string(512, ' ') + signature + std::string(100, '\0'), "user_block.h5");
  EXPECT_EQ(error_loading(path), path + expected);
  // From standard input only text models are read.
  const std::string h5 = signature + std::string(100, '\0');
  std::istringstream in(h5);
  std::streambuf* saved = std::cin.rdbuf(in.rdbuf());
  const std::string from_stdin = error_loading("-");
  std::cin.rdbuf(saved);
  EXPECT_EQ(from_stdin,
            "<stdin>: looks like a Keras .h5 or .keras file: give its path instead of standard "
            "input");
}

TEST_F(ModelFile, KerasZip) {
  // A zip goes to the .keras reader, whatever its name.
  const std::string path =
      write(std::string("PK\x03\x04\x14\0\0\0", 8) + "metadata.json", "model.txt");
  EXPECT_EQ(error_loading(path), path + ": not a valid .keras (zip) archive: Not a zip archive");
}

TEST_F(ModelFile, BinaryAndNonUtf8) {
  std::string path = write(std::string("{\"a\":\n  \0", 9));
  // The NUL is on line 2, column 3.
  EXPECT_EQ(error_loading(path), path +
                                     ":2:3: looks like a binary file (it contains a NUL byte); "
                                     "a model file is Keras JSON or Keras lines text");
  path = write("Conv2D(\xff)");  // column 8
  EXPECT_EQ(error_loading(path), path +
                                     ":1:8: not UTF-8 text (byte 0xFF); a model file is Keras "
                                     "JSON or Keras lines text");
  path = write("ab\xC0\xAF");  // an overlong '/', column 3
  EXPECT_EQ(error_loading(path), path +
                                     ":1:3: not UTF-8 text (byte 0xC0); a model file is Keras "
                                     "JSON or Keras lines text");
  path = write("\xED\xA0\x80");  // a UTF-16 surrogate
  EXPECT_EQ(error_loading(path), path +
                                     ":1:1: not UTF-8 text (byte 0xED); a model file is Keras "
                                     "JSON or Keras lines text");
  path = write("x\xE2\x82");  // truncated sequence, column 2
  EXPECT_EQ(error_loading(path), path +
                                     ":1:2: not UTF-8 text (byte 0xE2); a model file is Keras "
                                     "JSON or Keras lines text");
}

TEST_F(ModelFile, Empty) {
  std::string path = write("");
  EXPECT_EQ(error_loading(path), path + ":1:1: the model file is empty");
  path = write(" \n\t\n");
  EXPECT_EQ(error_loading(path), path + ":1:1: the model file is empty");
}

}  // namespace
}  // namespace stride
