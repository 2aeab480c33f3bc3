#pragma once
// The send stage's rate limiter: one per API key, shared by every sender. It mirrors the server's
// fixed windows (contract §3.2) from its own send times and the X-RateLimit-* headers, so that the
// senders use the whole budget without a 429, and it pauses every sender after a 429 (§3.5).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "leadpipe/rate_rules.hpp"

namespace leadpipe {

using steady_time = std::chrono::steady_clock::time_point;

/// The rate-limit header values of one response, already parsed (parse_rate_limit_headers in
/// import_response.hpp reads them from header text). Any of them may be absent.
struct rate_limit_headers {
  std::optional<std::int64_t> limit;      ///< X-RateLimit-Limit: the primary rule's limit
  std::optional<std::int64_t> remaining;  ///< X-RateLimit-Remaining after this request
  /// X-RateLimit-Reset as sent: above 1e9 an epoch second (rounded up, so only an upper bound of
  /// the window's end), otherwise a number of seconds to wait.
  std::optional<std::int64_t> reset;
  std::optional<std::chrono::milliseconds> retry_after;  ///< Retry-After (429 only), as a delay
};

/// Settings of a rate_limiter. The defaults are the product's choices, not the contract's advice.
struct rate_limiter_options {
  /// The configured rules (§3.1); the first is the primary one the headers describe. Empty means
  /// unlimited: try_acquire always grants, but 429 pauses still apply.
  rate_rules rules;
  /// Share of each rule's limit the limiter lets through per window, in (0, 1]. §3.5 advises 0.8;
  /// the default is 1.0 because the product's goal is to use the budget to the last request, and
  /// mirroring the server's windows (not slack) is what keeps it free of 429s. Lower it when other
  /// tools share the API key.
  double pacing_fraction = 1.0;
  /// Pause after a window's end before the next window may start, and guard band before the end
  /// in which no request is started (a request sent then might reach the server after its window
  /// ended and open the next one early). It must cover the difference between the forward
  /// (client-to-server) delays of two requests, not the delay itself: the server's windows and
  /// ours are both shifted by the forward delay. That difference cannot be measured from the
  /// client (a round trip mixes it with server time), so it is a setting: the margin of a rule is
  /// min(window_margin, window * window_margin_fraction), 50 ms for windows of 10 s and longer,
  /// 5 ms for 1 s windows, so that margins cost at most 0.5% of the budget.
  std::chrono::milliseconds window_margin{50};
  double window_margin_fraction = 0.005;
  /// 429 without Retry-After or Reset: wait first_429_wait, doubling per consecutive 429 of the
  /// same request up to max_429_wait; every 429 wait gets 0..max_429_jitter added.
  std::chrono::milliseconds first_429_wait{2000};
  std::chrono::milliseconds max_429_wait{60000};
  std::chrono::milliseconds max_429_jitter{500};
  /// A request that has received this many consecutive 429s is given up.
  std::uint32_t max_consecutive_429 = 8;
  /// Latency assumed by target_in_flight before any response was measured.
  std::chrono::milliseconds initial_latency{1000};
  /// Adaptive pacing, for limits the headers do not describe (a reverse proxy's leaky bucket in
  /// front of the API answering 502/503/504, or a 429 without X-RateLimit-* headers): each such
  /// overload halves the request rate (measured over the last `overload_horizon` when pacing is
  /// off) and spaces permits evenly at the new rate; every answer then adds 1/`recovery_answers`
  /// of the primary rule's average rate, up to that rate (pacing then stays on at it: evenly
  /// spaced requests still use the whole budget of fixed windows). One cut per round trip:
  /// overloads of requests sent before the last cut are old news. Never below one request per
  /// `slowest_pace`.
  std::chrono::milliseconds overload_horizon{5000};
  double recovery_answers = 25;
  std::chrono::milliseconds slowest_pace{30000};
  std::uint64_t seed = 0x5eed;  ///< seeds the jitter generator (deterministic tests)
};

/// Outcome of try_acquire: either the request may go now (its budget is already taken, even if
/// it then never leaves) or the caller waits until `retry_at` and asks again (another sender may
/// take the slot first).
struct acquire_result {
  bool granted = false;
  /// Granted: the send time recorded, to pass back as `sent`. Refused: when to ask again.
  steady_time retry_at{};
};

/// Outcome of on_429: when the request may be resent, or that it is given up.
struct rate_limited_verdict {
  bool give_up = false;
  steady_time retry_at{};  ///< end of the pause every sender now observes
};

/// Figures for the report.
///
/// "The run's windows" of a rule are the windows §3.2 opens over this limiter's send times (a
/// window opens at the first send at or after the previous window's end). The requests a rule
/// allowed in the run are its limit times the run's span in windows, where the span runs from the
/// first window's start to the last window's end: idle time between windows (a pause after a 429,
/// the margins, a sender with nothing to send) counts as the fraction of a window it lasted, and
/// the last window counts whole even if the job ended inside it. `requests_allowed` is the minimum
/// of that over the rules (a request must fit every rule). `use` is, for the rule the run came
/// closest to, the requests counted in its windows less those refused (a 429 uses no budget,
/// contract §3.2) over the requests it allowed (a rule adopted from the server's answers counts
/// from its adoption).
/// Both are 0 before the first request and for unlimited rules.
struct rate_limiter_stats {
  std::uint64_t requests = 0;           ///< permits granted (each is a request sent)
  std::uint64_t rate_limited = 0;       ///< 429 answers seen
  std::chrono::milliseconds paused{0};  ///< total length of the 429 pauses, overlaps merged
  double requests_allowed = 0;
  double use = 0;
  std::chrono::milliseconds mean_latency{0};  ///< moving average of send-to-answer time
  std::uint64_t overloads = 0;  ///< overload answers seen (see on_overload)
  std::uint64_t pace_cuts = 0;  ///< times adaptive pacing halved the rate
  /// 429s with Retry-After but no X-RateLimit-* header that turned on even pacing at the rules'
  /// rate (less 2%): a limit that may count a sliding window (0 or 1).
  std::uint64_t paced_after_429 = 0;
  /// Requests per second adaptive pacing allows now; 0 when it is off (no overload seen).
  double paced_rate = 0;
  /// The last X-RateLimit-Limit the server sent: its primary rule's limit.
  std::optional<std::int64_t> server_limit;
  /// The longest time to its window's end a Reset header announced: a bound of the server's
  /// window (a 1 s window never announces more than 1 s).
  std::optional<std::chrono::milliseconds> longest_reset;
  /// Windows of ours made to last until the server's Reset: answers with Remaining 0 named an
  /// end past ours (the server's window is longer than --rate-limit's).
  std::uint64_t windows_extended = 0;
  /// The server's primary rule, when its X-RateLimit-Limit was below the configured primary
  /// rule's and the limiter kept to it from then on: the limit, and a bound of its window from
  /// X-RateLimit-Reset (see rate_limiter's class comment).
  std::optional<rate_rule> adopted_rule;
};

/// A warning when the server's X-RateLimit-Limit differs from the configured primary rule's
/// limit: a higher one leaves budget unused, a lower one was adopted (or invites 429s). The
/// setting it names
/// keeps the configured window unless the Reset headers showed a shorter one (a Pro account's
/// 20 per second left at the default 60 per minute). Empty when they agree or nothing was seen.
/// Thread-safe.
[[nodiscard]] std::string limit_mismatch_warning(const rate_rules& configured,
                                                 const rate_limiter_stats& stats);

/// One rate limiter per API key. Every method takes the current time (steady clock; epoch
/// milliseconds of the system clock where a Reset header must be converted), so it never reads a
/// clock itself and tests drive it with a fake one. Thread-safe: every public method locks an
/// internal mutex, so senders on several threads may share one instance.
///
/// How it avoids 429s while using the whole budget: for each rule it keeps the current window
/// (start, end, requests counted) the way the server would, from its own send times, and lets
/// requests go at once while the window has budget (bursts are free under fixed windows). A
/// request counts against the window it was sent in, whether or not it was answered. The
/// primary rule also learns from the headers: Remaining == limit - 1 names the request that
/// opened a server window, and our window is rebuilt from that request's send time whenever the
/// server's window would reach into ours; a Remaining lower than our count raises it (another
/// client on the key); until some answer has named an opener, Reset bounds the end of the window
/// (one a previous run may have opened). After a 429 the primary window counts as full, since
/// our picture was wrong, except that a Remaining above 0 clears it, and one equal to the limit
/// (the server's window is empty) restarts it with the sends after the refused one; without
/// Remaining it ends with the 429's pause. Longer rules keep their counts: the pause covers the
/// refusing window, whichever rule it belongs to.
///
/// A server whose X-RateLimit-Limit is below the configured primary rule's limit has a stricter
/// rule than configured: the first answer to a request that opened one of its windows (Remaining
/// = Limit - 1) makes the limiter adopt it (its limit, its window bounded from Reset; see
/// adopt_server_rule), as a new primary rule when the window is shorter than ours, the
/// configured rules staying in force as well.
///
/// A 429 with Remaining 0 to a request sent in the first tenth of our primary window means the
/// server's windows begin later than ours by more than the guard band: the primary rule's band
/// doubles (up to 2% of its window) for the rest of the run.
///
/// Memory: the send times of the last two primary windows plus two minutes.
class rate_limiter {
 public:
  /// Throws std::invalid_argument for a pacing fraction outside (0, 1] or negative durations
  /// (a start-up error).
  explicit rate_limiter(rate_limiter_options options);

  /// Takes one request's budget from every rule if a request may start at `now`; otherwise says
  /// when to ask again (the end of a pause, or of the full window plus its margin). Times from
  /// threads that read the clock before locking may arrive slightly out of order: a `now` before
  /// the last recorded send is taken as that send's time.
  [[nodiscard]] acquire_result try_acquire(steady_time now);

  /// A permit try_acquire granted was not used after all (its request was held back): it stays
  /// counted in the windows, which only makes the limiter more careful, but not in the report's
  /// `requests` nor in `use`.
  void unsent();

  /// When a request could next start, without taking budget.
  [[nodiscard]] steady_time next_allowed(steady_time now) const;

  /// Reports the answer (any status but 429) to a request granted at `sent`, received at
  /// `received`, with its rate-limit headers; `received_epoch_ms` is the system clock at
  /// `received` (converts an epoch Reset).
  /// `written`, when known, is when the request actually left (after any connection set-up):
  /// a request that opened a server window opened it then, not at its permit.
  void on_response(steady_time sent, steady_time received, const rate_limit_headers& headers,
                   std::int64_t received_epoch_ms, std::optional<steady_time> written = {});

  /// Reports a 429 to a request granted at `sent`. `consecutive` counts the 429s this request has
  /// received in a row, this one included. Pauses every sender until Retry-After, else the Reset
  /// time, else 2 s doubling per consecutive 429 up to 60 s, plus 0-500 ms jitter; gives the
  /// request up once `consecutive` reaches max_consecutive_429 (the pause still applies). A wait
  /// the headers ask for is cut to 24 hours.
  [[nodiscard]] rate_limited_verdict on_429(steady_time sent, steady_time received,
                                            const rate_limit_headers& headers,
                                            std::int64_t received_epoch_ms,
                                            std::uint32_t consecutive);

  /// Reports an answer that says the server or a proxy in front of it is overloaded (502, 503,
  /// 504) to a request granted at `sent`; call it after on_response. Halves the paced rate (see
  /// rate_limiter_options::overload_horizon) and, when the answer carries Retry-After, pauses
  /// every sender until then (plus jitter), as for a 429.
  void on_overload(steady_time sent, steady_time received, const rate_limit_headers& headers);

  /// End of the current 429 pause (a time in the past when there is none).
  [[nodiscard]] steady_time paused_until() const;

  /// Requests to keep in flight so the rate, not the latency, is the bottleneck (Little's law:
  /// the rules' long-run rate times the measured mean latency, with 25% headroom, plus one),
  /// clamped to [1, max_in_flight]. Unlimited rules give max_in_flight.
  [[nodiscard]] std::size_t target_in_flight(std::size_t max_in_flight) const;

  /// The report's figures (see rate_limiter_stats).
  [[nodiscard]] rate_limiter_stats stats() const;

 private:
  using duration = std::chrono::steady_clock::duration;

  struct rule_state {
    rate_rule rule;
    std::uint32_t limit = 0;  // after pacing
    duration margin{};
    bool open = false;
    steady_time start{};
    steady_time end{};
    std::uint32_t used = 0;
    // The server's Reset when an answer said Remaining 0 for a window longer than ours: the
    // window it was said of lasts at least until then, even if an earlier answer (its opener,
    // read later) re-dates it.
    steady_time reset_floor{};
    // §3.2 windows over the send times, for the report's use figure.
    bool used_any = false;
    steady_time first_start{};
    steady_time last_start{};
    std::uint64_t sent = 0;  // requests counted in its windows, less those refused (429)
  };

  [[nodiscard]] rule_state state_of(const rate_rule& rule) const;
  void set_max_rate();
  void adopt_server_rule(steady_time sent, steady_time received, const rate_limit_headers& h,
                         std::int64_t received_epoch_ms, std::optional<steady_time> written);
  [[nodiscard]] steady_time earliest(const rule_state& r, steady_time now) const;
  void count_send(rule_state& r, steady_time t);
  void learn(steady_time sent, steady_time received, const rate_limit_headers& h,
             std::int64_t received_epoch_ms, bool counted, std::optional<steady_time> written = {});
  void replay_from(rule_state& r, steady_time opener_sent, steady_time opener_arrived);
  void restart_after(rule_state& r, steady_time sent);
  void prune_sends(steady_time now);
  void note_latency(steady_time sent, steady_time received);
  void cut_pace(steady_time sent, steady_time now);
  void pause_for(steady_time received, std::chrono::milliseconds wait);
  void trim_grants(steady_time now);
  [[nodiscard]] steady_time paced(steady_time now) const;
  [[nodiscard]] double pace_ceiling() const;  // the fastest pacing may go
  [[nodiscard]] std::optional<steady_time> reset_time(const rate_limit_headers& h,
                                                      steady_time received,
                                                      std::int64_t received_epoch_ms) const;

  mutable std::mutex mutex_;
  rate_limiter_options options_;
  std::vector<rule_state> rules_;
  std::deque<steady_time> sends_;  // recent send times, oldest first (primary rule replays)
  steady_time paused_until_{};
  std::mt19937_64 rng_;
  rate_limiter_stats stats_;
  bool synced_ = false;  // an answer has named the opener of one of our primary windows
  bool adopted_ = false;  // the server's stricter primary rule was taken (adopt_server_rule)
  bool adopted_window_rule_ = false;  // ... as a new primary rule (its window is refined)
  double latency_ms_ = 0;
  bool latency_known_ = false;
  // Adaptive pacing: permits at least pace_ apart (zero: off), rate grows by pace_step_ per
  // answer up to max_rate_ (requests per second).
  duration pace_{};
  double pace_step_ = 0;
  double max_rate_ = 0;
  bool sliding_guard_ = false;  // pacing stays 2% under max_rate_ (a limit that may slide)
  steady_time last_grant_{};
  steady_time cut_at_{};
  std::deque<steady_time> grants_;  // permits of the last overload_horizon
};

/// True for the answers rate_limiter::on_overload is for: 502 and 503 (a proxy or server that
/// cannot take more just now). Not 504: a gateway that timed out waiting for a slow answer says
/// the answers take too long (a batch size matter), and slowing the rate would not make them
/// quicker, only stretch the job. Thread-safe.
[[nodiscard]] constexpr bool is_overload_status(int status) noexcept {
  return status == 502 || status == 503;
}

/// The system clock now, in epoch milliseconds (converts Reset headers; cache ages). Thread-safe.
[[nodiscard]] std::int64_t epoch_now_ms();

/// How long sending `requests` requests takes under `options` if every one were answered at
/// once: the time from the first send to the last, as this limiter would pace them (windows,
/// margins, pacing fraction). A lower bound of a run's sending time, for dry-run estimates.
/// Takes O(requests) steps. Zero for unlimited rules or fewer than two requests. Thread-safe.
[[nodiscard]] std::chrono::milliseconds time_to_send(const rate_limiter_options& options,
                                                     std::uint64_t requests);

}  // namespace leadpipe
