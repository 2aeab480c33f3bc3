#pragma once
// The send stage: K sender coroutines on one io_context, each owning one keep-alive connection,
// its buffers and its response parser, all sharing one rate limiter, one retry policy and the
// ledger. Every answer is turned into one settled outcome per lead.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "batch_queue.hpp"
#include "leadpipe/batch.hpp"
#include "leadpipe/ledger.hpp"
#include "leadpipe/net/connection.hpp"
#include "leadpipe/rate_limiter.hpp"
#include "leadpipe/retry_policy.hpp"

namespace leadpipe::net {

/// What the senders need to know. Plain data.
struct send_config {
  endpoint ep;
  std::string api_key;  ///< goes into the query string only; never logged
  std::int64_t campaign_id = 0;
  import_settings settings;
  std::size_t max_in_flight = 8;
  timeouts limits;
  /// Resumed job: leads up to this line may have landed in the earlier run, so a resend that
  /// finds them already in the campaign counts them added (confirmed on retry).
  std::uint64_t maybe_landed_up_to = 0;
};

/// Why the job stopped early, when it did: the outcome given to every lead not sent.
struct job_stop {
  outcome what = outcome::not_imported_stopped;
  std::string message;
};

/// Live counters for the progress line (read from another thread).
struct send_progress {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> leads_sent{0};
  std::atomic<std::uint64_t> added{0};
  std::atomic<std::uint64_t> skipped{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> in_flight{0};
};

/// Runs on the io_context's thread only (start() and everything after it); stats are read after
/// io_context::run() returned.
class sender_pool {
 public:
  sender_pool(boost::asio::io_context& io, boost::asio::ssl::context* tls, send_config cfg,
              rate_limiter& limiter, retry_policy& retry, ledger& led, batch_queue& queue,
              std::atomic<std::size_t>& batch_cap);
  ~sender_pool();
  sender_pool(const sender_pool&) = delete;
  sender_pool& operator=(const sender_pool&) = delete;

  /// Spawns the senders.
  void start();
  /// Graceful stop: no new request starts; requests in flight finish. Safe from the io thread.
  void request_stop(job_stop why);
  /// Second stop: abandon requests in flight too (their leads are not imported).
  void abandon();

  /// True once every sender has returned.
  [[nodiscard]] bool finished() const { return running_ == 0; }
  /// The first stop reason, once set (fatal answers, signals). Read after run() returned, or
  /// through `stopping()` from the CPU thread.
  [[nodiscard]] const std::optional<job_stop>& stopped() const { return stop_; }
  [[nodiscard]] const std::atomic<int>& stop_outcome() const { return stop_outcome_; }

  /// Requests by HTTP status ("200", "429", "transport_error"), batches settled, resends.
  std::map<std::string, std::uint64_t> requests_by_status;
  std::uint64_t batches = 0;
  std::uint64_t resends = 0;
  /// Leads settled not_imported_stopped although an earlier attempt of their batch got no
  /// answer (or a 5xx after the work): they may be in the campaign; --resume confirms them.
  std::uint64_t stopped_maybe_landed = 0;
  /// Leads given up on (retries exhausted) after an attempt whose answer was lost.
  std::uint64_t gave_up_maybe_landed = 0;
  /// 413 answers (a body over a proxy's or server's size limit) and the smallest refused body.
  std::uint64_t too_large = 0;
  std::size_t smallest_refused_body = 0;
  std::size_t largest_accepted_body = 0;  ///< of the add-leads requests answered 2xx
  /// Requests written whose answer did not come within --request-timeout.
  std::uint64_t answer_timeouts = 0;
  /// 504 answers: a gateway gave up waiting for the API (see gateway_timeout_warning).
  std::uint64_t gateway_timeouts = 0;
  std::map<std::string, std::uint64_t> unattributed;  ///< counter-only skips, by reason
  /// Leads settled `added` (reason by_count) in batches whose answer also counted skips it
  /// named no lead for: the split between them follows the batch's order, not the server.
  std::uint64_t guessed_added = 0;
  /// Requests held back at the last moment because a 429 pause began while their connection
  /// opened (they went out after the pause, on a new permit).
  std::uint64_t held_for_pause = 0;
  send_progress progress;

 private:
  struct work {
    batch b;
    std::string body;
    bool maybe_landed = false;
    std::uint32_t retries = 0;
    std::uint32_t consecutive_429 = 0;
    bool dispatched = false;
    std::uint32_t timed_out = 0;  // attempts sent whose answer did not come in time
  };
  struct sender;

  boost::asio::awaitable<void> run_sender(std::size_t index);
  boost::asio::awaitable<std::optional<work>> next_work();
  boost::asio::awaitable<void> send(sender& s, work w);
  boost::asio::awaitable<bool> sleep_until(std::chrono::steady_clock::time_point t);
  /// After a retryable failure: waits out the backoff and returns true (resend), or settles the
  /// batch as not imported (retries exhausted, or the job stopping) and returns false.
  boost::asio::awaitable<bool> back_off(work& w, std::chrono::steady_clock::time_point failed_at,
                                        std::string reason, std::string detail);
  boost::asio::awaitable<void> wait_for_slot();
  void settle_answer(work& w, std::string_view body, sender& s);
  void settle_stopped(const work& w);
  void requeue_front(work w);
  void requeue_in_pieces(const work& w, std::size_t size);
  void note_bad_answer(const std::string& why, std::string_view advice);
  work make_work(batch b, bool maybe_landed);
  [[nodiscard]] bool stopping() const { return stop_.has_value(); }
  void stop_fatal(outcome what, std::string message);

  boost::asio::io_context& io_;
  boost::asio::ssl::context* tls_;
  send_config cfg_;
  rate_limiter& limiter_;
  retry_policy& retry_;
  ledger& ledger_;
  batch_queue& queue_;
  std::atomic<std::size_t>& batch_cap_;
  std::uint64_t good_answers_ = 0;          // 2xx add-leads answers that settled leads
  std::uint64_t bad_answers_in_a_row_ = 0;  // 2xx answers unreadable or refusing the call
  std::deque<work> redo_;  // re-cut batches, sent before new ones
  std::vector<std::unique_ptr<sender>> senders_;
  boost::asio::steady_timer wake_;  // cancelled when a slot frees, work is requeued or on stop
  std::optional<job_stop> stop_;
  std::atomic<int> stop_outcome_{-1};
  std::size_t in_flight_ = 0;
  std::size_t running_ = 0;
  std::string target_;
};

}  // namespace leadpipe::net
