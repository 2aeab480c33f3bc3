#include "sim/counters.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace leadpipe::sim {
namespace {

// Fates other than "answered" are stored under codes below 100, which no HTTP status uses.
constexpr std::array<std::string_view, 4> kFateNames = {"answered", "closed_before_answer",
                                                        "dropped_after_commit", "truncated"};

}  // namespace

void request_counters::started() noexcept {
  ++requests_;
  ++in_flight_;
  max_in_flight_ = std::max(max_in_flight_, in_flight_);
}

void request_counters::finished(route_id route, unsigned status, request_fate fate) {
  --in_flight_;
  const unsigned code = fate == request_fate::answered ? status : static_cast<unsigned>(fate);
  ++by_route_[static_cast<std::size_t>(route)][code];
  if (fate == request_fate::answered && status == 429) ++total_429_;
}

void request_counters::reset() {
  for (auto& m : by_route_) m.clear();
  requests_ = 0;
  total_429_ = 0;
  rate_limited_ = 0;
  max_in_flight_ = in_flight_;
}

void request_counters::write_members(json_writer& w) const {
  w.key("requests").value(requests_);
  w.key("in_flight").value(in_flight_);
  w.key("max_in_flight").value(max_in_flight_);
  w.key("rate_limited_429").value(rate_limited_);
  w.key("spurious_429").value(total_429_ - std::min(total_429_, rate_limited_));
  w.key("total_429").value(total_429_);
  w.key("counters").begin_object();
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    if (by_route_[r].empty()) continue;
    std::vector<std::pair<unsigned, std::uint64_t>> sorted(by_route_[r].begin(), by_route_[r].end());
    std::sort(sorted.begin(), sorted.end());
    w.key(kRouteNames[r]).begin_object();
    for (const auto& [code, n] : sorted) {
      w.key(code < 100 ? std::string(kFateNames[code]) : std::to_string(code)).value(n);
    }
    w.end_object();
  }
  w.end_object();
}

}  // namespace leadpipe::sim
