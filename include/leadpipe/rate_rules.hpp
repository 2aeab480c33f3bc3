#pragma once
// Rate-limit rule lists (contract §3.1), shared by the importer's limiter and the simulator:
// "60/60s,1000/1h", a preset name (default, legacy, standard_tier, pro_tier) or "none".

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

namespace leadpipe {

/// One fixed-window rule: at most `limit` requests per `window`.
struct rate_rule {
  std::uint32_t limit = 0;
  std::chrono::milliseconds window{0};
  friend bool operator==(const rate_rule&, const rate_rule&) = default;
};

/// An ordered list of rules; a request must fit every rule. The first rule is the primary one
/// (its figures go into the X-RateLimit-* headers). Empty means unlimited.
struct rate_rules {
  std::vector<rate_rule> rules;
  [[nodiscard]] bool unlimited() const { return rules.empty(); }
  friend bool operator==(const rate_rules&, const rate_rules&) = default;
};

/// Parses a preset name or a comma-separated list of `LIMIT/WINDOW` rules, where WINDOW is a
/// number with an optional unit (ms, s, m, min, h; default s) or a bare unit ("10/s").
/// "none" (or "unlimited") gives an empty list. On failure returns an error and writes a
/// lower-case message naming the bad part to `*message` when given. Thread-safe.
[[nodiscard]] boost::system::result<rate_rules> parse_rate_rules(std::string_view text,
                                                                 std::string* message = nullptr);

/// Parses a duration like "60s", "30m", "1h", "500ms" or a bare number of seconds; "0" is zero.
/// Returns nullopt for anything else. Thread-safe.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// The canonical text of a rule list ("60/60s,1000/3600s" or "none"); parse_rate_rules reads it.
[[nodiscard]] std::string to_string(const rate_rules& r);

/// The most requests the rules allow over `span` starting from an idle state: for each rule
/// ceil(span / window) full windows, the minimum over the rules. Used for rate_limit_use and
/// dry-run estimates. Unlimited rules return UINT64_MAX.
[[nodiscard]] std::uint64_t allowed_requests(const rate_rules& r, std::chrono::milliseconds span);

}  // namespace leadpipe
