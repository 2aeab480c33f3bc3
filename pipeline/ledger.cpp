#include "leadpipe/ledger.hpp"

#include <vector>

#include <fmt/format.h>

namespace leadpipe {

ledger::ledger(report& rep, outcome_files& files, journal_writer* journal)
    : rep_(rep), files_(files), journal_(journal) {}

void ledger::local(const row_result& r) {
  std::lock_guard lock(mutex_);
  // Counted first: a row the pipeline decided is in the report even when its line cannot be
  // written, so that the report of a job stopped by a full disk still adds up.
  rep_.count(r.what, r.by);
  write_locked(r);
  // Raised under the lock that wrote the row, so no checkpoint sees the row without it.
  advance_watermark(r.line);
}

journal_checkpoint ledger::checkpoint_locked() {
  files_.flush(false);  // into the page cache: survives the process being killed
  return {watermark_.load(std::memory_order_acquire), files_.outcomes_size(),
          files_.rejects_size()};
}

template <class Write>
void ledger::guarded_locked(Write&& write) {
  try {
    write();
  } catch (const std::exception& e) {
    // The first failure freezes the ledger: nothing more is written, journaled or cached.
    frozen_ = true;
    if (!failure_) failure_ = e.what();
    throw ledger_error(*failure_);
  }
}

void ledger::write_locked(const row_result& r) {
  if (!failure_) guarded_locked([&] { files_.write(r); });
}

void ledger::dispatched(const batch& b) {
  if (journal_ == nullptr || b.leads.empty()) return;
  std::lock_guard lock(mutex_);
  if (failure_) return;
  std::uint64_t hi = 0;
  for (const auto& l : b.leads) hi = std::max(hi, l.line);
  guarded_locked([&] { journal_->record_dispatch(b.id, hi); });
}

void ledger::settle(const batch& b, std::span<const lead_settlement> settle, bool durable) {
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> lines;
  lines.reserve(b.leads.size());
  std::vector<std::pair<std::string_view, outcome>> members;
  bool failed_here = false;
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
    rep_.count(s.what, s.by);
    try {
      write_locked(r);
    } catch (const ledger_error&) {
      failed_here = true;  // every lead is still counted; the error is thrown below
    }
    if (s.by == decided_by::server &&
        (s.what == outcome::added || s.what == outcome::already_in_campaign ||
         s.what == outcome::blocked || s.what == outcome::unsubscribed ||
         s.what == outcome::in_other_campaign)) {
      members.emplace_back(l.email, s.what);
    }
    lines.push_back(l.line);
  }
  settled_leads_ += b.leads.size();
  if (failed_here) throw ledger_error(*failure_);
  if (!durable) frozen_ = true;
  if (frozen_) return;
  if (journal_ != nullptr) {
    guarded_locked([&] { journal_->record_batch(b.id, lines, checkpoint_locked()); });
  }
  // Only a journaled batch may be cached: a resumed run redoes any other, and confirms its
  // leads as added only if the cache does not list them already.
  if (on_member) {
    for (const auto& [email, what] : members) on_member(email, what);
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
  if (failure_) return;
  guarded_locked([&] {
    const journal_checkpoint cp = checkpoint_locked();
    if (journal_ != nullptr && !frozen_) journal_->record_finished(cp);
  });
}

void ledger::flush() {
  std::lock_guard lock(mutex_);
  if (failure_) return;
  guarded_locked([&] { files_.flush(false); });
}

std::optional<std::string> ledger::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::uint64_t ledger::settled_leads() const {
  std::lock_guard lock(mutex_);
  return settled_leads_;
}

}  // namespace leadpipe
