#pragma once
// Internal to leadpipe_sim: the endpoint handlers of contract §6 and what they share (route
// matching, ids from the path, query parameters, error bodies, JSON of model objects). The
// simulator calls them under its mutex, after authentication and rate limiting.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "leadpipe/json_writer.hpp"
#include "sim/import.hpp"
#include "sim/model.hpp"
#include "sim/options.hpp"
#include "sim/routes.hpp"
#include "sim/simulator.hpp"

namespace leadpipe::sim {

/// A matched API route and the raw id segments of its path ({campaign_id}, {lead_id}).
struct route_match {
  route_id route = route_id::unknown;
  std::array<std::string_view, 2> ids{};
};

/// Matches a path below /api/v1 (no query; one trailing slash allowed). Thread-safe.
[[nodiscard]] route_match match_route(http_method m, std::string_view path) noexcept;

/// Splits a request target into the path below "/api/v1" and the query. False when the target
/// is not under /api/v1.
[[nodiscard]] bool split_api_target(std::string_view target, std::string_view& path,
                                    std::string_view& query) noexcept;

/// Finds query parameter `name` and percent-decodes it ('+' as space) into `out`.
[[nodiscard]] bool query_param(std::string_view query, std::string_view name, std::string& out);

/// A positive decimal int64 (path ids, numeric parameters).
[[nodiscard]] bool parse_id(std::string_view text, std::int64_t& out) noexcept;

/// One authenticated API call being answered.
struct api_call {
  state& st;
  const sim_options& opts;
  const account& acct;
  std::int64_t now_ms;
  route_match match;
  std::string_view query;
  std::string& body;
  request_scratch& scratch;
  sim_response& res;
  const std::optional<request_error>& import_error;  ///< from parsing an import body early
};

/// Routes an authenticated call to its handler.
void dispatch(api_call& call);

/// Writes a §2.1 error body (with "validation" when `err` is given).
void write_error(sim_response& res, unsigned status, std::string_view message,
                 const request_error* err = nullptr);
/// Writes a 400 validation error naming `key` found in `source` ("body", "query", "params").
void write_bad_request(sim_response& res, std::string_view key, std::string_view message,
                       std::string_view source = "body");
/// Writes an id or null.
void write_nullable(json_writer& w, const std::optional<std::int64_t>& v);
/// Writes {"ok": true}.
void write_ok(sim_response& res);

/// The campaign of path id 0, owned by the caller's account; writes 400/404 and returns nullptr
/// otherwise.
[[nodiscard]] campaign* require_campaign(api_call& call);
/// The lead of path id `slot`, of the caller's account; writes 400/404 otherwise.
[[nodiscard]] lead* require_lead(api_call& call, std::size_t slot);
/// The live membership of path lead id 1 in path campaign id 0; writes 400/404 otherwise.
[[nodiscard]] membership* require_membership(api_call& call);
/// Parses the request body as JSON; an empty body gives nothing without error when
/// `allow_empty`. Writes 400 and returns nothing on malformed JSON.
[[nodiscard]] std::optional<simdjson::dom::element> parse_body(api_call& call, bool allow_empty,
                                                               bool& failed);
/// Reads an integer query parameter in [lo, hi] (default `def` when absent); writes 400 and
/// returns false when out of range.
[[nodiscard]] bool int_param(api_call& call, std::string_view name, std::int64_t lo,
                             std::int64_t hi, std::int64_t def, std::int64_t& out);

/// Reads an optional positive-id query parameter; writes 400 and returns false when malformed.
[[nodiscard]] bool id_param(api_call& call, std::string_view name, std::optional<std::int64_t>& out);

/// JSON of a lead (§4 fields; `created_at` only when `with_created_at`).
void write_lead(json_writer& w, const lead& l, bool with_created_at);
/// The same members without the enclosing braces (for objects that add keys).
void write_lead_members(json_writer& w, const lead& l, bool with_created_at);
/// JSON of a campaign object (§6.11), with "tags" when `tags`.
void write_campaign(json_writer& w, const campaign& c, bool tags);
/// The default passive settings of a new campaign (§6.11 field list).
void default_campaign_settings(campaign& c);

// Handlers, one per route (see routes.hpp for the names).
void handle_import(api_call& call);
void handle_list_leads(api_call& call);
void handle_lead_lookup(api_call& call);
void handle_global_leads(api_call& call);
void handle_lead_campaigns(api_call& call);
void handle_lead_update(api_call& call);
void handle_member_status(api_call& call);  // pause, resume
void handle_campaign_unsubscribe(api_call& call);
void handle_global_unsubscribe(api_call& call);
void handle_lead_delete(api_call& call);
void handle_lead_category(api_call& call);
void handle_inbox_category(api_call& call);
void handle_fetch_categories(api_call& call);
void handle_message_history(api_call& call);
void handle_block_add(api_call& call);
void handle_block_list(api_call& call);
void handle_block_delete(api_call& call);
void handle_campaign_list(api_call& call);
void handle_campaign_get(api_call& call);
void handle_campaign_create(api_call& call);
void handle_campaign_status(api_call& call);

}  // namespace leadpipe::sim
