#pragma once
// Stage "batch": packs accepted leads into add-leads request bodies (contract §6.1) of at most
// 400 leads and a byte cap, serialised once, straight into JSON. Each lead's JSON object is kept
// as a span of the batch's buffer so a batch can be re-cut (split in halves, leads set aside)
// without re-reading the input.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "leadpipe/mapping.hpp"

namespace leadpipe {

/// The five import settings of §6.1, always sent explicitly.
struct import_settings {
  bool ignore_global_block_list = false;
  bool ignore_unsubscribe_list = false;
  bool ignore_community_bounce_list = false;
  bool ignore_duplicate_leads_in_other_campaign = false;
  bool return_lead_ids = true;
};

/// The largest number of leads one add-leads call may carry (contract §6.1).
inline constexpr std::size_t max_batch_leads = 400;

/// One lead inside a batch: where it came from and what was sent for it.
struct batch_lead {
  std::uint64_t line = 0;    ///< input line of the row
  std::string email;         ///< sent form (policy stage 8)
  std::uint32_t begin = 0;   ///< its JSON object within batch::leads_json
  std::uint32_t end = 0;
};

/// A packed batch. Value type; owns its buffers.
struct batch {
  std::uint64_t id = 0;           ///< sequence number, 1-based, unique within a job
  std::vector<batch_lead> leads;
  std::string leads_json;         ///< the lead objects back to back, no separators

  /// The request body for all leads, or for the leads at `subset` (indexes into `leads`).
  [[nodiscard]] std::string body(const import_settings& s) const;
  [[nodiscard]] std::string body(const import_settings& s,
                                 std::span<const std::size_t> subset) const;
  /// A new batch holding only the leads at `subset` (same id), for resending part of it.
  [[nodiscard]] batch subset(std::span<const std::size_t> subset) const;
  [[nodiscard]] std::size_t size() const { return leads.size(); }
};

struct batch_options {
  std::size_t max_leads = max_batch_leads;  ///< clamped to 1..400
  std::size_t max_body_bytes = 900'000;     ///< under common proxies' 1 MB body limit
  std::uint64_t first_id = 1;               ///< id of the first batch (a resumed job continues)
};

/// Appends one lead as a JSON object: present standard fields (email as `sent_email`), then
/// `custom_fields` as an object of strings when there are any. Thread-safe.
void append_lead_json(std::string& out, std::string_view sent_email, const lead_view& lead);

/// Collects leads into batches. Not thread-safe; one per job.
class batch_builder {
 public:
  explicit batch_builder(batch_options opts);
  /// Adds a lead. When it would push the open batch past the byte cap, the open batch is closed
  /// first and the lead starts the next one; a batch is also closed when it reaches the lead cap.
  /// Returns true when a closed batch is ready: call take() before the next add(). A lead whose
  /// JSON alone exceeds the byte cap still travels, in a batch of its own.
  bool add(std::uint64_t line, std::string_view sent_email, const lead_view& lead);
  /// Hands over the closed batch (precondition: add() returned true).
  [[nodiscard]] batch take();
  /// Closes and hands over the open batch at the end of the input; empty when it holds no lead.
  [[nodiscard]] batch finish();
  [[nodiscard]] const batch_options& options() const { return opts_; }
  /// Lowers the lead cap for the rest of the job (the server complained about the size).
  void shrink_to(std::size_t max_leads);

 private:
  batch_options opts_;
  void close_current();
  batch current_;
  batch ready_;
  std::uint64_t next_id_ = 1;
  std::string scratch_;
};

}  // namespace leadpipe
