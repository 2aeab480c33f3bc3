#pragma once
// The import's book of outcomes: the one place where rows are settled, shared by the CPU thread
// (local outcomes) and the network thread (what the server said). It owns the order of writes
// that makes crash recovery exact: outcome files first, flushed, then the journal record that
// names how long they were.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "leadpipe/batch.hpp"
#include "leadpipe/journal.hpp"
#include "leadpipe/outcome_files.hpp"
#include "leadpipe/report.hpp"

namespace leadpipe {

/// The settled outcome of one lead of a batch.
struct lead_settlement {
  outcome what = outcome::added;
  decided_by by = decided_by::server;
  std::string_view reason;  ///< machine word ("blocked", "confirmed_on_retry", ...)
  std::string_view detail;  ///< server message or explanation
};

/// Thread-safe: every method takes an internal mutex. Borrows the report, the files and the
/// journal, which must outlive it.
class ledger {
 public:
  ledger(report& rep, outcome_files& files, journal_writer* journal);

  /// A row settled locally (CPU thread).
  void local(const row_result& r);
  /// The CPU side has processed every row up to `line` (settled locally or handed to a batch).
  /// Never lowers it: a resumed run skips rows the earlier run settled without passing here,
  /// and a checkpoint must not name less than the outcome files already hold.
  void advance_watermark(std::uint64_t line) {
    std::uint64_t cur = watermark_.load(std::memory_order_relaxed);
    while (cur < line &&
           !watermark_.compare_exchange_weak(cur, line, std::memory_order_release,
                                             std::memory_order_relaxed)) {
    }
  }
  /// A batch about to be sent (first attempt): journaled without a sync, so that a resumed run
  /// knows which leads may have landed.
  void dispatched(const batch& b);
  /// Every lead of `b` has its final outcome (`settle[i]` for b.leads[i]): writes them, counts
  /// them, flushes the files and appends the durable journal record (checkpoint = watermark and
  /// file sizes) when `durable` (false for leads settled because the job is stopping, which a
  /// resumed run must redo).
  void settle(const batch& b, std::span<const lead_settlement> settle, bool durable);
  /// Settles every lead of `b` with the same outcome (not imported, rejected...).
  void settle_all(const batch& b, outcome what, std::string_view reason, std::string_view detail,
                  bool durable);
  /// From now on no settlement is journaled (the job is stopping): whatever is written after the
  /// last durable record is redone by a resumed run, so nothing may be marked durable after a
  /// non-durable settlement.
  void freeze();
  /// Writes the journal's finish record (the job needs no resume). Flushes the files first.
  void finish();
  /// Flushes the outcome files (no journal record).
  void flush();

  [[nodiscard]] std::uint64_t settled_leads() const;
  /// Why writing an outcome file or the journal failed (a full disk, an I/O error), once it
  /// has: the method that met the failure threw it as ledger_error; from then on the ledger is
  /// frozen, writes nothing more and only counts (so the report still adds up), and the job
  /// must stop (exit 3).
  [[nodiscard]] std::optional<std::string> failure() const;

  /// Called (under the ledger's lock, from whichever thread settles) with the sent address of
  /// every lead the server added or skipped for a list (already in the campaign, blocked,
  /// unsubscribed, in another campaign), and that outcome, once its batch is journaled: the
  /// import adds them to the cached sets, so that a rerun does not send them again. Not called
  /// for a batch that is not journaled (settled after a stop, or whose files or journal record
  /// could not be written): those rows are redone on --resume, which confirms them as added
  /// only if the cache does not list them. Set before the job starts.
  std::function<void(std::string_view sent_email, outcome what)> on_member;

 private:
  journal_checkpoint checkpoint_locked();
  // Runs `write`; an exception from it freezes the ledger, is kept (the first one) and thrown
  // as ledger_error.
  template <class Write>
  void guarded_locked(Write&& write);
  // Writes `r` unless a write failed before.
  void write_locked(const row_result& r);
  mutable std::mutex mutex_;
  report& rep_;
  outcome_files& files_;
  journal_writer* journal_;
  std::atomic<std::uint64_t> watermark_{0};
  std::uint64_t settled_leads_ = 0;
  bool frozen_ = false;
  std::optional<std::string> failure_;
  std::string detail_scratch_;
};

/// What a ledger method throws when an outcome file or the journal cannot be written.
class ledger_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace leadpipe
