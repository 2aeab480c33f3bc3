#include "leadpipe/rate_limiter.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using leadpipe::rate_limit_headers;
using leadpipe::rate_limiter;
using leadpipe::rate_limiter_options;
using leadpipe::steady_time;
using ms = std::chrono::milliseconds;

namespace {

const steady_time t0 = steady_time{} + 1h;
constexpr std::int64_t epoch_at_t0_ms = 1'760'000'000'000;

std::int64_t epoch_ms(steady_time t) {
  return epoch_at_t0_ms + std::chrono::duration_cast<ms>(t - t0).count();
}

rate_limiter_options options(const char* rules) {
  rate_limiter_options o;
  o.rules = leadpipe::parse_rate_rules(rules).value();
  return o;
}

// Takes `n` permits at `t`; returns how many were granted.
int take(rate_limiter& l, steady_time t, int n) {
  int granted = 0;
  for (int i = 0; i < n; ++i) granted += l.try_acquire(t).granted ? 1 : 0;
  return granted;
}

rate_limit_headers remaining(std::int64_t left, std::int64_t limit = 60) {
  rate_limit_headers h;
  h.limit = limit;
  h.remaining = left;
  return h;
}

// Reports a 429 answered at `at` with Retry-After `wait` and checks the pause it starts: the
// wait plus 0-500 ms of jitter.
leadpipe::rate_limited_verdict pause_for(rate_limiter& l, steady_time at, ms wait) {
  rate_limit_headers h;
  h.retry_after = wait;
  const auto v = l.on_429(at - 10ms, at, h, epoch_ms(at), 1);
  CHECK_FALSE(v.give_up);
  CHECK(v.retry_at >= at + wait);
  CHECK(v.retry_at <= at + wait + 500ms);
  CHECK(l.paused_until() == v.retry_at);
  return v;
}

}  // namespace

TEST_CASE("a window's budget, then a wait until its end plus the margin") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 60) == 60);
  const auto next = l.try_acquire(t0 + 1s);
  CHECK_FALSE(next.granted);
  CHECK(next.retry_at == t0 + 10s + 50ms);
  CHECK_FALSE(l.try_acquire(t0 + 10s + 49ms).granted);
  CHECK(take(l, t0 + 10s + 50ms, 61) == 60);
  CHECK(l.stats().requests == 120);
}

TEST_CASE("the pacing fraction keeps part of each window unused") {
  auto o = options("60/10s");
  o.pacing_fraction = 0.8;
  rate_limiter l(o);
  CHECK(take(l, t0, 60) == 48);
}

TEST_CASE("no request starts in the guard band before a window ends") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 1) == 1);
  CHECK(take(l, t0 + 9949ms, 1) == 1);
  const auto late = l.try_acquire(t0 + 9950ms);
  CHECK_FALSE(late.granted);
  CHECK(late.retry_at == t0 + 10050ms);
}

TEST_CASE("the margin of a short window is 0.5% of it") {
  rate_limiter l(options("10/1s"));
  CHECK(take(l, t0, 11) == 10);
  CHECK(l.next_allowed(t0) == t0 + 1005ms);
  auto o = options("10/1s");
  o.window_margin = 2ms;
  rate_limiter tight(o);
  CHECK(take(tight, t0, 10) == 10);
  CHECK(tight.next_allowed(t0) == t0 + 1002ms);
}

TEST_CASE("a request must fit every rule") {
  rate_limiter l(options("standard_tier"));
  steady_time t = t0;
  int sent = 0;
  for (int i = 0; i < 6; ++i) {
    CHECK(take(l, t, 12) == 10);
    sent += 10;
    t = l.next_allowed(t);
  }
  CHECK(sent == 60);
  // The 60/60s rule is full now: the 1 s rule no longer decides.
  CHECK(l.next_allowed(t) == t0 + 60s + 50ms);
}

TEST_CASE("next_allowed only looks") {
  rate_limiter l(options("2/10s"));
  CHECK(l.next_allowed(t0) == t0);
  CHECK(l.next_allowed(t0) == t0);
  CHECK(take(l, t0, 3) == 2);
  CHECK(l.next_allowed(t0 + 1s) == t0 + 10050ms);
}

TEST_CASE("unlimited rules always grant, but a 429 still pauses") {
  rate_limiter l(rate_limiter_options{});
  CHECK(take(l, t0, 1000) == 1000);
  const auto v = pause_for(l, t0 + 10ms, 3s);
  CHECK_FALSE(l.try_acquire(t0 + 3s).granted);
  CHECK(l.try_acquire(v.retry_at).granted);
  CHECK(l.target_in_flight(16) == 16);
  CHECK(l.stats().requests_allowed == 0);
}

TEST_CASE("an answer that opened a server window later than ours moves our window to it") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 5) == 5);
  CHECK(take(l, t0 + 4s, 1) == 1);
  // Remaining == limit - 1: the t0 + 4 s request was the first of a server window, so the five
  // sent at t0 were counted in an older one and the window runs until t0 + 14 s.
  l.on_response(t0 + 4s, t0 + 5s, remaining(59), epoch_ms(t0 + 5s));
  CHECK(take(l, t0 + 5s, 60) == 59);
  CHECK(l.next_allowed(t0 + 5s) == t0 + 14s + 50ms);
}

TEST_CASE("a window opener that left late (connection set-up) dates the window from its write") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 60) == 60);
  // The opener's permit was at t0, but it had to open a TLS connection first and left at
  // t0 + 81 ms, so the server's window ends at t0 + 10.081 s: a request at t0 + 10.05 s (our
  // permit-based end plus the guard band) would reach it inside the full window and get a 429.
  l.on_response(t0, t0 + 1s, remaining(59), epoch_ms(t0 + 1s), t0 + 81ms);
  CHECK(l.next_allowed(t0 + 1s) == t0 + 10081ms + 50ms);
  CHECK(take(l, t0 + 10050ms, 1) == 0);
  CHECK(take(l, t0 + 10131ms, 1) == 1);
  // A write time after the answer (impossible) or before the permit is not believed.
  rate_limiter m(options("60/10s"));
  CHECK(take(m, t0, 60) == 60);
  m.on_response(t0, t0 + 1s, remaining(59), epoch_ms(t0 + 1s), t0 + 2s);
  CHECK(m.next_allowed(t0 + 1s) == t0 + 10s + 50ms);
}

TEST_CASE("a 429 just after our window opened widens the guard band, up to 2% of the window") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 60) == 60);
  CHECK(l.next_allowed(t0) == t0 + 10s + 50ms);
  CHECK(take(l, t0 + 10050ms, 1) == 1);  // opens our next window
  // ... but the server's window was still full: it starts later than we think.
  const auto v = l.on_429(t0 + 10050ms, t0 + 10060ms, remaining(0), epoch_ms(t0 + 10060ms), 1);
  CHECK_FALSE(v.give_up);
  // The window we opened counts as full, and the band is now 100 ms.
  CHECK(l.next_allowed(v.retry_at) == t0 + 20050ms + 100ms);
  steady_time w = t0 + 20150ms;
  for (int i = 0; i < 5; ++i) {
    CHECK(take(l, w, 1) == 1);
    (void)l.on_429(w, w + 10ms, remaining(0), epoch_ms(w + 10ms), 1);
    w = l.next_allowed(l.paused_until());
  }
  CHECK(take(l, w, 60) == 60);
  CHECK(l.next_allowed(w) == w + 10s + 200ms);  // capped at 2% of 10 s
  // A 429 mid-window (another client on the key, say) leaves the band alone.
  rate_limiter m(options("60/10s"));
  CHECK(take(m, t0, 30) == 30);
  (void)m.on_429(t0 + 5s, t0 + 5010ms, remaining(0), epoch_ms(t0 + 5010ms), 1);
  CHECK(m.next_allowed(t0 + 6s) == t0 + 10s + 50ms);
}

TEST_CASE("an answer confirming our own opener changes nothing") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 20) == 20);
  l.on_response(t0, t0 + 1s, remaining(59), epoch_ms(t0 + 1s));
  l.on_response(t0, t0 + 2s, remaining(40), epoch_ms(t0 + 2s));
  CHECK(take(l, t0 + 2s, 41) == 40);
  CHECK(l.next_allowed(t0 + 2s) == t0 + 10s + 50ms);
}

TEST_CASE("an old opener whose window ended before ours began is ignored") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 60) == 60);
  CHECK(take(l, t0 + 10050ms, 10) == 10);
  l.on_response(t0, t0 + 11s, remaining(59), epoch_ms(t0 + 11s));
  CHECK(take(l, t0 + 11s, 51) == 50);
}

TEST_CASE("a lower Remaining than our count means another client: our count rises") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 10) == 10);
  l.on_response(t0, t0 + 1s, remaining(5), epoch_ms(t0 + 1s));
  CHECK(take(l, t0 + 1s, 10) == 5);
  // A Remaining that says less was used than we sent lowers nothing.
  rate_limiter m(options("60/10s"));
  CHECK(take(m, t0, 30) == 30);
  m.on_response(t0, t0 + 1s, remaining(55), epoch_ms(t0 + 1s));
  CHECK(take(m, t0 + 1s, 40) == 30);
}

TEST_CASE("Reset bounds a window someone else opened, as epoch seconds or a delay") {
  for (const bool as_epoch : {true, false}) {
    CAPTURE(as_epoch);
    rate_limiter l(options("60/10s"));
    CHECK(take(l, t0, 3) == 3);
    auto h = remaining(0);
    h.reset = as_epoch ? epoch_ms(t0 + 3s) / 1000 : 2;  // answer at t0 + 1 s: 2 s more
    l.on_response(t0, t0 + 1s, h, epoch_ms(t0 + 1s));
    CHECK(l.next_allowed(t0 + 1s) == t0 + 3s + 50ms);
    CHECK(take(l, t0 + 3s + 50ms, 60) == 60);
  }
}

TEST_CASE("once an opener was seen, Reset no longer shortens a window") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 3) == 3);
  l.on_response(t0, t0 + 1s, remaining(59), epoch_ms(t0 + 1s));
  auto h = remaining(0);
  h.reset = epoch_ms(t0 + 3s) / 1000;
  l.on_response(t0, t0 + 1s, h, epoch_ms(t0 + 1s));
  CHECK(l.next_allowed(t0 + 1s) == t0 + 10s + 50ms);
}

TEST_CASE("a 429 waits for Retry-After plus jitter, and every sender waits") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 5) == 5);
  const auto v = pause_for(l, t0 + 100ms, 7s);
  const auto during = l.try_acquire(t0 + 7s);
  CHECK_FALSE(during.granted);
  CHECK(during.retry_at == v.retry_at);
  // Without rate headers the pause is the one fact: the refusing window ends with it, and so
  // does ours (plus the guard band), so the budget is back right after it, not at the end of
  // our own 10 s window (a server with a shorter window would sit idle). But such a limit may
  // count a sliding window, which refuses a burst of a whole window: requests are spaced evenly
  // at the rules' rate less 2% from now on, which either kind of window takes.
  const steady_time back = std::max(v.retry_at, t0 + 7100ms + 50ms);
  CHECK(l.next_allowed(v.retry_at) == back);
  CHECK(take(l, back, 61) == 1);
  const auto gap = l.next_allowed(back) - back;
  CHECK(gap >= 169ms);  // 10 s / 60 / 0.98 = 170 ms
  CHECK(gap <= 171ms);
  int granted = 1;
  for (steady_time t = l.next_allowed(back); t < back + 10s; t = l.next_allowed(t)) {
    granted += take(l, t, 1);
  }
  CHECK(granted >= 58);
  CHECK(granted <= 59);
  CHECK(l.stats().rate_limited == 1);
  CHECK(l.stats().paced_after_429 == 1);
}

TEST_CASE("a 429 from a stricter server limit not adopted yet ends our window with the pause") {
  // QA: a 10 per 2 s server whose window a previous run left half used refuses the first burst
  // before any answer names an opener; marking our 60 s window full waited it out (70-120 s for
  // a 12 s job). Refused requests give their budget back to the rules they did not hit.
  rate_limiter l(options("60/60s,100/1h"));
  CHECK(take(l, t0, 20) == 20);
  auto h = remaining(0, 10);
  h.retry_after = 1s;
  const auto v = l.on_429(t0, t0 + 50ms, h, epoch_ms(t0 + 50ms), 1);
  CHECK(v.retry_at <= t0 + 1550ms);
  CHECK(l.next_allowed(v.retry_at) <= v.retry_at + 60ms);  // not t0 + 60 s
  CHECK(take(l, l.next_allowed(v.retry_at), 1) == 1);
  // 21 permits, 1 refused: 20 used of the minute rule's 60, the rule the run came closest to.
  CHECK(l.stats().use == doctest::Approx(20.0 / 60.0));
}

TEST_CASE("a permit held back (unsent) leaves the report's requests and use, not the windows") {
  rate_limiter l(options("10/10s"));
  CHECK(take(l, t0, 4) == 4);
  l.unsent();
  CHECK(l.stats().requests == 3);
  CHECK(l.stats().use == doctest::Approx(3.0 / 10.0));
  CHECK(take(l, t0, 10) == 6);  // the window still counts it: the limiter stays careful
}

TEST_CASE("a bare 429 (no header at all) waits 2 s, doubling, not our whole window") {
  rate_limiter l(options("60/60s"));
  CHECK(take(l, t0, 3) == 3);
  const auto v = l.on_429(t0, t0 + 10ms, rate_limit_headers{}, epoch_ms(t0 + 10ms), 1);
  CHECK(v.retry_at >= t0 + 2010ms);
  CHECK(v.retry_at <= t0 + 2510ms);
  CHECK(l.next_allowed(v.retry_at) <= t0 + 2600ms);  // not t0 + 60 s
  const auto w = l.on_429(t0 + 3s, t0 + 3s, rate_limit_headers{}, epoch_ms(t0 + 3s), 2);
  CHECK(w.retry_at >= t0 + 7s);  // the second in a row: 4 s
}

TEST_CASE("a 429 saying the primary window is empty lets senders go right after the pause") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 16) == 16);
  auto h = remaining(60);
  h.retry_after = 2s;
  const auto v = l.on_429(t0, t0 + 10ms, h, epoch_ms(t0 + 10ms), 1);
  CHECK(l.next_allowed(t0 + 10ms) == v.retry_at);
  CHECK(take(l, v.retry_at, 61) == 60);
}

TEST_CASE("a 429 without Retry-After waits until Reset") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 1) == 1);
  rate_limit_headers h;
  h.reset = epoch_ms(t0 + 4s) / 1000;
  const auto v = l.on_429(t0, t0 + 1s, h, epoch_ms(t0 + 1s), 1);
  CHECK(v.retry_at >= t0 + 4s);
  CHECK(v.retry_at <= t0 + 4500ms);
}

TEST_CASE("a 429 without headers waits 2 s doubling up to 60 s and gives up at the 8th") {
  rate_limiter l(rate_limiter_options{});
  const ms expected[] = {2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s};
  steady_time t = t0;
  std::uint32_t n = 0;
  for (const ms wait : expected) {
    ++n;
    const auto v = l.on_429(t - 10ms, t, {}, epoch_ms(t), n);
    CAPTURE(n);
    CHECK(v.retry_at >= t + wait);
    CHECK(v.retry_at <= t + wait + 500ms);
    CHECK(v.give_up == (n == 8));
    t = v.retry_at;
  }
  CHECK(l.stats().rate_limited == 8);
}

TEST_CASE("absurd waits are cut to a day; absurd Reset values are ignored") {
  rate_limiter l(rate_limiter_options{});
  rate_limit_headers h;
  h.retry_after = ms(std::numeric_limits<std::int64_t>::max() / 2);
  CHECK(l.on_429(t0, t0, h, epoch_ms(t0), 1).retry_at <= t0 + 24h + 500ms);
  rate_limiter m(rate_limiter_options{});
  rate_limit_headers r;
  r.reset = std::numeric_limits<std::int64_t>::max();
  // Ignored: the doubling wait of a first 429 applies.
  CHECK(m.on_429(t0, t0, r, epoch_ms(t0), 1).retry_at <= t0 + 2500ms);
}

TEST_CASE("a time older than the last send counts as that send's time") {
  rate_limiter l(options("60/10s"));
  REQUIRE(l.try_acquire(t0 + 1s).granted);
  const auto late = l.try_acquire(t0);
  CHECK(late.granted);
  CHECK(late.retry_at == t0 + 1s);
}

TEST_CASE("overlapping pauses are counted once") {
  auto o = options("60/10s");
  o.max_429_jitter = 0ms;
  rate_limiter l(o);
  rate_limit_headers h;
  h.retry_after = 5s;
  (void)l.on_429(t0, t0, h, epoch_ms(t0), 1);
  (void)l.on_429(t0, t0 + 1s, h, epoch_ms(t0 + 1s), 1);  // extends to t0 + 6 s
  h.retry_after = 1s;
  (void)l.on_429(t0, t0 + 2s, h, epoch_ms(t0 + 2s), 1);  // inside the pause
  CHECK(l.paused_until() == t0 + 6s);
  CHECK(l.stats().paused == 6s);
}

TEST_CASE("rate_limit_use: requests over the limit times the run's span in windows") {
  rate_limiter l(options("60/10s"));
  CHECK(take(l, t0, 60) == 60);
  CHECK(take(l, t0 + 10050ms, 30) == 30);
  const auto s = l.stats();
  // Windows opened at t0 and t0 + 10.05 s: the span is 20.05 s, 2.005 windows, 120.3 requests.
  CHECK(s.requests == 90);
  CHECK(s.requests_allowed == doctest::Approx(120.3));
  CHECK(s.use == doctest::Approx(90.0 / 120.3));
}

TEST_CASE("rate_limit_use takes the tightest rule") {
  rate_limiter l(options("10/1s,20/60s"));
  CHECK(take(l, t0, 10) == 10);
  CHECK(take(l, t0 + 1005ms, 10) == 10);
  // 1 s rule: 2.005 windows, 20.05 requests; 60 s rule: one window, 20 requests.
  CHECK(l.stats().requests_allowed == doctest::Approx(20.0));
  CHECK(l.stats().use == doctest::Approx(1.0));
}

TEST_CASE("target_in_flight follows Little's law on the measured latency") {
  rate_limiter l(options("60/10s"));
  // 6 requests/s * 1 s initial guess * 1.25 = 7.5 -> 8, plus one.
  CHECK(l.target_in_flight(64) == 9);
  CHECK(take(l, t0, 1) == 1);
  l.on_response(t0, t0 + 2s, {}, epoch_ms(t0 + 2s));
  CHECK(l.stats().mean_latency == 2s);
  CHECK(l.target_in_flight(64) == 16);
  CHECK(l.target_in_flight(4) == 4);
  CHECK(l.target_in_flight(0) == 1);
}

TEST_CASE("bad options are refused at start-up") {
  auto o = options("60/10s");
  o.pacing_fraction = 0;
  CHECK_THROWS_AS(rate_limiter{o}, std::invalid_argument);
  o.pacing_fraction = 1.5;
  CHECK_THROWS_AS(rate_limiter{o}, std::invalid_argument);
  o = options("60/10s");
  o.window_margin = -1ms;
  CHECK_THROWS_AS(rate_limiter{o}, std::invalid_argument);
  o = options("60/10s");
  o.max_consecutive_429 = 0;
  CHECK_THROWS_AS(rate_limiter{o}, std::invalid_argument);
}

TEST_CASE("senders on several threads share one budget") {
  rate_limiter l(options("500/10s"));
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 300; ++k) {
        if (l.try_acquire(t0).granted) granted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(granted.load() == 500);
  CHECK(l.stats().requests == 500);
}

TEST_CASE("time_to_send: the pacing of a run whose answers come back at once") {
  CHECK(leadpipe::time_to_send(options("60/10s"), 0) == 0ms);
  CHECK(leadpipe::time_to_send(options("60/10s"), 60) == 0ms);
  CHECK(leadpipe::time_to_send(options("60/10s"), 61) == 10050ms);
  CHECK(leadpipe::time_to_send(options("60/10s"), 600) == 9 * 10050ms);
  // standard_tier: the minute rule binds, the second rule paces each minute's 60 in 6 bursts.
  CHECK(leadpipe::time_to_send(options("standard_tier"), 120) == 60050ms + 5 * 1005ms);
  CHECK(leadpipe::time_to_send(rate_limiter_options{}, 1000) == 0ms);
}

TEST_CASE("overloads (a proxy's 503s) halve the rate once per round trip and it recovers") {
  rate_limiter l(options("60/10s"));  // primary rule: 6 requests per second on average
  // 20 requests in the first 2 s, all granted at once by the fixed window.
  for (int i = 0; i < 20; ++i) REQUIRE(l.try_acquire(t0 + ms(100 * i)).granted);
  const steady_time at = t0 + 2s;
  l.on_response(t0 + 1900ms, at, {}, epoch_ms(at));
  l.on_overload(t0 + 1900ms, at, {});
  // 20 permits over 2 s is 10/s; halved, and capped by the rule's 6/s: 5/s, one per 200 ms.
  auto s = l.stats();
  CHECK(s.overloads == 1);
  CHECK(s.pace_cuts == 1);
  CHECK(s.paced_rate == doctest::Approx(5.0).epsilon(0.01));
  // The last permit was at 1.9 s: the next one 200 ms after it, then every 200 ms.
  CHECK_FALSE(l.try_acquire(at).granted);
  REQUIRE(l.try_acquire(at + 100ms).granted);
  CHECK_FALSE(l.try_acquire(at + 200ms).granted);
  CHECK(l.next_allowed(at + 200ms) == at + 300ms);
  REQUIRE(l.try_acquire(at + 300ms).granted);
  // More overloads of requests sent before the cut are old news: no second cut.
  l.on_overload(t0 + 1950ms, at + 250ms, {});
  CHECK(l.stats().pace_cuts == 1);
  CHECK(l.stats().overloads == 2);
  // One of a request sent after the cut halves again.
  l.on_overload(at + 300ms, at + 400ms, {});
  CHECK(l.stats().pace_cuts == 2);
  CHECK(l.stats().paced_rate == doctest::Approx(2.5).epsilon(0.01));
  // Each answer adds 1/25 of the rule's rate (0.24/s) up to the rule's rate, where pacing ends:
  // the fixed window's budget may go at once again.
  steady_time t = at + 1s;
  l.on_response(t, t, {}, epoch_ms(t));
  CHECK(l.stats().paced_rate == doctest::Approx(2.74).epsilon(0.01));
  for (int i = 0; i < 13; ++i) l.on_response(t, t, {}, epoch_ms(t));
  CHECK(l.stats().paced_rate == doctest::Approx(5.86).epsilon(0.01));
  l.on_response(t, t, {}, epoch_ms(t));
  CHECK(l.stats().paced_rate == 0);
  CHECK(l.stats().pace_cuts == 2);
  const steady_time later = t0 + 11s;  // the next window: its 60 permits go without pacing
  for (int i = 0; i < 60; ++i) REQUIRE(l.try_acquire(later + ms(i)).granted);
  CHECK_FALSE(l.try_acquire(later + 100ms).granted);
}

TEST_CASE("a 503 with Retry-After pauses every sender; a 429 without rate headers also slows") {
  rate_limiter l(options("60/10s"));
  REQUIRE(l.try_acquire(t0).granted);
  rate_limit_headers h;
  h.retry_after = 3s;
  l.on_response(t0, t0 + 100ms, h, epoch_ms(t0 + 100ms));
  l.on_overload(t0, t0 + 100ms, h);
  CHECK(l.paused_until() >= t0 + 3100ms);
  CHECK(l.paused_until() <= t0 + 3600ms);
  CHECK_FALSE(l.try_acquire(t0 + 3s).granted);

  // SmartLead's own 429 (with X-RateLimit-*) is the window model's business: no pacing.
  rate_limiter a(options("60/10s"));
  REQUIRE(a.try_acquire(t0).granted);
  (void)a.on_429(t0, t0 + 10ms, remaining(0), epoch_ms(t0 + 10ms), 1);
  CHECK(a.stats().pace_cuts == 0);
  // A bare 429 (a proxy's limit_req) is an overload as well as a pause.
  rate_limiter b(options("60/10s"));
  REQUIRE(b.try_acquire(t0).granted);
  (void)b.on_429(t0, t0 + 10ms, {}, epoch_ms(t0 + 10ms), 1);
  CHECK(b.stats().pace_cuts == 1);
  CHECK(b.stats().overloads == 1);
  // One with Retry-After is waited out, as §3.5 says, and the rate kept.
  rate_limiter c(options("60/10s"));
  REQUIRE(c.try_acquire(t0).granted);
  rate_limit_headers wait;
  wait.retry_after = 2s;
  (void)c.on_429(t0, t0 + 10ms, wait, epoch_ms(t0 + 10ms), 1);
  CHECK(c.stats().pace_cuts == 0);
  CHECK(c.paused_until() >= t0 + 2010ms);
}

TEST_CASE("is_overload_status: 502 and 503 only (a 504 is a slow answer, not a rate)") {
  for (int s : {502, 503}) CHECK(leadpipe::is_overload_status(s));
  for (int s : {200, 400, 413, 429, 500, 501, 504}) CHECK_FALSE(leadpipe::is_overload_status(s));
}

TEST_CASE("the server's X-RateLimit-Limit is compared with the configured rule") {
  rate_limiter l(options("60/10s"));
  REQUIRE(l.try_acquire(t0).granted);
  CHECK(leadpipe::limit_mismatch_warning(options("60/10s").rules, l.stats()).empty());
  l.on_response(t0, t0 + 10ms, remaining(119, 120), epoch_ms(t0 + 10ms));
  CHECK(l.stats().server_limit == std::optional<std::int64_t>(120));
  const std::string more = leadpipe::limit_mismatch_warning(options("60/10s").rules, l.stats());
  CHECK(more.find("--rate-limit 120/10s would use the whole budget") != std::string::npos);
  // A lower limit that no answer showed a window opener of (another client's window): not
  // adopted, only warned about.
  l.on_response(t0, t0 + 20ms, remaining(20, 30), epoch_ms(t0 + 20ms));
  CHECK_FALSE(l.stats().adopted_rule.has_value());
  const std::string less = leadpipe::limit_mismatch_warning(options("60/10s").rules, l.stats());
  CHECK(less.find("expect 429s unless --rate-limit 30/10s") != std::string::npos);
  l.on_response(t0, t0 + 30ms, remaining(59, 60), epoch_ms(t0 + 30ms));
  CHECK(leadpipe::limit_mismatch_warning(options("60/10s").rules, l.stats()).empty());
  // The answer to the request that opened a server window of 30: adopted, and said.
  rate_limiter strict(options("60/10s"));
  REQUIRE(strict.try_acquire(t0).granted);
  strict.on_response(t0, t0 + 20ms, remaining(29, 30), epoch_ms(t0 + 20ms));
  REQUIRE(strict.stats().adopted_rule.has_value());
  CHECK(strict.stats().adopted_rule->limit == 30);
  CHECK(strict.stats().adopted_rule->window == 10s);
  const std::string kept =
      leadpipe::limit_mismatch_warning(options("60/10s").rules, strict.stats());
  CHECK(kept.find("the run kept to 30 per 10 s") != std::string::npos);
  for (int i = 1; i < 30; ++i) REQUIRE(strict.try_acquire(t0 + 30ms).granted);
  CHECK_FALSE(strict.try_acquire(t0 + 30ms).granted);  // 30 in the window: the server's limit
  // A Pro account (20 per second) left at the default 60 per minute: Reset never says more than
  // a second, so the setting to name has a 1 s window, not 20 per minute.
  rate_limiter pro(options("60/60s"));
  REQUIRE(pro.try_acquire(t0).granted);
  for (int i = 0; i < 5; ++i) {
    rate_limit_headers h = remaining(19 - i, 20);
    h.reset = 1;
    pro.on_response(t0, t0 + 10ms, h, epoch_ms(t0 + 10ms));
  }
  const std::string w = leadpipe::limit_mismatch_warning(options("60/60s").rules, pro.stats());
  CAPTURE(w);
  // Reset 1 (seconds to wait) answered 10 ms after the send: a window of at most 1.01 s.
  CHECK(w.find("puts its window at 1.01 s or less: the run kept to 20 per 1.01 s") !=
        std::string::npos);
  CHECK(w.find("--rate-limit 20/1s says so from the start") != std::string::npos);
  // An epoch Reset rounded up to the second put a 10/2s server's window at 2.21 s (QA): the
  // advice is 2 s, not 3 s, which would pace half as fast again.
  leadpipe::rate_limiter_stats st;
  st.server_limit = 10;
  st.longest_reset = 2210ms;
  st.adopted_rule = leadpipe::rate_rule{10, 2210ms};
  const std::string two = leadpipe::limit_mismatch_warning(options("60/60s").rules, st);
  CAPTURE(two);
  CHECK(two.find("--rate-limit 10/2s says so") != std::string::npos);
  st.adopted_rule = leadpipe::rate_rule{10, 2600ms};
  CHECK(leadpipe::limit_mismatch_warning(options("60/60s").rules, st).find("10/3s says so") !=
        std::string::npos);
}

// A 429 cost up to an hour with several rules: every open window, the hourly one included, was
// marked full. The pause covers the refusing window, whichever rule it belongs to.
TEST_CASE("a 429 under several rules waits the pause, not the longest rule's window") {
  rate_limiter l(options("pro_tier"));  // 20/1s, 120/60s, 3000/1h
  CHECK(take(l, t0, 5) == 5);
  for (const bool with_headers : {true, false}) {
    rate_limit_headers h;
    h.retry_after = 1s;
    if (with_headers) {
      h.limit = 20;
      h.remaining = 0;
    }
    const auto v = l.on_429(t0, t0 + 10ms, h, epoch_ms(t0 + 10ms), 1);
    CAPTURE(with_headers);
    CHECK(l.next_allowed(v.retry_at) < t0 + 2s);
  }
}

// Reset is rounded up to a second: one opener's answer can overstate the server's window by up
// to a second. Each later opener bounds it again, and the tightest bound is kept (never below
// the true window: Reset is at or after the window's end, and the request left before arriving).
TEST_CASE("the adopted server window is tightened by later openers' answers") {
  rate_limiter l(options("60/60s"));
  REQUIRE(l.try_acquire(t0).granted);
  rate_limit_headers first = remaining(19, 20);
  first.reset = 1;  // seconds to wait
  l.on_response(t0, t0 + 500ms, first, epoch_ms(t0 + 500ms));
  REQUIRE(l.stats().adopted_rule.has_value());
  CHECK(l.stats().adopted_rule->window == 1500ms);
  REQUIRE(l.try_acquire(t0 + 2s).granted);
  l.on_response(t0 + 2s, t0 + 2100ms, first, epoch_ms(t0 + 2100ms));
  CHECK(l.stats().adopted_rule->window == 1100ms);
  // A looser bound later changes nothing.
  REQUIRE(l.try_acquire(t0 + 4s).granted);
  l.on_response(t0 + 4s, t0 + 4900ms, first, epoch_ms(t0 + 4900ms));
  CHECK(l.stats().adopted_rule->window == 1100ms);
}

// The same limit over a longer window than --rate-limit's (10 per 4 s against 10/2s): the
// answers say Remaining 0 until a Reset past our window's end, and ours waits for it instead of
// sending into the server's full window (QA: 37 429s for 54 requests).
TEST_CASE("Remaining 0 with a Reset past our window's end: our window lasts until it") {
  rate_limiter l(options("10/2s"));
  for (int i = 0; i < 10; ++i) REQUIRE(l.try_acquire(t0 + ms(i)).granted);
  for (int i = 0; i < 10; ++i) {
    rate_limit_headers h = remaining(9 - i, 10);
    h.reset = 4;  // seconds to wait: the server's window ends 4 s after it opened
    l.on_response(t0 + ms(i), t0 + ms(i + 20), h, epoch_ms(t0 + ms(i + 20)));
  }
  CHECK_FALSE(l.try_acquire(t0 + 2100ms).granted);
  CHECK_FALSE(l.try_acquire(t0 + 3900ms).granted);
  CHECK(l.try_acquire(t0 + 4100ms).granted);
  // The next window too: opened at 4.1 s, its answers say Remaining 0 until 8.1 s.
  const steady_time w2 = t0 + 4100ms;
  for (int i = 1; i < 10; ++i) REQUIRE(l.try_acquire(w2 + ms(i)).granted);
  // Answers overtake each other: the opener's (Remaining 9) is read last.
  for (int i = 9; i >= 0; --i) {
    rate_limit_headers h = remaining(9 - i, 10);
    h.reset = 4;
    l.on_response(w2 + ms(i), w2 + ms(40 - i), h, epoch_ms(w2 + ms(40 - i)));
  }
  CHECK_FALSE(l.try_acquire(w2 + 2100ms).granted);
  CHECK(l.try_acquire(w2 + 4100ms).granted);
  CHECK(l.stats().windows_extended == 2);
  const std::string w = leadpipe::limit_mismatch_warning(options("10/2s").rules, l.stats());
  CAPTURE(w);
  CHECK(w.find("--rate-limit 10/4s says so from the start") != std::string::npos);
}
