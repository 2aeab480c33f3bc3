#pragma once
// Names of the simulator's API routes (one per endpoint of contract §5), shared by the router,
// fault injection (per-route faults) and the per-route counters of /_sim/state.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace leadpipe::sim {

enum class route_id : std::uint8_t {
  import, list_leads, lead_lookup, lead_update, lead_pause, lead_resume, campaign_unsubscribe,
  global_unsubscribe, lead_delete, lead_category, inbox_category, fetch_categories,
  message_history, block_add, block_list, block_delete, campaign_list, campaign_get,
  campaign_create, campaign_status, lead_campaigns, global_leads, unknown
};
inline constexpr std::size_t kRouteCount = 23;

inline constexpr std::array<std::string_view, kRouteCount> kRouteNames = {
    "import",          "list_leads",         "lead_lookup",          "lead_update",
    "lead_pause",      "lead_resume",        "campaign_unsubscribe", "global_unsubscribe",
    "lead_delete",     "lead_category",      "inbox_category",       "fetch_categories",
    "message_history", "block_add",          "block_list",           "block_delete",
    "campaign_list",   "campaign_get",       "campaign_create",      "campaign_status",
    "lead_campaigns",  "global_leads",       "unknown"};

[[nodiscard]] constexpr std::string_view route_name(route_id r) noexcept {
  return kRouteNames[static_cast<std::size_t>(r)];
}

/// The route called `name`, or nothing. Thread-safe.
[[nodiscard]] constexpr std::optional<route_id> parse_route_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kRouteCount; ++i) {
    if (kRouteNames[i] == name) return static_cast<route_id>(i);
  }
  return std::nullopt;
}

}  // namespace leadpipe::sim
