// Fault injection over real sockets: each "bad day" fault, what the client sees, what landed,
// and the counters of /_sim/state (so tests can assert exactly what happened).
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "support/sim_harness.hpp"

using namespace leadpipe::testing;
using leadpipe::sim::default_config;

namespace {

void set_faults(http_client& c, std::string_view faults, std::uint64_t seed = 1) {
  auto r = c.post("/_sim/config", fmt::format(R"({{"faults":[{}],"fault_seed":{}}})", faults, seed));
  INFO(r.body);
  REQUIRE(r.status == 200);
}

http_reply import(http_client& c, std::initializer_list<std::string_view> emails) {
  return c.post(api("/campaigns/1/leads"), leads_body(emails));
}

std::int64_t member_count(http_client& c) {
  json_doc s(c.get("/_sim/state?campaign=1").body);
  return s["campaigns"].at(0)["member_count"].get_int64().value();
}

std::int64_t counter(http_client& c, std::string_view route, std::string_view what) {
  json_doc s(c.get("/_sim/state?members=0").body);
  std::int64_t n = 0;
  if (s["counters"][route][what].get_int64().get(n) != simdjson::SUCCESS) return 0;
  return n;
}

}  // namespace

TEST_CASE("injected 5xx: answered before anything is applied, no rate budget used") {
  for (const transport t : {transport::http, transport::tls}) {
    sim_harness h(default_config("sim-key", kStartMs), t);
    http_client c = h.client();
    set_faults(c, R"("import:status=503")");
    auto r = import(c, {"a@example.org"});
    CHECK(r.status == 503);
    json_doc d(r.body);
    CHECK(d.integer("statusCode") == 503);
    CHECK(d.text("error") == "Service Unavailable");
    CHECK_FALSE(d.text("message").empty());
    CHECK_FALSE(r.has_header("X-RateLimit-Remaining"));
    CHECK(member_count(c) == 0);
    CHECK(c.get(api("/campaigns")).header("X-RateLimit-Remaining") == "59");
    CHECK(counter(c, "import", "503") == 1);
  }
}

TEST_CASE("nth=3:status=500 answers exactly the third request of the route") {
  sim_harness h;
  http_client c = h.client();
  set_faults(c, R"("import:nth=3:status=500")");
  CHECK(import(c, {"a@example.org"}).status == 200);
  CHECK(c.get(api("/campaigns")).status == 200);  // another route: not counted
  CHECK(import(c, {"b@example.org"}).status == 200);
  CHECK(import(c, {"c@example.org"}).status == 500);
  CHECK(import(c, {"c@example.org"}).status == 200);
  CHECK(member_count(c) == 3);
}

TEST_CASE("close-before-answer: the connection drops and nothing lands") {
  for (const transport t : {transport::http, transport::tls}) {
    sim_harness h(default_config("sim-key", kStartMs), t);
    http_client c = h.client();
    set_faults(c, R"("import:close-before-answer")");
    auto r = import(c, {"a@example.org"});
    CHECK_FALSE(r.ok());
    CHECK(r.status == 0);
    CHECK_FALSE(c.connected());
    CHECK(member_count(c) == 0);  // the client reconnects for the control call
    CHECK(counter(c, "import", "closed_before_answer") == 1);
  }
}

TEST_CASE("drop-after-commit: the import lands but no answer comes; a retry sees it as added") {
  for (const transport t : {transport::http, transport::tls}) {
    sim_harness h(default_config("sim-key", kStartMs), t);
    http_client c = h.client();
    set_faults(c, R"("import:drop-after-commit")");
    auto r = import(c, {"a@example.org", "b@example.org"});
    CHECK_FALSE(r.ok());
    CHECK(member_count(c) == 2);
    CHECK(counter(c, "import", "dropped_after_commit") == 1);
    set_faults(c, "");
    json_doc retry(import(c, {"a@example.org", "b@example.org"}).body);
    CHECK(retry.integer("already_added_to_campaign") == 2);
    CHECK(retry.integer("total_leads") == 0);
  }
}

TEST_CASE("truncate: the client gets half a body and a closed connection") {
  for (const transport t : {transport::http, transport::tls}) {
    sim_harness h(default_config("sim-key", kStartMs), t);
    http_client c = h.client();
    set_faults(c, R"("list_leads:truncate")");
    auto r = c.get(api("/campaigns/1/leads"));
    CHECK_FALSE(r.ok());
    CHECK(counter(c, "list_leads", "truncated") == 1);
    CHECK(c.get(api("/campaigns")).status == 200);  // other routes unaffected
  }
}

TEST_CASE("burst429: spurious 429s with Retry-After and the documented body") {
  sim_harness h;
  http_client c = h.client();
  set_faults(c, R"("import:burst429=2:every=3:retry-after=2")");
  std::vector<unsigned> statuses;
  http_reply spurious;
  for (int i = 0; i < 6; ++i) {
    auto r = import(c, {"a@example.org"});
    statuses.push_back(r.status);
    if (r.status == 429) spurious = r;
  }
  CHECK(statuses == std::vector<unsigned>{200, 200, 200, 429, 429, 200});
  CHECK(spurious.header("Retry-After") == "2");
  CHECK(json_doc(spurious.body)["error"]["retry_after"].get_int64().value() == 2);
  json_doc s(c.get("/_sim/state?members=0").body);
  CHECK(s.integer("spurious_429") == 2);
  CHECK(s.integer("rate_limited_429") == 0);
  CHECK(s.integer("total_429") == 2);
}

TEST_CASE("probabilistic faults are reproducible from the seed across a reset") {
  sim_harness h;
  http_client c = h.client();
  const auto run = [&] {
    set_faults(c, R"("*:status=502:p=0.5")", 9);
    std::string pattern;
    for (int i = 0; i < 24; ++i) pattern += c.get(api("/leads/fetch-categories")).status == 502 ? 'x' : '.';
    return pattern;
  };
  const std::string first = run();
  REQUIRE(c.post("/_sim/reset", "").status == 200);
  CHECK(run() == first);
  CHECK(first.find('x') != std::string::npos);
  CHECK(first.find('.') != std::string::npos);
}

TEST_CASE("latency delays the answer; concurrent requests show up in max_in_flight") {
  sim_harness h;
  {
    http_client c = h.client();
    set_faults(c, R"("import:latency=150ms")");
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(import(c, {"a@example.org"}).status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(150));
    set_faults(c, R"("import:latency=1s")");
  }
  std::vector<std::thread> threads;
  std::vector<unsigned> statuses(4);
  for (std::size_t i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      http_client mine = h.client();
      statuses[i] = mine.post(api("/campaigns/1/leads"), leads_body({fmt::format("t{}@example.org", i)})).status;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(statuses == std::vector<unsigned>{200, 200, 200, 200});
  http_client c = h.client();
  json_doc s(c.get("/_sim/state?members=0").body);
  CHECK(s.integer("max_in_flight") == 4);
  CHECK(s.integer("in_flight") == 0);
}

TEST_CASE("keepalive_max closes a connection after N requests, like a proxy") {
  sim_harness h;
  http_client c = h.client();
  REQUIRE(c.post("/_sim/config", R"({"options":{"keepalive_max":3}})").status == 200);
  http_client k = h.client();
  std::vector<std::string> connection;
  for (int i = 0; i < 7; ++i) connection.push_back(k.get(api("/campaigns")).header("Connection"));
  CHECK(connection[2] == "close");
  CHECK(connection[5] == "close");
  CHECK(k.connections_opened() == 3);
}

TEST_CASE("'*' faults hit every API route but never the control endpoints") {
  sim_harness h;
  http_client c = h.client();
  set_faults(c, R"("*:status=500")");
  CHECK(c.get(api("/campaigns")).status == 500);
  CHECK(c.get(api("/no/such/route")).status == 500);
  CHECK(c.get("/_sim/health").status == 200);
  CHECK(c.post("/_sim/reset", "").status == 200);  // back to the start-up faults: none
  CHECK(c.get(api("/campaigns")).status == 200);
}
