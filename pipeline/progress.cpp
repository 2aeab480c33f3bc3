#include "leadpipe/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace leadpipe {

progress_line::progress_line(progress_mode mode)
    : enabled_(mode == progress_mode::on ||
               (mode == progress_mode::automatic && ::isatty(STDERR_FILENO) == 1)) {}

void progress_line::update(const std::string& text, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && drawn_ && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  drawn_ = true;
  std::fputs(fmt::format("\r\x1b[2K{}", text).c_str(), stderr);
  std::fflush(stderr);
}

void progress_line::clear() {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\x1b[2K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

std::string progress_line::clock(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "?";
  const auto s = static_cast<std::uint64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string progress_line::throughput(std::uint64_t done, std::optional<std::uint64_t> total,
                                      std::chrono::steady_clock::duration elapsed) {
  const double secs = std::chrono::duration<double>(elapsed).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  std::string out = fmt::format("{:.1f} MB/s", rate / 1e6);
  if (total && *total > 0) {
    const double frac = static_cast<double>(done) / static_cast<double>(*total);
    out += fmt::format(" | {:.0f}%", 100.0 * frac);
    if (rate > 0) {
      out += " | eta " + clock(static_cast<double>(*total - std::min(done, *total)) / rate);
    }
  }
  return out;
}

}  // namespace leadpipe
