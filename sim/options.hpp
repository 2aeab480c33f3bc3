#pragma once
// The simulator's behaviour switches (contract §10 and §11): one value type settable from flags,
// from the fixture's "options" object and at run time through POST /_sim/config.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "leadpipe/json_writer.hpp"
#include "leadpipe/rate_rules.hpp"

namespace leadpipe::sim {

/// §11.1: which keys a successful add-leads reply carries.
enum class response_shape { both, live, guide };
/// §11.5: what a malformed address does to an add-leads call.
enum class invalid_email_policy { count, reject_request };
/// §7.3: how `ignore_duplicate_leads_in_other_campaign` is read.
enum class cross_campaign_semantics { observed, documented };

/// Every option with its contract default. A plain value; copy it freely. Not thread-safe to
/// mutate while another thread reads it (the simulator guards its copy with its mutex).
struct sim_options {
  std::uint32_t max_leads_per_request = 400;
  std::uint32_t max_custom_fields = 200;
  bool strict_lead_keys = true;
  cross_campaign_semantics cross_campaign = cross_campaign_semantics::observed;
  bool always_emit_other_campaign_count = false;
  bool rate_limit_headers_on_get_only = false;
  bool plain_text_success_on_delete = false;
  response_shape shape = response_shape::both;
  invalid_email_policy invalid_emails = invalid_email_policy::count;
  rate_rules rate_limit{{{60, std::chrono::seconds(60)}}};
  /// Close a keep-alive connection after this many requests (0 = never), like a proxy would.
  std::uint32_t keepalive_max = 0;
};

/// Sets the option called `name` (its contract name, e.g. "max_leads_per_request",
/// "response_shape", "rate_limit") from its text form ("400", "true", "live", "60/60s").
/// On an unknown name or a bad value returns invalid_argument and writes a lower-case message to
/// `*message` when given; `opts` is then unchanged. Thread-safe (touches only its arguments).
[[nodiscard]] boost::system::result<void> set_option(sim_options& opts, std::string_view name,
                                                     std::string_view value,
                                                     std::string* message = nullptr);

/// Writes `opts` as one JSON object keyed by the option names set_option accepts.
void write_options(json_writer& w, const sim_options& opts);

[[nodiscard]] std::string_view to_string(response_shape s) noexcept;
[[nodiscard]] std::string_view to_string(invalid_email_policy p) noexcept;
[[nodiscard]] std::string_view to_string(cross_campaign_semantics s) noexcept;

}  // namespace leadpipe::sim
