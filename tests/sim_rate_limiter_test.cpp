// Server-side fixed windows of contract §3.2/§3.3 with explicit time.
#include "sim/rate_limiter.hpp"

#include <doctest/doctest.h>

#include "leadpipe/json_writer.hpp"

using leadpipe::parse_rate_rules;
using leadpipe::sim::rate_limiter;

namespace {
constexpr std::int64_t t0 = 1'767'605'400'250;  // 250 ms past a whole second
}

TEST_CASE("a window opens with the first request and lasts the rule's window") {
  rate_limiter rl(parse_rate_rules("3/10s").value());
  auto v = rl.check("k", t0);
  CHECK(v.limited);
  CHECK(v.allowed);
  CHECK(v.limit == 3);
  CHECK(v.remaining == 2);
  CHECK(v.reset_epoch_s == (t0 + 10'000 + 999) / 1000);  // rounded up
  CHECK(rl.check("k", t0 + 1000).remaining == 1);
  CHECK(rl.check("k", t0 + 2000).remaining == 0);
  auto refused = rl.check("k", t0 + 3000);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.remaining == 0);
  CHECK(refused.retry_after_s == 7);
  auto still = rl.check("k", t0 + 9'999);  // 1 ms before the end: at least 1 s
  CHECK_FALSE(still.allowed);
  CHECK(still.retry_after_s == 1);
  auto fresh = rl.check("k", t0 + 10'000);  // the window ended: a new one opens now
  CHECK(fresh.allowed);
  CHECK(fresh.remaining == 2);
  CHECK(fresh.reset_epoch_s == (t0 + 20'000 + 999) / 1000);
}

TEST_CASE("refused requests consume nothing; keys have separate budgets") {
  rate_limiter rl(parse_rate_rules("1/60s").value());
  CHECK(rl.check("a", t0).allowed);
  for (int i = 0; i < 5; ++i) CHECK_FALSE(rl.check("a", t0 + i).allowed);
  CHECK(rl.check("b", t0).allowed);
  CHECK(rl.check("a", t0 + 60'000).allowed);
  CHECK_FALSE(rl.check("a", t0 + 60'001).allowed);
}

TEST_CASE("several rules: a request must fit all; Retry-After from the earliest refusing end") {
  rate_limiter rl(parse_rate_rules("standard_tier").value());  // 10/1s, 60/60s, 1000/1h
  for (int second = 0; second < 6; ++second) {
    for (int i = 0; i < 10; ++i) CHECK(rl.check("k", t0 + second * 1000 + i).allowed);
    auto over = rl.check("k", t0 + second * 1000 + 500);
    CHECK_FALSE(over.allowed);
    CHECK(over.retry_after_s == 1);
  }
  // 60 requests used: the 1-second rule has room again but the 60-second rule refuses.
  auto v = rl.check("k", t0 + 6000);
  CHECK_FALSE(v.allowed);
  CHECK(v.retry_after_s == 54);
  CHECK(v.limit == 10);  // the primary rule's figures
  CHECK(v.remaining == 10);
  CHECK(rl.check("k", t0 + 60'000).allowed);
}

TEST_CASE("no rules: nothing is limited and no headers are due") {
  rate_limiter rl;
  auto v = rl.check("k", t0);
  CHECK(v.allowed);
  CHECK_FALSE(v.limited);
}

TEST_CASE("requests per window are recorded for /_sim/state") {
  rate_limiter rl(parse_rate_rules("2/1s").value());
  CHECK(rl.check("k", t0).allowed);
  CHECK(rl.check("k", t0 + 10).allowed);
  CHECK(rl.check("k", t0 + 1000).allowed);
  std::string out;
  leadpipe::json_writer w(out);
  rl.write_state(w);
  CHECK(out == R"({"k":[{"limit":2,"window_ms":1000,"window_start":1767605401250,"count":1,)"
               R"("history":[{"start":1767605400250,"count":2}]}]})");
  rl.set_rules(parse_rate_rules("5/1s").value());
  CHECK(rl.check("k", t0 + 1001).remaining == 4);
}
