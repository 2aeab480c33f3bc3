#include "leadpipe/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace leadpipe {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// No wait a header asks for is taken longer than this (and nothing overflows a time point).
constexpr milliseconds longest_wait = std::chrono::hours(24);

double to_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Requests per second of permits `gap` apart, and the gap of a rate (both ways for pacing).
double per_second(std::chrono::steady_clock::duration gap) {
  return 1.0 / std::chrono::duration<double>(gap).count();
}
std::chrono::steady_clock::duration gap_of(double per_s) {
  return duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / per_s));
}

}  // namespace

rate_limiter::rate_limiter(rate_limiter_options options)
    : options_(std::move(options)), rng_(options_.seed) {
  if (!(options_.pacing_fraction > 0.0 && options_.pacing_fraction <= 1.0)) {
    throw std::invalid_argument("rate limiter: pacing fraction must be in (0, 1]");
  }
  if (options_.window_margin.count() < 0 || options_.first_429_wait.count() < 0 ||
      options_.max_429_wait.count() < 0 || options_.max_429_jitter.count() < 0 ||
      options_.window_margin_fraction < 0.0 || options_.max_consecutive_429 == 0) {
    throw std::invalid_argument("rate limiter: negative duration or zero 429 limit");
  }
  for (const auto& rule : options_.rules.rules) rules_.push_back(state_of(rule));
  set_max_rate();
  if (options_.recovery_answers < 1 || options_.overload_horizon.count() <= 0 ||
      options_.slowest_pace.count() <= 0) {
    throw std::invalid_argument("rate limiter: bad adaptive pacing settings");
  }
}

rate_limiter::rule_state rate_limiter::state_of(const rate_rule& rule) const {
  rule_state r;
  r.rule = rule;
  r.limit = std::max<std::uint32_t>(
      1, static_cast<std::uint32_t>(std::floor(rule.limit * options_.pacing_fraction)));
  const auto fraction = std::chrono::duration<double, std::milli>(
      static_cast<double>(rule.window.count()) * options_.window_margin_fraction);
  r.margin =
      std::min(duration_cast<duration>(options_.window_margin), duration_cast<duration>(fraction));
  return r;
}

// Pacing never needs to go faster than the primary rule's average rate (longer rules, such as
// an hourly one, bind only long jobs and keep their own windows).
void rate_limiter::set_max_rate() {
  max_rate_ = 1000.0;
  if (!rules_.empty()) {
    const auto& r = rules_.front();
    max_rate_ = std::min(max_rate_, r.limit * 1000.0 / static_cast<double>(duration_cast<milliseconds>(
                                                           r.rule.window).count()));
  }
}

double rate_limiter::pace_ceiling() const { return sliding_guard_ ? max_rate_ * 0.98 : max_rate_; }

steady_time rate_limiter::paced(steady_time now) const {
  if (pace_ == duration::zero()) return now;
  return std::max(now, last_grant_ + pace_);
}

steady_time rate_limiter::earliest(const rule_state& r, steady_time now) const {
  if (!r.open || now >= r.end + r.margin) return now;  // the next send opens a new window
  // Inside the window: fine while budget is left, except in the guard band before its end.
  if (r.used < r.limit && now < r.end - r.margin) return now;
  return r.end + r.margin;
}

void rate_limiter::count_send(rule_state& r, steady_time t) {
  if (!r.open || t >= r.end + r.margin) {
    r.open = true;
    r.start = t;
    r.end = t + r.rule.window;
    r.used = 1;
  } else {
    ++r.used;
  }
  ++r.sent;
  if (!r.used_any) {
    r.used_any = true;
    r.first_start = r.last_start = t;
  } else if (t >= r.last_start + r.rule.window) {
    r.last_start = t;
  }
}

acquire_result rate_limiter::try_acquire(steady_time now) {
  const std::lock_guard lock(mutex_);
  if (!sends_.empty()) now = std::max(now, sends_.back());  // the send log stays sorted
  if (now < paused_until_) return {false, paused_until_};
  steady_time at = paced(now);
  for (const auto& r : rules_) at = std::max(at, earliest(r, now));
  if (at > now) return {false, at};
  for (auto& r : rules_) count_send(r, now);
  last_grant_ = now;
  grants_.push_back(now);
  trim_grants(now);
  if (!rules_.empty()) {
    sends_.push_back(now);
    prune_sends(now);
  }
  ++stats_.requests;
  return {true, now};
}

void rate_limiter::unsent() {
  const std::lock_guard lock(mutex_);
  if (stats_.requests > 0) --stats_.requests;
  for (auto& r : rules_) {
    if (r.sent > 0) --r.sent;  // every rule counted the permit (count_send)
  }
}

steady_time rate_limiter::next_allowed(steady_time now) const {
  const std::lock_guard lock(mutex_);
  steady_time at = std::max(paced(now), paused_until_);
  for (const auto& r : rules_) at = std::max(at, earliest(r, now));
  return at;
}

steady_time rate_limiter::paused_until() const {
  const std::lock_guard lock(mutex_);
  return paused_until_;
}

void rate_limiter::prune_sends(steady_time now) {
  // Keep what a late answer can still refer to: two primary windows plus two minutes (far above
  // any request timeout).
  const auto keep = 2 * rules_.front().rule.window + std::chrono::minutes(2);
  while (!sends_.empty() && sends_.front() + keep < now) sends_.pop_front();
}

void rate_limiter::note_latency(steady_time sent, steady_time received) {
  const double sample = std::max(0.0, to_ms(received - sent));
  latency_ms_ = latency_known_ ? 0.9 * latency_ms_ + 0.1 * sample : sample;
  latency_known_ = true;
}

std::optional<steady_time> rate_limiter::reset_time(const rate_limit_headers& h,
                                                    steady_time received,
                                                    std::int64_t received_epoch_ms) const {
  constexpr std::int64_t epoch_threshold = 1'000'000'000;
  constexpr std::int64_t absurd = 1'000'000'000'000;  // beyond the year 33000 as an epoch
  if (!h.reset || *h.reset < 0 || *h.reset > absurd) return std::nullopt;
  const std::int64_t wait_ms =
      *h.reset > epoch_threshold ? *h.reset * 1000 - received_epoch_ms : *h.reset * 1000;
  return received + std::clamp(milliseconds(wait_ms), milliseconds(0), longest_wait);
}

// Rebuilds the primary rule's current window from the send log, given that the request sent at
// `opener` was the first the server counted in a window. Sends up to one margin before a window's
// start count in it too (they may have arrived after the request that opened it): over-counting
// is the safe direction.
void rate_limiter::replay_from(rule_state& r, steady_time opener_sent, steady_time opener_arrived) {
  // Sends from the opener's permit on are in its window (they left with it or after it); the
  // window itself runs from when the opener actually left.
  auto first = std::lower_bound(sends_.begin(), sends_.end(), opener_sent - r.margin);
  steady_time start = opener_arrived;
  std::uint32_t used = 0;
  for (auto it = first; it != sends_.end(); ++it) {
    if (*it >= start + r.rule.window) {
      start = *it;
      const auto from = std::lower_bound(sends_.begin(), it, start - r.margin);
      used = static_cast<std::uint32_t>(it - from);
    }
    ++used;
  }
  r.open = true;
  r.start = start;
  r.end = start + r.rule.window;
  r.used = used;
  synced_ = true;
}

// The server's window of rule `r` was empty when the request sent at `sent` reached it. The next
// window opens with one of the sends after it: count all of them, and let the window last until
// one window after the latest (the end is unknown until an answer names the opener).
void rate_limiter::restart_after(rule_state& r, steady_time sent) {
  const auto later = std::upper_bound(sends_.begin(), sends_.end(), sent);
  if (later == sends_.end()) {
    r.open = false;
    return;
  }
  r.start = *later;
  r.end = sends_.back() + r.rule.window;
  r.used = static_cast<std::uint32_t>(sends_.end() - later);
}

// The headers describe the server's primary rule (contract §3.3). When its limit is below ours
// (a Pro account's 20 per second left at the default 60 per minute, or a stricter plan than
// configured), our windows would let through more than the server's and every window would end
// in a 429 and a wait for our window's end: the run would keep to the server's limit per OUR
// window. So the server's rule is adopted, once, from the answer to a request that opened one of
// its windows (Remaining = Limit - 1): its limit, and as its window the time from when that
// request left to the end Reset announces (an upper bound: Reset is rounded up, and the server's
// window began when the request arrived). A shorter window than ours becomes a new primary rule
// and ours stays as a secondary one (it is what the user allowed); an equal or longer one only
// lowers our primary rule's limit.
void rate_limiter::adopt_server_rule(steady_time sent, steady_time received,
                                     const rate_limit_headers& h, std::int64_t received_epoch_ms,
                                     std::optional<steady_time> written) {
  rule_state& p = rules_.front();
  if (!h.limit || !h.remaining || *h.limit <= 0 || *h.remaining != *h.limit - 1) return;
  const auto estimate = [&](duration longest) {
    duration window = longest;
    if (const auto until = reset_time(h, received, received_epoch_ms)) {
      const steady_time left =
          written && *written > sent && *written <= received ? *written : sent;
      if (*until > left) window = std::min(window, *until - left);
    }
    // Whole milliseconds, rounded up: the rule is shown in the report's warnings.
    return std::chrono::ceil<milliseconds>(window);
  };
  if (adopted_) {
    // Every later opener's answer bounds the same window from above again (Reset is rounded up
    // to a second, so one answer can overstate it by up to a second): keep the tightest.
    if (adopted_window_rule_ && stats_.adopted_rule &&
        *h.limit == static_cast<std::int64_t>(stats_.adopted_rule->limit)) {
      const milliseconds tighter = estimate(p.rule.window);
      if (tighter < p.rule.window) {
        p.rule.window = tighter;
        p.margin = state_of(p.rule).margin;
        stats_.adopted_rule->window = tighter;
        set_max_rate();
      }
    }
    return;
  }
  if (*h.limit >= static_cast<std::int64_t>(p.rule.limit)) return;
  const auto window_ms = estimate(p.rule.window);
  const rate_rule server{static_cast<std::uint32_t>(*h.limit), window_ms};
  adopted_ = true;
  stats_.adopted_rule = server;
  if (window_ms >= p.rule.window) {
    p.rule.limit = server.limit;
    p.limit = std::min(p.limit, state_of(server).limit);
  } else {
    rules_.insert(rules_.begin(), state_of(server));
    adopted_window_rule_ = true;
  }
  set_max_rate();
}

void rate_limiter::learn(steady_time sent, steady_time received, const rate_limit_headers& h,
                         std::int64_t received_epoch_ms, bool counted,
                         std::optional<steady_time> written) {
  if (rules_.empty() || !h.remaining) return;
  if (counted) adopt_server_rule(sent, received, h, received_epoch_ms, written);
  rule_state& p = rules_.front();
  // Headers of a stricter rule than our primary one (not adopted yet: this answer did not name
  // an opener) describe other windows: their counts and Reset must not shape ours.
  if (h.limit && *h.limit < static_cast<std::int64_t>(p.rule.limit)) return;
  const std::int64_t limit = h.limit.value_or(p.rule.limit);
  const std::int64_t remaining = std::max<std::int64_t>(*h.remaining, 0);
  if (remaining >= limit) {
    // Nothing counted in the server's window: after a refusal that means it has none open, so
    // only our sends after this one can be in the next (a counted answer cannot say this).
    if (!counted && sent >= p.start) restart_after(p, sent);
    return;
  }
  const std::int64_t server_count = limit - remaining;
  if (server_count == 1 && counted) {
    // This request opened a server window. Unless that window ended before ours began, ours
    // must follow it.
    const steady_time left = written && *written > sent && *written <= received ? *written : sent;
    if (left + p.rule.window > p.start) replay_from(p, sent, left);
    // Its window's Remaining 0 may have come first (answers overtake each other).
    if (p.reset_floor > p.start && p.reset_floor > p.end) p.end = p.reset_floor;
    return;
  }
  // Requests of one burst get their permits a few ms apart, and the window is dated from when
  // its opener left: those before it are of the same window.
  if (counted && remaining == 0 && sent + p.rule.window / 4 >= p.start) {
    // No budget left until the server's Reset, which lies past our window's end: its window is
    // longer than ours (10 per 4 s against --rate-limit 10/2s: a 429 per request after the
    // first window, QA). Ours lasts as long (contract §3.5: wait until Reset). Reset is
    // rounded up to a whole second, so only an end more than a second past ours says so.
    if (const auto until = reset_time(h, received, received_epoch_ms);
        until && *until > p.end + std::chrono::seconds(1)) {
      p.end = *until;
      p.reset_floor = *until;
      p.used = std::max(p.used, p.limit);  // and it is full until then
      ++stats_.windows_extended;
    }
  }
  if (sent < p.start) return;  // about a window we have left behind
  const auto server_used = static_cast<std::uint32_t>(
      std::min<std::int64_t>(server_count, std::numeric_limits<std::uint32_t>::max()));
  p.used = std::max(p.used, server_used);
  if (!synced_) {
    // Reset is rounded up to a second: an upper bound of the end. It matters when the server's
    // window opened before our first (a previous run or another client opened it). Once an
    // answer named the opener of one of our windows, ours follow the server's and Reset adds
    // nothing but the risk of describing the window before (answers near a boundary).
    if (const auto until = reset_time(h, received, received_epoch_ms)) {
      p.end = std::max(p.start, std::min(p.end, *until));
    }
  }
}

void rate_limiter::on_response(steady_time sent, steady_time received,
                               const rate_limit_headers& headers, std::int64_t received_epoch_ms,
                               std::optional<steady_time> written) {
  const std::lock_guard lock(mutex_);
  note_latency(sent, received);
  if (headers.limit && *headers.limit > 0) stats_.server_limit = headers.limit;
  if (const auto until = reset_time(headers, received, received_epoch_ms)) {
    const auto left = duration_cast<milliseconds>(*until - received);
    if (!stats_.longest_reset || left > *stats_.longest_reset) stats_.longest_reset = left;
  }
  learn(sent, received, headers, received_epoch_ms, true, written);
  if (pace_ != duration::zero()) {
    // Additive increase: a fixed share of the rate the last cut set, per answer.
    const double rate = per_second(pace_) + pace_step_;
    // Back at the rules' rate, the overload is over: the window model again, which lets a
    // fixed window's budget go at once (even pacing at the average rate would take twice as
    // long on a 60/60s rule, QA). A sliding-window server keeps its even pacing.
    if (rate >= max_rate_ && !sliding_guard_) {
      pace_ = duration::zero();
    } else {
      pace_ = gap_of(std::min(pace_ceiling(), rate));
    }
  }
}

// Pauses every sender until `wait` plus 0..max_429_jitter after `received` (never shortens a
// pause), counting the time added to the pauses.
void rate_limiter::pause_for(steady_time received, milliseconds wait) {
  std::uniform_int_distribution<std::int64_t> jitter(0, options_.max_429_jitter.count());
  const steady_time until = received + wait + milliseconds(jitter(rng_));
  if (until > paused_until_) {
    stats_.paused += duration_cast<milliseconds>(until - std::max(paused_until_, received));
    paused_until_ = until;
  }
}

void rate_limiter::trim_grants(steady_time now) {
  while (!grants_.empty() && grants_.front() + options_.overload_horizon < now) grants_.pop_front();
}

// Multiplicative decrease, once per round trip: an overload of a request sent before the last
// cut says nothing about the rate that cut set.
void rate_limiter::cut_pace(steady_time sent, steady_time now) {
  if (pace_ != duration::zero() && sent < cut_at_) return;
  double rate = 0;
  if (pace_ != duration::zero()) {
    rate = per_second(pace_);
  } else {
    trim_grants(now);
    // Over the horizon, or since the first permit in it when the job is younger (at least 1 s).
    const auto span = grants_.empty() ? options_.overload_horizon
                                      : std::max<duration>(now - grants_.front(), std::chrono::seconds(1));
    rate = std::max<double>(1.0, static_cast<double>(grants_.size())) /
           std::chrono::duration<double>(span).count();
  }
  const double slowest = 1.0 / std::chrono::duration<double>(options_.slowest_pace).count();
  const double next = std::clamp(rate / 2, slowest, pace_ceiling());
  pace_ = gap_of(next);
  // The step is a share of the rules' rate, not of the cut one: random 5xx faults at a steady
  // share of answers then cost a bounded share of the rate instead of driving it to the floor.
  pace_step_ = max_rate_ / options_.recovery_answers;
  cut_at_ = now;
  ++stats_.pace_cuts;
}

void rate_limiter::on_overload(steady_time sent, steady_time received,
                               const rate_limit_headers& headers) {
  const std::lock_guard lock(mutex_);
  ++stats_.overloads;
  cut_pace(sent, received);
  if (headers.retry_after) {
    pause_for(received, std::clamp(*headers.retry_after, milliseconds(0), longest_wait));
  }
}

rate_limited_verdict rate_limiter::on_429(steady_time sent, steady_time received,
                                          const rate_limit_headers& headers,
                                          std::int64_t received_epoch_ms,
                                          std::uint32_t consecutive) {
  const std::lock_guard lock(mutex_);
  ++stats_.rate_limited;
  note_latency(sent, received);
  milliseconds wait{};
  if (headers.retry_after) {
    wait = std::clamp(*headers.retry_after, milliseconds(0), longest_wait);
  } else if (const auto until = reset_time(headers, received, received_epoch_ms)) {
    wait = duration_cast<milliseconds>(*until - received);
  } else {
    const std::uint32_t doublings = std::clamp<std::uint32_t>(consecutive, 1, 32) - 1;
    const double ms = static_cast<double>(options_.first_429_wait.count()) *
                      std::pow(2.0, static_cast<double>(doublings));
    wait = milliseconds(static_cast<std::int64_t>(
        std::min(ms, static_cast<double>(options_.max_429_wait.count()))));
  }
  // Our picture of the windows was wrong somewhere: treat the current primary window as full.
  // Once the pause and that window are over, the next send opens fresh windows on both sides.
  // A Remaining above 0 clears the primary rule (its count is learnt below).
  // A 429'd request is not counted by the server, so it is no window's opener.
  const bool primary_had_room = headers.remaining && *headers.remaining > 0;
  // Refused just after our primary window opened, and the server says it has no room: its
  // previous window was still running, so its windows start later than ours by more than the
  // guard band (a server or proxy that counts requests some time after they arrive). Widen the
  // band, doubling up to 2% of the window.
  if (!rules_.empty() && headers.remaining && *headers.remaining == 0) {
    rule_state& r = rules_.front();
    if (r.open && sent >= r.start && sent < r.start + r.rule.window / 10) {
      const duration cap = std::max(r.margin, duration_cast<duration>(r.rule.window / 50));
      r.margin = std::min(cap, std::max(r.margin * 2, duration_cast<duration>(milliseconds(10))));
    }
  }
  // Only the primary rule: the pause already covers the refusing window, whichever it is
  // (Retry-After names its end), while marking an hourly rule full stopped every sender until
  // the hour was over (pro_tier: one 429 cost up to an hour).
  // A refused request uses no budget (contract §3.2): the rules it did not hit give it back.
  // The refusing rule's window is dealt with below.
  for (std::size_t i = 1; i < rules_.size(); ++i) {
    rule_state& r = rules_[i];
    if (r.open && sent >= r.start && sent < r.end && r.used > 0) --r.used;
  }
  for (auto& r : rules_) {
    if (r.sent > 0 && r.used_any && sent >= r.first_start) --r.sent;
  }
  // A server whose limit is below our primary rule's (not adopted yet: no answer has named the
  // opener of one of its windows, say because a previous run left its window half used) refuses
  // by a rule we do not model yet: our window being full is not why. Marking it full waited out
  // our whole window (60 s for a 10 per 2 s server: QA, 70-120 s for a 12 s job); it ends with
  // the pause instead, so that the next send opens a server window, whose answer adopts the rule.
  const bool stricter = headers.limit && !rules_.empty() && !adopted_ &&
                        *headers.limit < static_cast<std::int64_t>(rules_.front().limit);
  if (!rules_.empty() && rules_.front().open && !primary_had_room && !stricter) {
    rules_.front().used = std::max(rules_.front().used, rules_.front().limit);
  }
  // Without Remaining the headers describe no window, and the pause is the one fact: the
  // refusing window ends with it (Retry-After says when; a bare 429, from a limit we do not
  // model, gets the contract's 2 s doubling). The primary window ends then too, so that the
  // first send after the pause opens a new one, as the server's does: waiting out our own window
  // instead (60 s by default) left a server with a shorter one (10 per 10 s) idle most of the
  // time. Longer rules keep their windows.
  if ((!headers.remaining || stricter) && !rules_.empty() && rules_.front().open) {
    rule_state& p = rules_.front();
    p.end = std::max(p.start, std::min(p.end, received + wait));
  }
  learn(sent, received, headers, received_epoch_ms, false);
  // A 429 that describes no window (no X-RateLimit-* at all) comes from a limit our rules do not
  // model, such as a proxy's: slow down as for an overload, besides the pause. One that says how
  // long to wait (Retry-After) is only waited out (contract §3.5): the server has told us what
  // it wants, and cutting the rate as well would slow the rest of the job for nothing.
  if (!headers.limit && !headers.remaining && !headers.reset && !headers.retry_after) {
    ++stats_.overloads;
    cut_pace(sent, received);
  } else if (!headers.limit && !headers.remaining && !headers.reset && !rules_.empty() &&
             !sliding_guard_) {
    // A limit known only from its Retry-After may count a sliding window, not the fixed one the
    // window model assumes: after the pause that model sends a whole window at once, and such a
    // server refuses all but the first (QA: 104 429s for 120 requests). Requests spaced evenly
    // at the rules' rate, less 2% for the network's jitter, keep within either kind, so pacing
    // stays at that rate from now on.
    sliding_guard_ = true;
    const double rate = pace_ == duration::zero() ? pace_ceiling()
                                                  : std::min(per_second(pace_), pace_ceiling());
    pace_ = gap_of(rate);
  }
  pause_for(received, wait);
  return {consecutive >= options_.max_consecutive_429, paused_until_};
}

std::size_t rate_limiter::target_in_flight(std::size_t max_in_flight) const {
  const std::lock_guard lock(mutex_);
  max_in_flight = std::max<std::size_t>(max_in_flight, 1);
  if (rules_.empty()) return max_in_flight;
  double per_ms = std::numeric_limits<double>::max();
  for (const auto& r : rules_) {
    per_ms = std::min(per_ms, r.limit / static_cast<double>(r.rule.window.count()));
  }
  const double latency =
      latency_known_ ? latency_ms_ : static_cast<double>(options_.initial_latency.count());
  const double wanted = std::ceil(per_ms * latency * 1.25) + 1.0;
  if (wanted >= static_cast<double>(max_in_flight)) return max_in_flight;
  return std::max<std::size_t>(1, static_cast<std::size_t>(wanted));
}

rate_limiter_stats rate_limiter::stats() const {
  const std::lock_guard lock(mutex_);
  rate_limiter_stats s = stats_;
  s.paced_after_429 = sliding_guard_ ? 1 : 0;
  s.mean_latency = milliseconds(static_cast<std::int64_t>(latency_ms_));
  if (pace_ != duration::zero()) {
    s.paced_rate = per_second(pace_);
  }
  // Per rule: the requests it counted, less the refused ones (a 429 uses no budget, contract
  // §3.2), over what it allowed from its first window on (a rule adopted from the server's
  // answers starts then); the run's use is that of the rule it came closest to.
  double allowed = std::numeric_limits<double>::max();
  for (const auto& r : rules_) {
    if (!r.used_any) continue;
    const double window = to_ms(r.rule.window);
    const double span = to_ms(r.last_start + r.rule.window - r.first_start);
    const double here = r.rule.limit * span / window;
    allowed = std::min(allowed, here);
    if (here > 0) s.use = std::max(s.use, static_cast<double>(r.sent) / here);
  }
  if (allowed != std::numeric_limits<double>::max()) s.requests_allowed = allowed;
  return s;
}

std::chrono::milliseconds time_to_send(const rate_limiter_options& options,
                                       std::uint64_t requests) {
  // Replays the limiter itself on a private instance: the estimate can never drift from the
  // pacing the real run gets.
  rate_limiter limiter(options);
  const steady_time start{};
  steady_time now = start;
  for (std::uint64_t sent = 0; sent < requests;) {
    const acquire_result r = limiter.try_acquire(now);
    if (r.granted) {
      ++sent;
    } else {
      now = r.retry_at;
    }
  }
  return duration_cast<milliseconds>(now - start);
}

namespace {
// A window bound taken from Reset, which is rounded up to a whole second, as the whole second to
// advise: servers count whole seconds, so a bound less than half a second over one is that
// second ("2.21 s or less": 2 s); anything else is rounded up.
std::int64_t advised_seconds(std::chrono::milliseconds bound) {
  const double bound_s = static_cast<double>(bound.count()) / 1000.0;
  const double whole = std::floor(bound_s);
  return static_cast<std::int64_t>(whole >= 1.0 && bound_s - whole < 0.5 ? whole
                                                                         : std::ceil(bound_s));
}
}  // namespace

std::string limit_mismatch_warning(const rate_rules& configured, const rate_limiter_stats& stats) {
  if (!stats.server_limit || configured.rules.empty()) return {};
  const rate_rule& primary = configured.rules.front();
  const auto server = *stats.server_limit;
  const auto ours = static_cast<std::int64_t>(primary.limit);
  const auto window_s = std::chrono::duration_cast<std::chrono::seconds>(primary.window).count();
  // The limits differ and Reset never announced as much as half our window: the server's window
  // is shorter, and its count over our window paces far below what the account allows. (Equal
  // limits say nothing: a short job late in a window another client opened sees short Resets.)
  std::int64_t server_window_s = window_s;
  if (server != ours && stats.longest_reset && *stats.longest_reset * 2 < primary.window) {
    server_window_s = std::max<std::int64_t>(1, (stats.longest_reset->count() + 999) / 1000);
  }
  if (server == ours && server_window_s == window_s) {
    if (stats.windows_extended == 0 || !stats.longest_reset) return {};
    const std::int64_t longer_s = advised_seconds(*stats.longest_reset);
    return fmt::format(
        "the server answered Remaining 0 with a Reset up to {} s away, past the end of "
        "--rate-limit's "
        "{} s window, {} times: its window is longer, and the run waited for its Reset each "
        "time; --rate-limit {}/{}s says so from the start",
        longer_s, window_s, stats.windows_extended, server, longer_s);
  }
  if (stats.adopted_rule) {
    const rate_rule& a = *stats.adopted_rule;
    // The adopted window is an upper bound: Reset can put it up to a second over.
    server_window_s = advised_seconds(a.window);
    return fmt::format(
        "the server's X-RateLimit-Limit is {}, below the {} per {} s of --rate-limit, and its "
        "X-RateLimit-Reset puts its window at {:.3g} s or less: the run kept to {} per {:.3g} s "
        "(and to --rate-limit) from the server's first answer on; --rate-limit {}/{}s says so "
        "from the start",
        server, ours, window_s, static_cast<double>(a.window.count()) / 1000.0, a.limit,
        static_cast<double>(a.window.count()) / 1000.0, server, server_window_s);
  }
  if (server_window_s != window_s) {
    return fmt::format(
        "the server's X-RateLimit-Limit is {} and its X-RateLimit-Reset never said more than "
        "{} s, so its window is {} s or less, not the {} s of --rate-limit: --rate-limit {}/{}s "
        "would use the account's budget instead of pacing at {} per {} s",
        server, server_window_s, server_window_s, window_s, server, server_window_s,
        std::min(server, ours), window_s);
  }
  return server > ours
             ? fmt::format("the server's X-RateLimit-Limit is {} but --rate-limit allows {} per "
                           "{} s: --rate-limit {}/{}s would use the whole budget",
                           server, ours, window_s, server, window_s)
             : fmt::format("the server's X-RateLimit-Limit is {}, below the {} per {} s that "
                           "--rate-limit allows: expect 429s unless --rate-limit {}/{}s",
                           server, ours, window_s, server, window_s);
}

std::int64_t epoch_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace leadpipe
