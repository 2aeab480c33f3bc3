// Rate limiting over real sockets with a manual clock (contract §3): window arithmetic, the three
// headers on every authenticated reply, 429 with Retry-After and the documented body.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "sim/fixture.hpp"
#include "support/sim_harness.hpp"

using namespace leadpipe::testing;
using leadpipe::sim::default_config;

namespace {

sim_harness limited(const char* rules, transport t = transport::http) {
  auto cfg = default_config("sim-key", kStartMs);
  REQUIRE(leadpipe::sim::set_option(cfg.options, "rate_limit", rules));
  return sim_harness(std::move(cfg), t);
}

}  // namespace

TEST_CASE("default 60 per 60 s: headers, the 61st request, the next window") {
  for (const transport t : {transport::http, transport::tls}) {
    auto cfg = default_config("sim-key", kStartMs);
    sim_harness h(std::move(cfg), t);
    http_client c = h.client();
    const std::int64_t reset = (kStartMs + 60'000) / 1000;
    for (int i = 1; i <= 60; ++i) {
      auto r = c.get(api("/campaigns"));
      REQUIRE(r.status == 200);
      CHECK(r.header("X-RateLimit-Limit") == "60");
      CHECK(r.header("X-RateLimit-Remaining") == std::to_string(60 - i));
      CHECK(r.header("X-RateLimit-Reset") == std::to_string(reset));
      CHECK_FALSE(r.has_header("Retry-After"));
      h.clock.advance(500);
    }
    auto refused = c.get(api("/campaigns"));  // at +30 s
    CHECK(refused.status == 429);
    CHECK(refused.header("Retry-After") == "30");
    CHECK(refused.header("X-RateLimit-Remaining") == "0");
    json_doc body(refused.body);
    CHECK(body["error"]["code"].get_string().value() == "RATE_LIMIT_EXCEEDED");
    CHECK(body["error"]["retry_after"].get_int64().value() == 30);
    CHECK(body["error"]["message"].get_string().value() == "Rate limit hit; wait 30 s and resend.");
    h.clock.advance(29'999);  // 1 ms before the window ends
    CHECK(c.get(api("/campaigns")).header("Retry-After") == "1");
    h.clock.advance(1);
    auto next = c.get(api("/campaigns"));
    CHECK(next.status == 200);
    CHECK(next.header("X-RateLimit-Remaining") == "59");
    CHECK(next.header("X-RateLimit-Reset") == std::to_string(reset + 60));
  }
}

TEST_CASE("401 is not counted; 404 and 400 are; 429 is not") {
  sim_harness h = limited("3/10s");
  http_client c = h.client();
  CHECK(c.get(api("/campaigns", {}, "nope")).status == 401);
  auto missing = c.get(api("/campaigns/999"));
  CHECK(missing.status == 404);
  CHECK(missing.header("X-RateLimit-Remaining") == "2");
  auto bad = c.post(api("/campaigns/1/leads"), "{}");
  CHECK(bad.status == 400);
  CHECK(bad.header("X-RateLimit-Remaining") == "1");
  CHECK(c.get(api("/campaigns")).status == 200);
  for (int i = 0; i < 3; ++i) CHECK(c.get(api("/campaigns")).status == 429);
  h.clock.advance(10'000);
  CHECK(c.get(api("/campaigns")).header("X-RateLimit-Remaining") == "2");
  json_doc s(c.get("/_sim/state?members=0").body);
  CHECK(s.integer("rate_limited_429") == 3);
  auto windows = s["rate_windows"]["sim-key"].at(0);
  CHECK(windows["count"].get_int64().value() == 1);
  CHECK(windows["history"].at(0)["count"].get_int64().value() == 3);
}

TEST_CASE("budgets are per API key") {
  auto cfg = leadpipe::sim::load_fixture(
      R"({"accounts":[{"id":1,"api_keys":["sim-key","second-key"]}],"options":{"rate_limit":"1/60s"}})",
      "inline", "unused", kStartMs);
  REQUIRE(cfg.has_value());
  sim_harness h(std::move(*cfg));
  http_client c = h.client();
  CHECK(c.get(api("/campaigns")).status == 200);
  CHECK(c.get(api("/campaigns")).status == 429);
  CHECK(c.get(api("/campaigns", {}, "second-key")).status == 200);
}

TEST_CASE("tiered rules: Retry-After names the earliest end among refusing rules") {
  sim_harness h = limited("pro_tier");  // 20/1s, 120/60s, 3000/1h
  http_client c = h.client();
  for (int s = 0; s < 6; ++s) {
    for (int i = 0; i < 20; ++i) REQUIRE(c.get(api("/leads/fetch-categories")).status == 200);
    auto burst = c.get(api("/leads/fetch-categories"));
    CHECK(burst.status == 429);
    CHECK(burst.header("Retry-After") == "1");
    CHECK(burst.header("X-RateLimit-Limit") == "20");
    h.clock.advance(1000);
  }
  auto minute = c.get(api("/leads/fetch-categories"));  // 120 used at +6 s
  CHECK(minute.status == 429);
  CHECK(minute.header("Retry-After") == "54");
}

TEST_CASE("rate_limit_headers_on_get_only, and none") {
  sim_harness h = limited("5/60s");
  http_client c = h.client();
  REQUIRE(c.post("/_sim/config", R"({"options":{"rate_limit_headers_on_get_only":true}})").status == 200);
  CHECK(c.get(api("/campaigns")).has_header("X-RateLimit-Limit"));
  CHECK_FALSE(c.post(api("/campaigns/1/leads"), leads_body({"a@example.org"})).has_header("X-RateLimit-Limit"));
  REQUIRE(c.post("/_sim/config", R"({"options":{"rate_limit":"none"}})").status == 200);
  for (int i = 0; i < 10; ++i) {
    auto r = c.get(api("/campaigns"));
    CHECK(r.status == 200);
    CHECK_FALSE(r.has_header("X-RateLimit-Limit"));
  }
  REQUIRE(c.post("/_sim/config", R"({"options":{"rate_limit":"legacy"}})").status == 200);
  CHECK(c.get(api("/campaigns")).header("X-RateLimit-Limit") == "10");
}
