#pragma once
// A one-line progress display on standard error, redrawn at most a few times a second.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace leadpipe {

/// Whether to draw progress: auto draws only when standard error is a terminal.
enum class progress_mode { automatic, on, off };

/// Draws "rows 1,204,000 | 412.3 MB/s | 37% | eta 0:12" style lines with \r. Not thread-safe.
class progress_line {
 public:
  explicit progress_line(progress_mode mode);
  [[nodiscard]] bool enabled() const { return enabled_; }
  /// Redraws with `text` when enough time has passed since the last draw (or `force`).
  void update(const std::string& text, bool force = false);
  /// Clears the line (call before printing anything else to standard error).
  void clear();
  /// "12.3 MB/s | 37% | eta 0:12" from bytes done, total when known, and elapsed time.
  [[nodiscard]] static std::string throughput(std::uint64_t done, std::optional<std::uint64_t> total,
                                              std::chrono::steady_clock::duration elapsed);
  /// "1:02:03" or "2:03".
  [[nodiscard]] static std::string clock(double seconds);

 private:
  bool enabled_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace leadpipe
