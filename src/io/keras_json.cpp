// Keras JSON reader: model.to_json() of a Sequential model in the Keras 2
// legacy form (<= 2.12), the Keras 2.13-2.15 serialization and Keras 3
// (reference §6.1, §6.2). Layers are bound by the same binder as Keras lines,
// so both forms give the same model.
//
// nlohmann's DOM keeps no positions, so the document is parsed through a SAX
// handler that builds the DOM and records where each value and key starts;
// every error then reads FILE:LINE:COL.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>
#include <unordered_map>

#include "stride/model.hpp"

namespace stride {

namespace {

// Deep enough for any real model (a layer's initializer config sits at depth
// 7), shallow enough that recursive walks over the DOM cannot overflow.
constexpr std::size_t kMaxDepth = 64;
// Positions are kept down to layer arguments (/config/layers/N/config/KEY)
// and the elements of their values.
constexpr std::size_t kMaxRecordedDepth = 7;

std::string pointer_escape(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string child(const std::string& pointer, std::string_view key) {
  return pointer + "/" + pointer_escape(key);
}
std::string child(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

// Byte offset -> 1-based line and column.
class LineMap {
 public:
  LineMap(std::string_view text, std::string file) : file_(std::move(file)) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
  SourceLoc at(std::size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
    const std::size_t col = offset - line_starts_[line - 1] + 1;
    return SourceLoc{file_, static_cast<int>(std::min<std::size_t>(line, INT32_MAX)),
                     static_cast<int>(std::min<std::size_t>(col, INT32_MAX))};
  }

 private:
  std::string file_;
  std::vector<std::size_t> line_starts_;
};

// An input iterator over the text that publishes how far nlohmann's lexer has
// read: when the parser reports a token, `*tip` is just past its last byte
// (numbers excepted: the lexer reads one byte ahead of them).
struct TrackingIterator {
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  const char* p = nullptr;
  const char** tip = nullptr;

  reference operator*() const { return *p; }
  TrackingIterator& operator++() {
    *tip = ++p;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator& o) const { return p == o.p; }
  bool operator!=(const TrackingIterator& o) const { return p != o.p; }
};

// "[json.exception.parse_error.101] parse error at line 1, column 9: syntax
// error while parsing value - unexpected end of input; expected ..." ->
// "unexpected end of input; expected ...".
std::string rephrase_json_error(std::string message) {
  if (!message.empty() && message[0] == '[') {
    const auto p = message.find("] ");
    if (p != std::string::npos) message.erase(0, p + 2);
  }
  if (message.rfind("parse error", 0) == 0) {
    const auto p = message.find(": ");
    if (p != std::string::npos) message.erase(0, p + 2);
  }
  if (message.rfind("syntax error", 0) == 0) {
    const auto p = message.find(" - ");
    if (p != std::string::npos) message.erase(0, p + 3);
  }
  // The lexer quotes what it read of the token it stopped in, which may be
  // long and even include earlier tokens; the location says where it is.
  const auto p = message.find("; last read: '");
  if (p != std::string::npos) {
    const auto end = message.rfind("'; expected ");
    message.erase(p, end == std::string::npos || end < p ? std::string::npos : end + 1 - p);
  }
  return message;
}

// Builds the DOM (through nlohmann's own DOM builder) and records, per JSON
// pointer, the byte offset where each value and each object key starts.
class PositionRecorder {
 public:
  using Dom = nlohmann::detail::json_sax_dom_parser<Json>;
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  PositionRecorder(Json& root, std::string_view text, const char* const* tip)
      : dom_(root, /*allow_exceptions=*/false), text_(text), tip_(tip) {
    // nlohmann skips a UTF-8 byte order mark.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") end_ = 3;
  }

  bool null() { return scalar(/*is_number=*/false) && dom_.null(); }
  bool boolean(bool v) { return scalar(false) && dom_.boolean(v); }
  bool number_integer(number_integer_t v) { return scalar(true) && dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return scalar(true) && dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) {
    return scalar(true) && dom_.number_float(v, s);
  }
  bool string(string_t& v) { return scalar(false) && dom_.string(v); }
  bool binary(binary_t& v) { return scalar(false) && dom_.binary(v); }

  bool start_object(std::size_t n) { return open(/*array=*/false) && dom_.start_object(n); }
  bool start_array(std::size_t n) { return open(/*array=*/true) && dom_.start_array(n); }
  bool end_object() { return close() && dom_.end_object(); }
  bool end_array() { return close() && dom_.end_array(); }

  bool key(string_t& k) {
    const std::size_t start = token_start();
    end_ = tip_offset();
    Frame& f = frames_.back();
    f.key = k;
    if (frames_.size() <= kMaxRecordedDepth) keys_[child(f.pointer, k)] = start;
    return dom_.key(k);
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception& e) {
    // The rejected token starts where the last accepted one ended (the end
    // of the text for a truncated document).
    error_offset_ = std::min(token_start(), text_.size());
    error_ = rephrase_json_error(e.what());
    return false;
  }

  const std::string& error() const { return error_; }
  std::size_t error_offset() const { return error_offset_; }
  bool too_deep() const { return too_deep_; }
  std::unordered_map<std::string, std::size_t> take_values() { return std::move(values_); }
  std::unordered_map<std::string, std::size_t> take_keys() { return std::move(keys_); }

 private:
  struct Frame {
    std::string pointer;
    bool array = false;
    std::size_t index = 0;
    std::string key;
  };

  std::size_t tip_offset() const { return static_cast<std::size_t>(*tip_ - text_.data()); }

  // Between two reported tokens a valid document has whitespace and at most
  // one separator (',' or ':'). In an invalid one this lands on the token
  // the parser rejected.
  std::size_t token_start() const {
    std::size_t i = skip_whitespace(end_);
    if (i < text_.size() && (text_[i] == ',' || text_[i] == ':')) i = skip_whitespace(i + 1);
    return i;
  }
  std::size_t skip_whitespace(std::size_t i) const {
    while (i < text_.size() && std::string_view(" \t\n\r").find(text_[i]) != std::string_view::npos)
      ++i;
    return i;
  }

  // Records where the value starting now begins; returns its pointer.
  std::string begin_value(bool is_number, bool one_byte) {
    const std::size_t start = token_start();
    if (is_number) {
      end_ = start;
      while (end_ < text_.size() &&
             std::string_view("0123456789+-.eE").find(text_[end_]) != std::string_view::npos)
        ++end_;
    } else {
      end_ = one_byte ? start + 1 : tip_offset();
    }
    std::string pointer;
    if (!frames_.empty()) {
      Frame& f = frames_.back();
      if (frames_.size() <= kMaxRecordedDepth)
        pointer = f.array ? child(f.pointer, f.index) : child(f.pointer, f.key);
      if (f.array) ++f.index;
    }
    if (frames_.size() <= kMaxRecordedDepth) values_[pointer] = start;
    last_start_ = start;
    return pointer;
  }

  bool scalar(bool is_number) {
    begin_value(is_number, false);
    return true;
  }

  bool open(bool array) {
    std::string pointer = begin_value(false, true);
    if (frames_.size() >= kMaxDepth) {
      too_deep_ = true;
      error_offset_ = last_start_;
      return false;
    }
    frames_.push_back(Frame{std::move(pointer), array, 0, {}});
    return true;
  }

  bool close() {
    end_ = token_start() + 1;
    frames_.pop_back();
    return true;
  }

  Dom dom_;
  std::string_view text_;
  const char* const* tip_;
  std::size_t end_ = 0;  // just past the last reported token
  std::size_t last_start_ = 0;
  std::vector<Frame> frames_;
  std::unordered_map<std::string, std::size_t> values_, keys_;
  std::string error_;
  std::size_t error_offset_ = 0;
  bool too_deep_ = false;
};

// Keys of real Keras layer configs that change no shape or parameter count
// but that a layer's signature may not list. Anything else unknown still
// reaches the binder and is an error there.
bool is_harmless_metadata(const std::string& key, const Json& value) {
  // BatchNormalization (Keras 3): cross-replica statistics only.
  if (key == "synchronized") return value.is_boolean();
  // Keras 3 emits it for any layer that has one; it adds a loss, no weights.
  if (key == "activity_regularizer") return true;
  // Input-only flags that may appear on other layers' configs.
  if (key == "sparse" || key == "ragged" || key == "optional")
    return value.is_null() || (value.is_boolean() && !value.get<bool>());
  // LoRA and quantization change the weights when set; unset they do nothing.
  if (key == "lora_rank" || key == "lora_alpha" || key == "quantization_config")
    return value.is_null();
  return false;
}

bool in_signature(const LayerType& type, const std::string& key) {
  return std::any_of(type.signature.begin(), type.signature.end(),
                     [&](const Param& p) { return p.name == key; });
}

bool is_model_class(const std::string& cls) {
  return cls == "Sequential" || cls == "Functional" || cls == "Model";
}

class Reader {
 public:
  Reader(std::string_view text, const std::string& file) : text_(text), lines_(text, file) {}

  Sequential read() {
    const Json root = parse();
    if (!root.is_object())
      fail("", fmt::format("expected a JSON object with \"class_name\" and \"config\" (a Keras "
                           "model's to_json()), got {}",
                           json_type(root)));
    const std::string cls = required_string(root, "", "class_name", "the model");
    if (cls == "Functional" || cls == "Model")
      fail("/class_name", fmt::format("only Sequential models are supported; this is a "
                                      "functional model (class_name \"{}\")",
                                      cls));
    if (cls != "Sequential")
      fail("/class_name", fmt::format("expected a Sequential model, got class_name \"{}\"", cls));
    const Json& config = required(root, "", "config", "the model");

    std::string name = "sequential";
    std::string layers_pointer = "/config";
    const Json* layers = &config;  // Keras <= 2.2 wrote the layer list as the config
    const Json* build_input_shape = nullptr;
    if (config.is_object()) {
      if (config.contains("name")) {
        const Json& n = config["name"];
        if (!n.is_string() || n.get_ref<const std::string&>().empty())
          fail(
              "/config/name",
              fmt::format("the model's \"name\" must be a non-empty string, got {}", json_type(n)));
        name = n.get<std::string>();
      }
      layers = &required(config, "/config", "layers", "the model's config");
      layers_pointer = "/config/layers";
      if (config.contains("build_input_shape") && !config["build_input_shape"].is_null())
        build_input_shape = &config["build_input_shape"];
    } else if (!config.is_array()) {
      fail("/config",
           fmt::format("the model's \"config\" must be an object, got {}", json_type(config)));
    }
    if (!layers->is_array())
      fail(layers_pointer,
           fmt::format("\"layers\" must be a list of layers, got {}", json_type(*layers)));
    if (layers->empty()) fail(layers_pointer, "the model has no layers");

    Sequential model(name);
    std::set<std::string> names;
    for (std::size_t i = 0; i < layers->size(); ++i) {
      const std::string pointer = child(layers_pointer, i);
      std::unique_ptr<Layer> layer = read_layer((*layers)[i], pointer, i);
      if (!layer->name().empty() && !names.insert(layer->name()).second)
        fail(child(pointer, "config") + "/name",
             fmt::format("All layers added to a Sequential model should have unique names. Name "
                         "\"{}\" is already the name of a layer in this model.",
                         layer->name()));
      model.add(std::move(layer));
    }
    // A Keras 2 model built with model.build(shape) has no InputLayer.
    if (!model.has_input() && build_input_shape)
      set_build_input_shape(model, *build_input_shape, "/config/build_input_shape");
    return model;
  }

 private:
  Json parse() {
    Json root;
    const char* tip = text_.data();
    PositionRecorder recorder(root, text_, &tip);
    TrackingIterator first{text_.data(), &tip}, last{text_.data() + text_.size(), &tip};
    const bool ok = Json::sax_parse(first, last, &recorder);
    if (recorder.too_deep())
      throw Error(lines_.at(recorder.error_offset()),
                  fmt::format("invalid JSON: nested deeper than {} levels", kMaxDepth));
    if (!ok || !recorder.error().empty())
      throw Error(lines_.at(recorder.error_offset()), "invalid JSON: " + recorder.error());
    values_ = recorder.take_values();
    keys_ = recorder.take_keys();
    return root;
  }

  // Where the value at `pointer` (or its key, when it is an object member)
  // was written; the nearest recorded ancestor otherwise.
  SourceLoc loc(std::string pointer, bool prefer_key = true) const {
    for (;;) {
      if (prefer_key) {
        auto k = keys_.find(pointer);
        if (k != keys_.end()) return lines_.at(k->second);
      }
      auto v = values_.find(pointer);
      if (v != values_.end()) return lines_.at(v->second);
      if (pointer.empty()) return lines_.at(0);
      pointer.erase(pointer.rfind('/'));
    }
  }
  SourceLoc value_loc(const std::string& pointer) const { return loc(pointer, false); }

  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const {
    throw Error(loc(pointer), message);
  }

  static std::string json_type(const Json& v) {
    switch (v.type()) {
      case Json::value_t::null:
        return "null";
      case Json::value_t::boolean:
        return "a boolean";
      case Json::value_t::number_integer:
      case Json::value_t::number_unsigned:
      case Json::value_t::number_float:
        return "a number";
      case Json::value_t::string:
        return "a string";
      case Json::value_t::array:
        return "a list";
      case Json::value_t::object:
        return "an object";
      default:
        return "a value";
    }
  }

  const Json& required(const Json& object, const std::string& pointer, const std::string& key,
                       const std::string& what) const {
    auto it = object.find(key);
    if (it == object.end()) fail(pointer, fmt::format("{} has no \"{}\"", what, key));
    return *it;
  }

  std::string required_string(const Json& object, const std::string& pointer,
                              const std::string& key, const std::string& what) const {
    const Json& v = required(object, pointer, key, what);
    if (!v.is_string() || v.get_ref<const std::string&>().empty())
      fail(child(pointer, key),
           fmt::format("\"{}\" of {} must be a non-empty string, got {}", key, what, json_type(v)));
    return v.get<std::string>();
  }

  std::unique_ptr<Layer> read_layer(const Json& entry, const std::string& pointer,
                                    std::size_t index) const {
    const std::string what = fmt::format("layer {} of the model", index);
    if (!entry.is_object())
      fail(pointer, fmt::format("{} must be an object with \"class_name\" and \"config\", got {}",
                                what, json_type(entry)));
    const std::string cls = required_string(entry, pointer, "class_name", what);
    if (is_model_class(cls))
      fail(child(pointer, "class_name"),
           fmt::format("{} is a nested {} model; nested models are not supported", what, cls));
    const Json& config = required(entry, pointer, "config", what);
    const std::string config_pointer = child(pointer, "config");
    if (!config.is_object())
      fail(config_pointer,
           fmt::format("{}: \"config\" must be an object, got {}", cls, json_type(config)));

    LayerCall call;
    call.class_name = cls;
    call.loc = value_loc(child(pointer, "class_name"));
    // Unknown layers fall through to the binder, which names them.
    const LayerType* type = LayerRegistry::builtin().find(cls);
    for (const auto& [key, value] : config.items()) {
      const std::string key_pointer = child(config_pointer, key);
      const bool known = !type || in_signature(*type, key) || is_base_layer_keyword(key);
      if (!known && is_harmless_metadata(key, value)) continue;
      if (!known && (key == "lora_rank" || key == "quantization_config"))
        fail(key_pointer, fmt::format("{}: `{}={}` is not supported: it changes the layer's "
                                      "weights",
                                      cls, key, python_repr(value)));
      call.args.push_back(Arg{key, key == "dtype" ? dtype_name(value) : value, loc(key_pointer)});
    }
    // Each argument carries its own position, so errors point at the key.
    return make_layer(call);
  }

  // Keras 3.4+ writes the dtype as a DTypePolicy object, Keras 2 mixed
  // precision as a Policy object: keep the policy name, as Keras 2 writes it.
  static Json dtype_name(const Json& dtype) {
    if (dtype.is_object()) {
      auto c = dtype.find("config");
      if (c != dtype.end() && c->is_object()) {
        auto n = c->find("name");
        if (n != c->end() && n->is_string()) return *n;
      }
    }
    return dtype;
  }

  void set_build_input_shape(Sequential& model, const Json& shape,
                             const std::string& pointer) const {
    auto bad = [&] {
      fail(pointer, fmt::format("\"build_input_shape\" must be a list of positive integers or "
                                "null, batch first; got {}",
                                python_repr(shape)));
    };
    if (!shape.is_array() || shape.size() < 2) bad();
    std::vector<Dim> dims;
    for (const Json& d : shape) {
      if (d.is_null()) {
        dims.push_back(kNone);
      } else if (d.is_number_integer() && !d.is_number_unsigned() && d.get<Dim>() > 0) {
        dims.push_back(d.get<Dim>());
      } else if (d.is_number_unsigned() && d.get<std::uint64_t>() <= std::uint64_t(INT64_MAX) &&
                 d.get<std::uint64_t>() > 0) {
        dims.push_back(static_cast<Dim>(d.get<std::uint64_t>()));
      } else {
        bad();
      }
    }
    model.input(std::vector<Dim>(dims.begin() + 1, dims.end()), dims[0]);
  }

  std::string_view text_;
  LineMap lines_;
  std::unordered_map<std::string, std::size_t> values_, keys_;
};

}  // namespace

Sequential read_keras_json(std::string_view text, const std::string& file) {
  return Reader(text, file).read();
}

}  // namespace stride
