#pragma once
// The one vocabulary of row outcomes shared by every subcommand, the outcome files and the JSON
// report. Every input row ends in exactly one outcome; the report's counts add up to rows_read.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace leadpipe {

/// What became of one input row. Names (see name()) are part of the versioned report schema:
/// add new values at the end of a group, never rename one.
enum class outcome : std::uint8_t {
  // The row's lead goes to SmartLead (validate) or went in (import).
  accepted,  ///< validate: clean and ready to import
  added,     ///< import: attached to the campaign (also "confirmed on retry")
  // Decided locally, before any request.
  malformed_row,        ///< CSV problem: field count, unterminated quote, record too long
  missing_email,        ///< the email cell is empty
  invalid_email,        ///< the email fails the policy (reason names the rule)
  duplicate_in_file,    ///< same identity key as an earlier row (reason names its line)
  dropped_risky,        ///< carries a risk flag the user drops (reason names the flag)
  already_in_campaign,  ///< §7.2 step 3; locally from --existing or the cache, or said by the server
  blocked,              ///< §7.2 step 4: global block list (email or exact domain)
  unsubscribed,         ///< §7.2 step 5
  bounced,              ///< §7.2 step 6: community bounce list (server only)
  in_other_campaign,    ///< §7.2 step 7: member of another campaign and cross-campaign is skip
  // Only the server says these.
  duplicate_in_request,  ///< §7.2 step 2 (cannot happen for our batches; kept for accounting)
  rejected_by_server,    ///< a 400/422 named this lead; reason holds the server's message
  server_skipped,        ///< counted by the server under a reason we cannot pin on one lead
  // Never sent, or sent without an answer that says what happened.
  not_imported_lead_credit,        ///< the account ran out of lead credit (§7.2 step 8 included)
  not_imported_retries_exhausted,  ///< the batch ran out of retries (5xx, timeouts, 429s)
  not_imported_stopped,            ///< the job stopped (signal, fatal error) before sending it
  not_imported_auth,               ///< 401/403: the key was refused
  not_imported_campaign_missing,   ///< 404: the campaign does not exist for this key
};

inline constexpr std::size_t outcome_count =
    static_cast<std::size_t>(outcome::not_imported_campaign_missing) + 1;

/// Stable snake_case name of an outcome, as written in outcome files and report keys.
[[nodiscard]] std::string_view name(outcome o) noexcept;

/// Inverse of name(); std::nullopt for an unknown name. Thread-safe.
[[nodiscard]] std::optional<outcome> outcome_from_name(std::string_view n) noexcept;

/// Who decided the outcome: leadpipe before sending, or the server's answer.
enum class decided_by : std::uint8_t { local, server };

/// Counts per outcome; the report owns one. Not thread-safe.
struct outcome_counts {
  std::array<std::uint64_t, outcome_count> n{};
  void add(outcome o, std::uint64_t k = 1) { n[static_cast<std::size_t>(o)] += k; }
  [[nodiscard]] std::uint64_t operator[](outcome o) const { return n[static_cast<std::size_t>(o)]; }
  [[nodiscard]] std::uint64_t total() const;
};

}  // namespace leadpipe
