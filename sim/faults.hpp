#pragma once
// Fault injection ("bad days"): per-route latency, injected 5xx, closed connections, commits
// without an answer, truncated bodies, spurious 429 bursts and "the Nth request gets status S".
// Decisions are a pure function of (seed, route, request number), so runs are reproducible.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "leadpipe/json_writer.hpp"
#include "sim/routes.hpp"

namespace leadpipe::sim {

/// What an injected status carries: the usual JSON error (or 429 body), a web page, or
/// {"ok":false,"message":"injected refusal"}.
enum class injected_body : std::uint8_t { error, html, refusal };

enum class fault_kind : std::uint8_t {
  status, close_before_answer, drop_after_commit, truncate, eof_body, burst429, latency
};

/// One parsed `--fault` rule, e.g. "import:status=503:p=0.1" or "*:latency=500ms..5s".
struct fault_rule {
  std::optional<route_id> route;  ///< nothing = every API route ("*")
  fault_kind kind = fault_kind::status;
  double probability = 1.0;
  unsigned status = 0;
  std::uint64_t nth = 0;  ///< with status: only the nth request of the route (1-based)
  std::uint32_t burst = 0;
  std::uint32_t every = 0;
  std::int64_t retry_after_s = 1;  ///< Retry-After of spurious 429s
  injected_body body = injected_body::error;  ///< with status: items html, refuse
  std::int64_t latency_min_ms = 0;
  std::int64_t latency_max_ms = 0;
  std::int64_t latency_mean_ms = 0;  ///< of the shifted exponential before the cap
  std::string text;                  ///< the rule as written
};

/// Parses "ROUTE:ITEM[:ITEM...]". ROUTE is a route name or '*'. Items: status=CODE, p=PROB,
/// nth=N, close-before-answer, drop-after-commit, truncate, eof-body, burst429=N, every=N,
/// retry-after=SECONDS, html (with status: a web page as the body), refuse
/// (with status: {"ok":false,"message":...} as the body), latency=DUR or latency=MIN..MAX, mean=DUR (DUR: 250ms, 2s, 1.5s).
/// Fails with invalid_argument and a lower-case message naming the bad item. Thread-safe.
[[nodiscard]] boost::system::result<fault_rule> parse_fault(std::string_view text,
                                                            std::string* message = nullptr);

/// What the server must do with one request.
enum class fault_action : std::uint8_t {
  none, status, close_before_answer, drop_after_commit, truncate, eof_body, spurious_429
};
struct fault_plan {
  std::chrono::milliseconds delay{0};
  fault_action action = fault_action::none;
  unsigned status = 0;
  std::int64_t retry_after_s = 1;
  injected_body body = injected_body::error;
};

/// Holds the rules and the per-route request numbers. decide() numbers each request of a route
/// (1, 2, ...) and derives every random draw from (seed, route, number, rule), so the same
/// sequence of requests gets the same faults. Latency rules add up; among the other rules the
/// first that fires decides. Not thread-safe (the simulator calls it under its mutex).
class fault_injector {
 public:
  fault_injector() = default;
  fault_injector(std::vector<fault_rule> rules, std::uint64_t seed);

  void set_rules(std::vector<fault_rule> rules) { rules_ = std::move(rules); }
  void set_seed(std::uint64_t seed) { seed_ = seed; }
  [[nodiscard]] const std::vector<fault_rule>& rules() const noexcept { return rules_; }
  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }

  /// Numbers one request of `route` and decides its faults.
  [[nodiscard]] fault_plan decide(route_id route);
  /// Restarts the request numbering.
  void reset_counts() { counts_ = {}; }
  /// {"seed": N, "rules": ["import:status=503:p=0.1", ...]}
  void write_state(json_writer& w) const;

 private:
  std::vector<fault_rule> rules_;
  std::uint64_t seed_ = 1;
  std::array<std::uint64_t, kRouteCount> counts_{};
};

/// Draws a latency for `rule` from a uniform number in [0, 1): fixed when min == max, otherwise
/// min plus an exponential with mean (mean - min), capped at max. Exposed for tests.
[[nodiscard]] std::chrono::milliseconds sample_latency(const fault_rule& rule, double u);

}  // namespace leadpipe::sim
