#pragma once
// What the send stage reads back from SmartLead: add-leads answers in any of the three shapes
// (contract §6.1, §7.4, §11.1) resolved to one outcome per lead, error bodies (§2.2) and
// rate-limit header values (§3.3). Pure parsing: no I/O, no clock.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "leadpipe/rate_limiter.hpp"

namespace leadpipe {

/// What happened to one lead of an add-leads request. The skip words are §11.1's vocabulary;
/// `other_reason` is a reason the contract does not know (an unknown `skipped_leads` reason or an
/// unknown `*_count` key, named in lead_outcome::reason_text); `unknown_skip` is a lead the
/// answer shows was not added without saying why.
enum class lead_result : std::uint8_t {
  added,
  invalid_email,
  duplicate_in_request,
  already_in_campaign,
  blocked,
  unsubscribed,
  bounced,
  in_other_campaign,
  lead_limit_exhausted,
  other_reason,
  unknown_skip,
};

/// The word for `r` ("added", "invalid_email", ..., "other_reason", "unknown_skip").
[[nodiscard]] std::string_view to_string(lead_result r) noexcept;

/// The lead_result for a §11.1 reason word, or nullopt for any other text.
[[nodiscard]] std::optional<lead_result> lead_result_from_reason(std::string_view word) noexcept;

/// A piece of text held in an import_response's `text` (offsets survive copies and moves).
struct text_ref {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
};

struct skipped_lead {
  text_ref email;
  lead_result reason = lead_result::unknown_skip;
  text_ref reason_text;  ///< the server's word, for other_reason
};

struct named_count {
  text_ref name;
  std::int64_t count = 0;
};

struct lead_id_entry {
  text_ref email;       ///< as the server stores it (its case may differ from what was sent)
  std::int64_t id = 0;  ///< 0 when the id was not a number
};

/// One parsed add-leads answer (HTTP 2xx). Missing numbers are 0, numbers sent as strings are
/// read, `null` counts as missing; counts are pinned to 0..2^32, so no server figure can make
/// their sums overflow. Strings live in `text`; read them with view(). Owns all its
/// data; copyable. parse_import clears and refills it, reusing its capacity.
struct import_response {
  bool ok = true;
  bool is_lead_limit_exhausted = false;
  /// §7.4: `total_leads`, else `added_count`, else `upload_count` minus the known skips (never
  /// below 0) when the answer has any skip figure; nullopt when it says nothing of the kind.
  std::optional<std::int64_t> added;
  std::int64_t upload_count = 0;
  std::int64_t invalid_email_count = 0;  ///< the counter, or the list's length when larger
  std::int64_t duplicate_count = 0;
  std::int64_t already_added_to_campaign = 0;
  std::int64_t block_count = 0;
  std::int64_t unsubscribed_count = 0;  ///< `unsubscribed_leads` as a list's length or a number
  std::int64_t bounce_count = 0;
  std::int64_t skipped_in_other_campaign_count = 0;
  std::int64_t lead_import_stopped_count = 0;
  std::optional<std::int64_t> skipped_count;  ///< the guide's `skipped_count`
  /// Top-level integer `*_count` keys the contract does not know: extra skip reasons by name.
  std::vector<named_count> extra_counts;
  std::vector<text_ref> invalid_emails;      ///< in the answer's order
  std::vector<text_ref> unsubscribed_leads;  ///< strings or the `email` of objects
  bool has_skipped_leads = false;            ///< the guide's per-lead list was present
  std::vector<skipped_lead> skipped_leads;
  bool has_lead_id_map = false;  ///< `emailToLeadIdMap` was present
  std::vector<lead_id_entry> newly_added;
  std::vector<lead_id_entry> existing;
  std::vector<lead_id_entry> existing_in_other_campaigns;
  text_ref error;  ///< `error` (else `message`) text of a refused call (ok: false)
  std::string text;

  [[nodiscard]] std::string_view view(text_ref r) const {
    return std::string_view(text).substr(r.offset, r.size);
  }
  /// The sum of the skip counters and extra counts above (not skipped_count).
  [[nodiscard]] std::int64_t known_skips() const noexcept;
};

/// The outcome of one lead after resolve_leads.
struct lead_outcome {
  lead_result result = lead_result::unknown_skip;
  /// Set when the answer did not name this lead: its outcome was attributed from counters.
  bool by_count = false;
  /// A resent batch's lead reported already in the campaign: the lost attempt added it (§7.4).
  bool confirmed_on_retry = false;
  text_ref reason_text;  ///< other_reason: the server's word (in the import_response's text)
};

/// A reason and how many leads it accounts for.
struct reason_count {
  lead_result reason = lead_result::unknown_skip;
  text_ref reason_text;  ///< other_reason only
  std::int64_t count = 0;
};

/// resolve_leads' answer: exactly one outcome per lead of the batch, in request order.
struct resolved_batch {
  std::vector<lead_outcome> leads;
  /// Addresses the answer listed that matched no lead still unresolved in the batch.
  std::uint32_t unmatched = 0;
  /// The counters' split of the leads left `unknown_skip` by_count: the report's per-reason
  /// totals for them. Empty when every lead was named or attributed. The counts never add up to
  /// more than those leads: counters that claim more are cut, in the order of step 4.
  std::vector<reason_count> unattributed;
};

/// Gives every lead of a batch one outcome from an add-leads answer. `emails` are the batch's
/// addresses in request order; addresses match after trimming, ASCII case-insensitively (the
/// server keeps its own spelling of existing leads). `resent` marks a batch sent again after a
/// lost answer: its already_in_campaign leads become added with confirmed_on_retry.
///
/// Attribution, in this order:
/// 1. `ok: false` (the call was refused and wrote nothing): every lead is lead_limit_exhausted
///    when `is_lead_limit_exhausted` is set, else unknown_skip.
/// 2. `skipped_leads` present (guide or both shapes): each entry names its lead (the first
///    unresolved lead with that address in request order; a duplicate_in_request entry only
///    matches a repeat of an earlier address); every other lead is added.
/// 3. Otherwise the lists name what they can: `invalid_emails` (invalid_email),
///    `unsubscribed_leads` (unsubscribed), `emailToLeadIdMap` (newlyAddedLeads: added,
///    existingLeads: already_in_campaign, existingLeadsInOtherCampaigns: in_other_campaign), and
///    repeats of an earlier address in the batch (duplicate_in_request, up to duplicate_count).
/// 4. Counters for the rest: each category's residual is its counter minus the leads step 3 gave
///    it. When one category alone has a residual, it covers the remaining leads in request order
///    (attributed exactly when the residual covers them all, by_count otherwise). When several
///    have, the leads cannot be pinned: the first `added` residual of them in request order are
///    added (by_count) and the rest unknown_skip (by_count), with the skip residuals reported in
///    `unattributed`. Leads beyond every residual are unknown_skip (by_count).
/// Never fails; thread-safe (no shared state).
[[nodiscard]] resolved_batch resolve_leads(const import_response& response,
                                           std::span<const std::string_view> emails, bool resent);

/// An error answer's body read per §2.2.
struct error_body {
  /// The first non-empty of `message` (a string, or an array of strings joined by "; "),
  /// `error` (a string), `error.message`, `err`; else the raw body trimmed and cut to 500 bytes
  /// at a character boundary.
  std::string message;
  std::string code;                          ///< `error.code` (e.g. RATE_LIMIT_EXCEEDED)
  std::optional<std::int64_t> retry_after;   ///< `error.retry_after` seconds (429 body)
  std::vector<std::string> validation_keys;  ///< `validation.keys`
  /// Sorted, distinct i of the keys that name an element (`lead_list.<i>`, `lead_list.<i>.…`,
  /// `lead_list[<i>]…`); without validation keys, of such names in the message.
  std::vector<std::uint32_t> element_indexes;
  bool is_json = false;
};

/// Parses answers; owns a simdjson parser and a padded copy buffer that it reuses. One per
/// sender: not thread-safe. Nothing it returns refers to its buffers.
class response_parser {
 public:
  response_parser();
  ~response_parser();
  response_parser(response_parser&&) noexcept;
  response_parser& operator=(response_parser&&) noexcept;
  response_parser(const response_parser&) = delete;
  response_parser& operator=(const response_parser&) = delete;

  /// Parses a 2xx add-leads body into `out` (cleared first). Fails with bad_message when the
  /// body is not a JSON object, writing a lower-case reason to `*message` when given.
  [[nodiscard]] boost::system::result<void> parse_import(std::string_view body,
                                                         import_response& out,
                                                         std::string* message = nullptr);

  /// Reads an error body per §2.2. Never fails: a body that is not JSON becomes the message.
  [[nodiscard]] error_body parse_error(std::string_view body);

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// Reads X-RateLimit-Limit/-Remaining/-Reset and Retry-After header values (empty view = header
/// absent). Tolerant: surrounding blanks, a sign, a fraction (Reset rounds up, counts truncate);
/// Retry-After may be seconds or an HTTP-date, turned into a delay from `now_epoch_ms` (never
/// negative). A value it cannot read is left absent. Thread-safe.
[[nodiscard]] rate_limit_headers parse_rate_limit_headers(std::string_view limit,
                                                          std::string_view remaining,
                                                          std::string_view reset,
                                                          std::string_view retry_after,
                                                          std::int64_t now_epoch_ms);

/// The wait a 429 body of contract §3.4 names (`{"error": {..., "retry_after": 17}}`, seconds),
/// for a 429 whose Retry-After header is missing; nothing when the body has none. Thread-safe.
[[nodiscard]] std::optional<std::chrono::milliseconds> retry_after_in_body(std::string_view body);

}  // namespace leadpipe
