#pragma once
// Request accounting for /_sim/state: answers by route and status, connections dropped on
// purpose, 429s sent (real and injected), requests in flight and the most seen at once.

#include <array>
#include <cstdint>

#include <boost/unordered/unordered_flat_map.hpp>

#include "leadpipe/json_writer.hpp"
#include "sim/routes.hpp"

namespace leadpipe::sim {

/// What happened to a request.
enum class request_fate : std::uint8_t {
  answered, closed_before_answer, dropped_after_commit, truncated
};

/// Plain counters. Not thread-safe (the simulator updates them under its mutex).
class request_counters {
 public:
  void started() noexcept;
  void finished(route_id route, unsigned status, request_fate fate);
  /// A request refused by the rate limiter (as opposed to an injected 429).
  void rate_limited() noexcept { ++rate_limited_; }
  /// Clears everything except the requests now in flight.
  void reset();
  [[nodiscard]] std::int64_t in_flight() const noexcept { return in_flight_; }
  [[nodiscard]] std::int64_t max_in_flight() const noexcept { return max_in_flight_; }
  /// Writes the members "requests", "in_flight", "max_in_flight", "rate_limited_429",
  /// "spurious_429", "total_429" and "counters" ({route: {"200": n, "truncated": n, ...}})
  /// into the object being written.
  void write_members(json_writer& w) const;

 private:
  std::array<boost::unordered_flat_map<unsigned, std::uint64_t>, kRouteCount> by_route_{};
  std::uint64_t requests_ = 0;
  std::uint64_t total_429_ = 0;
  std::uint64_t rate_limited_ = 0;
  std::int64_t in_flight_ = 0;
  std::int64_t max_in_flight_ = 0;
};

}  // namespace leadpipe::sim
