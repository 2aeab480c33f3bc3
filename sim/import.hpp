#pragma once
// The add-leads call (contract §6.1, §7, §11.1): request parsing and validation, the §7.2
// classifier as a pure function of state + request, applying its plan, and the reply body.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "leadpipe/json_writer.hpp"
#include "sim/model.hpp"
#include "sim/options.hpp"

namespace leadpipe::sim {

/// A 400 validation failure (§2.1): the message and the dotted paths of the offending fields.
struct request_error {
  std::string message;
  std::vector<std::string> keys;
  std::string_view source = "body";  ///< "body", "query" or "params"
};

/// One custom field of a lead as sent; `value` is empty and `is_null` set for JSON null.
struct custom_input {
  std::string_view key;
  std::string_view value;
  bool is_null = false;
};

/// One element of lead_list. Views point into the parser's document or the owning request.
struct lead_input {
  std::string_view email;  ///< trimmed, as sent
  std::string_view key;    ///< lower-cased email (index key)
  std::array<std::string_view, kLeadFieldCount> fields{};
  std::uint16_t present = 0;  ///< bit i: fields[i] was given and not null
  std::uint32_t custom_begin = 0;
  std::uint32_t custom_count = 0;
  bool has_custom = false;  ///< custom_fields was given
  bool valid = false;       ///< passes §7.1
};

struct import_settings {
  bool ignore_global_block_list = false;
  bool ignore_unsubscribe_list = false;
  bool ignore_community_bounce_list = false;
  bool ignore_duplicate_leads_in_other_campaign = false;
  bool return_lead_ids = false;
};

/// A parsed add-leads body. Reused across requests of one connection (clear() keeps capacity).
/// Its views stay valid while the simdjson parser that produced the document is not reused.
/// Not thread-safe.
struct import_request {
  std::vector<lead_input> leads;
  std::vector<custom_input> custom;
  import_settings settings;
  std::string arena;               ///< lower-cased keys; reserved up front, never reallocated
  std::deque<std::string> texts;   ///< numbers converted to text (stable addresses)
  void clear();
};

/// Where a lead object sits: element `index` of lead_list, or the whole body (kBody, §6.4).
struct lead_path {
  static constexpr std::size_t kBody = static_cast<std::size_t>(-1);
  std::size_t index = kBody;
};

/// Reads one lead object (an element of lead_list or the body of §6.4) into `out`. `path` names
/// it in validation keys ("lead_list.3.email"). Problems are appended to `err`; returns false
/// when there was one. `req` provides storage (arena capacity must already cover the email).
bool read_lead(simdjson::dom::object obj, lead_path path, const sim_options& opts,
               import_request& req, lead_input& out, request_error& err);

/// Validates an add-leads body (§6.1 table, §11.5) and fills `out`. Returns the 400 to send, or
/// nothing when the body is acceptable. `body_size` bounds the arena. Thread-safe per call.
[[nodiscard]] std::optional<request_error> parse_import(simdjson::dom::element root,
                                                        std::size_t body_size,
                                                        const sim_options& opts,
                                                        import_request& out);

/// The single outcome of one element (§7.2 steps 1-9).
enum class import_outcome : std::uint8_t {
  added, invalid_email, duplicate_in_request, already_in_campaign, blocked, unsubscribed,
  bounced, in_other_campaign, lead_limit_exhausted
};
/// The §11.1 reason word ("invalid_email", ...); "added" for added.
[[nodiscard]] std::string_view reason_word(import_outcome o) noexcept;

/// The classifier's verdict for one request; reused across requests (clear() keeps capacity).
struct import_plan {
  std::vector<import_outcome> outcomes;  ///< one per element, request order
  std::vector<std::int64_t> lead_ids;    ///< lead id per element when known (0 otherwise)
  std::array<std::int64_t, 9> counts{};  ///< indexed by import_outcome
  bool limit_exhausted = false;
  bool refused = false;  ///< credit was 0 at the start and some lead reached step 8
  boost::unordered_flat_set<std::string_view, string_hash> seen;  ///< scratch for step 2
  void clear();
  [[nodiscard]] std::int64_t count(import_outcome o) const noexcept {
    return counts[static_cast<std::size_t>(o)];
  }
};

/// §7.2: classifies every element of `req` against `st` as it is (nothing changes). `c` must be
/// a campaign of `st`. Fills `plan`. Thread-safe only against other readers of `st`.
void classify_import(const state& st, const campaign& c, const import_request& req,
                     const sim_options& opts, import_plan& plan);

/// Applies a plan made by classify_import on the same unchanged state: updates fields for
/// step-3 hits, creates or reuses leads and attaches them for step 9, spends credit, and records
/// new lead ids in plan.lead_ids. Does nothing when plan.refused. Not thread-safe.
void apply_import(state& st, campaign& c, const import_request& req, import_plan& plan,
                  std::int64_t now_ms);

/// Overwrites the non-null standard fields of `l` with those of `in` and merges its custom fields
/// (null removes a key): the update rule of §7.2 step 3 and §6.4.
void update_lead(lead& l, const lead_input& in, const import_request& req);

/// Writes the reply body of §6.1/§11.1 (or the credit refusal) for an applied plan.
void write_import_reply(json_writer& w, const state& st, const import_request& req,
                        const import_plan& plan, const sim_options& opts);

}  // namespace leadpipe::sim
