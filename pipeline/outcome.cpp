#include "leadpipe/outcome.hpp"

namespace leadpipe {
namespace {
constexpr std::array<std::string_view, outcome_count> kNames = {
    "accepted",
    "added",
    "malformed_row",
    "missing_email",
    "invalid_email",
    "duplicate_in_file",
    "dropped_risky",
    "already_in_campaign",
    "blocked",
    "unsubscribed",
    "bounced",
    "in_other_campaign",
    "duplicate_in_request",
    "rejected_by_server",
    "server_skipped",
    "not_imported_lead_credit",
    "not_imported_retries_exhausted",
    "not_imported_stopped",
    "not_imported_auth",
    "not_imported_campaign_missing",
};
}  // namespace

std::string_view name(outcome o) noexcept { return kNames[static_cast<std::size_t>(o)]; }

std::optional<outcome> outcome_from_name(std::string_view n) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == n) return static_cast<outcome>(i);
  }
  return std::nullopt;
}

std::uint64_t outcome_counts::total() const {
  std::uint64_t t = 0;
  for (auto v : n) t += v;
  return t;
}

}  // namespace leadpipe
