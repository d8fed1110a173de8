#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>

namespace stride::cli {

namespace {

// Keras's _format_time: " 12ms/step", " 3s/step", " 850us/step".
std::string format_step_time(double seconds) {
  if (seconds >= 1 || seconds == 0) return fmt::format(" {:.0f}s/step", seconds);
  if (seconds >= 1e-3) return fmt::format(" {:.0f}ms/step", seconds * 1e3);
  return fmt::format(" {:.0f}us/step", seconds * 1e6);
}

std::string format_eta(double seconds) {
  const long s = static_cast<long>(seconds);
  if (seconds > 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s % 3600) / 60, s % 60);
  if (seconds > 60) return fmt::format("{}:{:02d}", s / 60, s % 60);
  return fmt::format("{}s", s);
}

int digits(Dim n) {
  return n > 0 ? static_cast<int>(std::log10(static_cast<double>(n))) + 1 : 1;
}

// What is written for "Epoch 3/5".
std::string epoch_header(const Progress& p) {
  return fmt::format("Epoch {}/{}", p.epoch + 1, p.epochs);
}

}  // namespace

std::string format_metric(double value) {
  return std::abs(value) > 1e-3 ? fmt::format("{:.4f}", value) : fmt::format("{:.4e}", value);
}

std::string format_logs(const Logs& logs) {
  std::string out;
  for (const auto& [name, value] : logs)
    out += fmt::format("{}{}: {}", out.empty() ? "" : " - ", name, format_metric(value));
  return out;
}

ProgressPrinter::ProgressPrinter(std::FILE* out, bool dynamic, bool color)
    : out_(out), dynamic_(dynamic), color_(color) {}

ProgressPrinter ProgressPrinter::for_stdout() {
  const bool tty = isatty(STDOUT_FILENO) != 0;
  const char* no_color = std::getenv("NO_COLOR");
  return ProgressPrinter(stdout, tty, tty && !(no_color && *no_color));
}

std::string ProgressPrinter::style(const char* code, const std::string& text) const {
  return color_ ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : text;
}

void ProgressPrinter::epoch_begin(const Progress& p) {
  last_draw_ = -1;
  first_step_seconds_ = -1;
  previous_width_ = 0;
  if (dynamic_) {
    std::fprintf(out_, "%s\n", epoch_header(p).c_str());
    std::fflush(out_);
  }
}

void ProgressPrinter::batch_end(const Progress& p) {
  if (p.step == 1) first_step_seconds_ = p.seconds;
  // Keras redraws at most every 50 ms.
  if (!dynamic_ || (last_draw_ >= 0 && p.seconds - last_draw_ < 0.05)) return;
  draw(p, false);
}

void ProgressPrinter::evaluate_batch_end(const Progress& p) {
  if (p.step == 1) {
    first_step_seconds_ = p.seconds;
    last_draw_ = -1;
    previous_width_ = 0;
  }
  if (!dynamic_) return;
  if (p.step == p.steps)
    draw(p, true);
  else if (last_draw_ < 0 || p.seconds - last_draw_ >= 0.05)
    draw(p, false);
}

void ProgressPrinter::epoch_end(const Progress& p) {
  if (dynamic_) {
    draw(p, true);
    return;
  }
  // Not a terminal: Keras's verbose=2 line, with the epoch in front.
  const double per_step = p.steps ? p.seconds / static_cast<double>(p.steps) : 0;
  std::string line = fmt::format("{} - {}/{} - {:.0f}s -{}", epoch_header(p), p.step, p.steps,
                                 p.seconds, format_step_time(per_step));
  if (!p.logs.empty()) line += " - " + format_logs(p.logs);
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void ProgressPrinter::draw(const Progress& p, bool finished) {
  constexpr Dim kBarWidth = 20;
  last_draw_ = p.seconds;
  // Keras leaves the (non-representative) first step out once there are more.
  double per_step = 0;
  if (p.step > 1 && first_step_seconds_ >= 0)
    per_step = (p.seconds - first_step_seconds_) / static_cast<double>(p.step - 1);
  else if (p.step > 0)
    per_step = p.seconds / static_cast<double>(p.step);

  const std::string count = fmt::format("{:>{}}/{}", p.step, digits(p.steps), p.steps);
  const Dim done = p.steps ? kBarWidth * p.step / p.steps : 0;
  std::string bar_done, bar_left;
  for (Dim i = 0; i < kBarWidth; ++i) (i < done ? bar_done : bar_left) += "\u2501";  // ━
  const std::string time = finished ? fmt::format("{:.0f}s", p.seconds)
                                    : format_eta(per_step * static_cast<double>(p.steps - p.step));
  std::string info = format_step_time(per_step);
  if (!p.logs.empty()) info += " - " + format_logs(p.logs);

  std::string line = "\r" + style("1", count) + " ";
  if (done > 0) line += style("32", bar_done);
  if (done < kBarWidth) line += style("37", bar_left);
  line += " " + style("1", time) + info;
  info = " " + time + info;  // the visible text, for the width
  // Blank out what is left of a longer previous line.
  const std::size_t width = count.size() + 1 + static_cast<std::size_t>(kBarWidth) + info.size();
  if (previous_width_ > width) line += std::string(previous_width_ - width, ' ');
  previous_width_ = width;
  if (finished) line += "\n";
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
}

}  // namespace stride::cli
