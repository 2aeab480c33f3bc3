#pragma once
// The server side of contract §3: fixed windows per rule per API key, the X-RateLimit-* figures,
// Retry-After for refusals, and a record of requests per window for /_sim/state.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "leadpipe/json_writer.hpp"
#include "leadpipe/rate_rules.hpp"
#include "sim/model.hpp"

namespace leadpipe::sim {

/// The limiter's answer for one request.
struct rate_verdict {
  bool limited = false;  ///< rules exist: the headers below are meaningful
  bool allowed = true;
  std::uint32_t limit = 0;          ///< X-RateLimit-Limit (primary rule)
  std::uint32_t remaining = 0;      ///< X-RateLimit-Remaining after this request
  std::int64_t reset_epoch_s = 0;   ///< X-RateLimit-Reset, epoch seconds rounded up
  std::int64_t retry_after_s = 0;   ///< Retry-After when refused: whole seconds, at least 1
};

/// Fixed-window counters (§3.2): a rule's window opens with the first counted request after the
/// previous one ended and lasts the rule's window. A request must fit every rule; a refused one
/// consumes nothing. Time is passed in (milliseconds since the epoch), so tests are exact.
/// Not thread-safe (the simulator calls it under its mutex).
class rate_limiter {
 public:
  explicit rate_limiter(rate_rules rules = {});

  /// Replaces the rules and forgets every window.
  void set_rules(rate_rules rules);
  [[nodiscard]] const rate_rules& rules() const noexcept { return rules_; }

  /// Counts one request of `key` at `now_ms` if it fits every rule.
  [[nodiscard]] rate_verdict check(std::string_view key, std::int64_t now_ms);

  /// Forgets every window and the history.
  void reset() { keys_.clear(); }

  /// {"<key>": [{"limit", "window_ms", "window_start", "count", "history": [{"start","count"}]}]}
  /// where history holds the most recent closed windows (up to 64), oldest first.
  void write_state(json_writer& w) const;

 private:
  struct closed_window {
    std::int64_t start_ms = 0;
    std::uint32_t count = 0;
  };
  struct window {
    bool open = false;
    std::int64_t start_ms = 0;
    std::uint32_t count = 0;
    std::deque<closed_window> history;
  };
  using key_windows = std::vector<window>;

  rate_rules rules_;
  boost::unordered_flat_map<std::string, key_windows, string_hash, std::equal_to<>> keys_;
};

}  // namespace leadpipe::sim
