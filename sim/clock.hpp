#pragma once
// Time for the simulator: an injectable wall clock (rate windows, created_at stamps) and the
// contract's ISO-8601 time-stamp format (§1: UTC, milliseconds, 'Z').

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace leadpipe::sim {

/// Source of "now" as milliseconds since the Unix epoch. Implementations must be thread-safe:
/// the server reads the clock from every worker thread.
class sim_clock {
 public:
  virtual ~sim_clock() = default;
  [[nodiscard]] virtual std::int64_t now_ms() const = 0;
};

/// The real wall clock (std::chrono::system_clock). Thread-safe.
class system_sim_clock final : public sim_clock {
 public:
  [[nodiscard]] std::int64_t now_ms() const override;
};

/// A clock that moves only when told to; tests use it to step through rate windows exactly.
/// Thread-safe (atomic).
class manual_clock final : public sim_clock {
 public:
  explicit manual_clock(std::int64_t start_ms) : now_(start_ms) {}
  [[nodiscard]] std::int64_t now_ms() const override { return now_.load(); }
  void set(std::int64_t ms) { now_.store(ms); }
  void advance(std::int64_t ms) { now_.fetch_add(ms); }

 private:
  std::atomic<std::int64_t> now_;
};

/// Appends `ms` (since the epoch) as "YYYY-MM-DDTHH:MM:SS.mmmZ". Thread-safe.
void append_iso8601(std::string& out, std::int64_t ms);

/// The same as a new string.
[[nodiscard]] std::string format_iso8601(std::int64_t ms);

/// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with an optional 'Z' (or a space instead of
/// 'T'); returns milliseconds since the epoch, or nothing when the text is not such a time stamp.
/// Thread-safe.
[[nodiscard]] std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace leadpipe::sim
