#include "leadpipe/ledger.hpp"

#include <vector>

#include <fmt/format.h>

namespace leadpipe {

ledger::ledger(report& rep, outcome_files& files, journal_writer* journal)
    : rep_(rep), files_(files), journal_(journal) {}

void ledger::local(const row_result& r) {
  std::lock_guard lock(mutex_);
  files_.write(r);
  rep_.count(r.what, r.by);
  // Raised under the lock that wrote the row, so no checkpoint sees the row without it.
  advance_watermark(r.line);
}

journal_checkpoint ledger::checkpoint_locked() {
  files_.flush(false);  // into the page cache: survives the process being killed
  return {watermark_.load(std::memory_order_acquire), files_.outcomes_size(),
          files_.rejects_size()};
}

void ledger::dispatched(const batch& b) {
  if (journal_ == nullptr || b.leads.empty()) return;
  std::lock_guard lock(mutex_);
  std::uint64_t hi = 0;
  for (const auto& l : b.leads) hi = std::max(hi, l.line);
  journal_->record_dispatch(b.id, hi);
}

void ledger::settle(const batch& b, std::span<const lead_settlement> settle, bool durable) {
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> lines;
  lines.reserve(b.leads.size());
  for (std::size_t i = 0; i < b.leads.size(); ++i) {
    const batch_lead& l = b.leads[i];
    const lead_settlement& s = settle[i];
    row_result r;
    r.line = l.line;
    r.email = l.email;
    r.what = s.what;
    r.reason = s.reason;
    r.detail = s.detail;
    r.by = s.by;
    r.batch = b.id;
    files_.write(r);
    rep_.count(s.what, s.by);
    // Once frozen (a stop), settlements are no longer journaled: a resumed run redoes these
    // rows, and it can only confirm them as added if the cache does not list them already.
    if (on_member && !frozen_ && s.by == decided_by::server &&
        (s.what == outcome::added || s.what == outcome::already_in_campaign)) {
      on_member(l.email);
    }
    lines.push_back(l.line);
  }
  settled_leads_ += b.leads.size();
  if (!durable) frozen_ = true;
  if (durable && !frozen_ && journal_ != nullptr) {
    journal_->record_batch(b.id, lines, checkpoint_locked());
  }
}

void ledger::settle_all(const batch& b, outcome what, std::string_view reason,
                        std::string_view detail, bool durable) {
  std::vector<lead_settlement> s(b.leads.size(),
                                 lead_settlement{what, decided_by::local, reason, detail});
  settle(b, s, durable);
}

void ledger::freeze() {
  std::lock_guard lock(mutex_);
  frozen_ = true;
}

void ledger::finish() {
  std::lock_guard lock(mutex_);
  const journal_checkpoint cp = checkpoint_locked();
  if (journal_ != nullptr && !frozen_) journal_->record_finished(cp);
}

void ledger::flush() {
  std::lock_guard lock(mutex_);
  files_.flush(false);
}

std::uint64_t ledger::settled_leads() const {
  std::lock_guard lock(mutex_);
  return settled_leads_;
}

}  // namespace leadpipe
