// The SVG pictures open in a browser: headless Chromium (Debian's chromium
// package, which scripts/test.sh installs) renders each kind to a PNG at the
// size the SVG declares; the PNG is decoded with libpng and must have that
// size and a drawing on it: several colours, a fair share of non-white
// pixels, spread over most of the picture.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <tuple>

#include "cli/cli_runner.hpp"
#include "model/model_fixtures.hpp"
#include "plot/xml_check.hpp"
#include "stride/plot.hpp"

namespace stride::test {
namespace {

namespace fs = std::filesystem;

std::string chromium_path() {
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(path)) return path;
  return "";
}

// What a rendering shows.
struct Rendered {
  Image image;
  std::size_t colours = 0;
  double inked = 0;  // share of pixels that are not white
  int ink_left = 0, ink_right = 0, ink_top = 0, ink_bottom = 0;  // their bounding box
};

// Renders `svg` with Chromium at its declared size; fails the test (never
// skips it) when Chromium is missing or fails.
Rendered render(const std::string& svg, int& width, int& height) {
  const std::string chromium = chromium_path();
  if (chromium.empty()) {
    ADD_FAILURE() << "chromium is not installed: run 'apt-get install chromium' "
                     "(scripts/test.sh installs it); this test renders the SVG pictures with it";
    return {};
  }
  const XmlElement root = parse_xml(svg);
  width = static_cast<int>(root.number("width"));
  height = static_cast<int>(root.number("height"));
  TempDir dir;
  const fs::path svg_path = dir.path() / "picture.svg";
  const fs::path png_path = dir.path() / "picture.png";
  write_text(svg_path, svg);
  const std::string command =
      "timeout 120 " + shell_quote(chromium) +
      " --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run"
      " --user-data-dir=" +
      shell_quote((dir.path() / "profile").string()) +
      " --screenshot=" + shell_quote(png_path.string()) +
      " --window-size=" + std::to_string(width) + "," + std::to_string(height) + " " +
      shell_quote("file://" + svg_path.string()) + " >" +
      shell_quote((dir.path() / "log").string()) + " 2>&1";
  const int status = std::system(command.c_str());
  if (status != 0 || !fs::exists(png_path)) {
    ADD_FAILURE() << "chromium failed (status " << status << "):\n"
                  << read_text(dir.path() / "log");
    return {};
  }
  Rendered r;
  r.image = read_png(png_path.string(), 3);
  std::set<std::tuple<int, int, int>> colours;
  std::size_t inked = 0;
  r.ink_left = r.image.width, r.ink_top = r.image.height;
  for (int y = 0; y < r.image.height; ++y)
    for (int x = 0; x < r.image.width; ++x) {
      const int red = r.image.at(x, y, 0), green = r.image.at(x, y, 1), blue = r.image.at(x, y, 2);
      colours.emplace(red, green, blue);
      if (red + green + blue < 3 * 250) {
        ++inked;
        r.ink_left = std::min(r.ink_left, x), r.ink_right = std::max(r.ink_right, x);
        r.ink_top = std::min(r.ink_top, y), r.ink_bottom = std::max(r.ink_bottom, y);
      }
    }
  r.colours = colours.size();
  r.inked = static_cast<double>(inked) / (static_cast<double>(r.image.width) * r.image.height);
  return r;
}

void expect_drawn(const std::string& svg, double min_inked) {
  int width = 0, height = 0;
  const Rendered r = render(svg, width, height);
  if (r.image.pixels.empty()) return;  // already failed
  EXPECT_EQ(r.image.width, width);
  EXPECT_EQ(r.image.height, height);
  EXPECT_GE(r.colours, 8u);  // text antialiasing alone brings many
  EXPECT_GT(r.inked, min_inked);
  // The drawing fills the picture: sized to its content, not lost in a corner.
  EXPECT_LT(r.ink_left, width * 0.2);
  EXPECT_GT(r.ink_right, width * 0.8);
  EXPECT_LT(r.ink_top, height * 0.2);
  EXPECT_GT(r.ink_bottom, height * 0.8);
}

TEST(SvgRender, ModelPictureOpensInChromium) {
  expect_drawn(plot_model_svg(mnist_convnet()), 0.08);
}

TEST(SvgRender, VolumesPictureOpensInChromium) {
  expect_drawn(plot_volumes_svg(mnist_convnet()), 0.08);
}

TEST(SvgRender, HistoryPictureOpensInChromium) {
  const HistoryTable history = parse_history_csv(
      "epoch,accuracy,loss,val_accuracy,val_loss\n"
      "0,0.70,0.80,0.78,0.60\n1,0.82,0.50,0.84,0.45\n2,0.86,0.40,0.86,0.40\n"
      "3,0.88,0.34,0.87,0.37\n",
      "h.csv");
  expect_drawn(plot_history_svg(history), 0.03);
}

}  // namespace
}  // namespace stride::test
