// A strict little XML reader for the SVG tests: it accepts only well-formed
// documents (one root, balanced tags, quoted attributes, no duplicate
// attributes, only the five predefined entities and character references,
// no raw '<' or '&' in text) and returns the element tree, so tests can both
// check well-formedness and look elements up.
#pragma once

#include <cctype>
#include <cstdlib>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace stride::test {

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::string text;  // the character data directly inside, entities decoded
  std::vector<XmlElement> children;

  std::string attr(const std::string& key) const {
    auto it = attrs.find(key);
    return it == attrs.end() ? std::string() : it->second;
  }
  double number(const std::string& key) const { return std::strtod(attr(key).c_str(), nullptr); }
  bool has_class(const std::string& c) const { return attr("class") == c; }
  // Every descendant (and this element) for which `match` holds, in document order.
  std::vector<const XmlElement*> find_all(
      const std::function<bool(const XmlElement&)>& match) const {
    std::vector<const XmlElement*> found;
    collect(match, found);
    return found;
  }
  // All text below this element, concatenated.
  std::string all_text() const {
    std::string out = text;
    for (const XmlElement& c : children) out += c.all_text();
    return out;
  }

 private:
  void collect(const std::function<bool(const XmlElement&)>& match,
               std::vector<const XmlElement*>& found) const {
    if (match(*this)) found.push_back(this);
    for (const XmlElement& c : children) c.collect(match, found);
  }
};

class XmlParser {
 public:
  explicit XmlParser(std::string_view doc) : doc_(doc) {}

  XmlElement parse() {
    if (doc_.substr(0, 5) == "<?xml") {
      const std::size_t end = doc_.find("?>");
      if (end == std::string_view::npos) fail("unterminated XML declaration");
      pos_ = end + 2;
    }
    skip_misc();
    XmlElement root = element();
    skip_misc();
    if (pos_ != doc_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("malformed XML at byte " + std::to_string(pos_) + ": " + what);
  }
  bool starts(std::string_view s) const { return doc_.substr(pos_, s.size()) == s; }
  void skip_space() {
    while (pos_ < doc_.size() &&
           std::string_view(" \t\r\n").find(doc_[pos_]) != std::string_view::npos)
      ++pos_;
  }
  void skip_misc() {  // whitespace and comments around the root
    for (skip_space(); starts("<!--"); skip_space()) {
      const std::size_t end = doc_.find("-->", pos_);
      if (end == std::string_view::npos) fail("unterminated comment");
      pos_ = end + 3;
    }
  }
  static bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
           c == '.';
  }
  std::string name() {
    const std::size_t start = pos_;
    while (pos_ < doc_.size() && name_char(doc_[pos_])) ++pos_;
    if (pos_ == start) fail("expected a name");
    return std::string(doc_.substr(start, pos_ - start));
  }
  // Character data up to `stop`, entities decoded.
  std::string chars(char stop) {
    std::string out;
    while (pos_ < doc_.size() && doc_[pos_] != stop) {
      const char c = doc_[pos_];
      if (c == '<') fail("'<' inside character data");
      if (c != '&') {
        out += c;
        ++pos_;
        continue;
      }
      const std::size_t semi = doc_.find(';', pos_);
      if (semi == std::string_view::npos) fail("unterminated entity");
      const std::string_view entity = doc_.substr(pos_ + 1, semi - pos_ - 1);
      static const std::map<std::string_view, char> known = {
          {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
      if (auto it = known.find(entity); it != known.end()) {
        out += it->second;
      } else if (entity.size() > 1 && entity[0] == '#') {
        out += "?";  // a character reference: the tests never need its value
      } else {
        fail("unknown entity &" + std::string(entity) + ";");
      }
      pos_ = semi + 1;
    }
    return out;
  }
  XmlElement element() {
    if (!starts("<")) fail("expected '<'");
    ++pos_;
    XmlElement e;
    e.name = name();
    while (true) {
      skip_space();
      if (starts("/>")) {
        pos_ += 2;
        return e;
      }
      if (starts(">")) {
        ++pos_;
        break;
      }
      const std::string key = name();
      skip_space();
      if (!starts("=")) fail("attribute " + key + " without '='");
      ++pos_;
      skip_space();
      if (!starts("\"") && !starts("'")) fail("unquoted attribute " + key);
      const char quote = doc_[pos_++];
      std::string value = chars(quote);
      if (pos_ >= doc_.size()) fail("unterminated attribute " + key);
      ++pos_;
      if (!e.attrs.emplace(key, value).second) fail("duplicate attribute " + key);
    }
    while (true) {
      e.text += chars('<');
      if (pos_ >= doc_.size()) fail("unclosed element <" + e.name + ">");
      if (starts("</")) {
        pos_ += 2;
        if (name() != e.name) fail("mismatched end tag for <" + e.name + ">");
        skip_space();
        if (!starts(">")) fail("expected '>'");
        ++pos_;
        return e;
      }
      if (starts("<!--")) {
        skip_misc();
        continue;
      }
      e.children.push_back(element());
    }
  }

  std::string_view doc_;
  std::size_t pos_ = 0;
};

inline XmlElement parse_xml(std::string_view doc) {
  return XmlParser(doc).parse();
}

// The numbers in a path's data ("M 1 2 L 3 4 Z" -> {1, 2, 3, 4}).
inline std::vector<double> path_numbers(const std::string& d) {
  std::vector<double> values;
  const char* p = d.c_str();
  while (*p) {
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p) {
      ++p;
      continue;
    }
    values.push_back(v);
    p = end;
  }
  return values;
}

}  // namespace stride::test
