// Fault rules: the --fault syntax and reproducible per-route decisions.
#include "sim/faults.hpp"

#include <doctest/doctest.h>

using namespace leadpipe::sim;
using namespace std::chrono_literals;

namespace {

fault_rule rule(const char* text) {
  std::string why;
  auto r = parse_fault(text, &why);
  INFO(why);
  REQUIRE(r.has_value());
  return *r;
}

std::vector<fault_action> actions(fault_injector& f, route_id route, int n) {
  std::vector<fault_action> out;
  for (int i = 0; i < n; ++i) out.push_back(f.decide(route).action);
  return out;
}

}  // namespace

TEST_CASE("the documented fault syntax parses") {
  auto s = rule("import:status=503:p=0.1");
  CHECK(s.route == route_id::import);
  CHECK(s.kind == fault_kind::status);
  CHECK(s.status == 503);
  CHECK(s.probability == doctest::Approx(0.1));
  CHECK(rule("import:drop-after-commit:p=0.05").kind == fault_kind::drop_after_commit);
  auto lat = rule("import:latency=500ms..5s");
  CHECK(lat.latency_min_ms == 500);
  CHECK(lat.latency_max_ms == 5000);
  CHECK(lat.latency_mean_ms == 500 + 4500 / 4);
  auto nth = rule("import:nth=3:status=500");
  CHECK(nth.nth == 3);
  CHECK(nth.status == 500);
  auto any = rule("*:close-before-answer:p=0.01");
  CHECK_FALSE(any.route.has_value());
  CHECK(rule("import:truncate:p=0.01").kind == fault_kind::truncate);
  auto burst = rule("import:burst429=5:every=100:retry-after=3");
  CHECK(burst.burst == 5);
  CHECK(burst.every == 100);
  CHECK(burst.retry_after_s == 3);
  CHECK(rule("list_leads:latency=250ms").latency_max_ms == 250);
}

TEST_CASE("bad fault rules are refused with a message") {
  for (const char* bad : {"import", "nosuchroute:status=500", "import:", "import:status=abc",
                          "import:status=99", "import:p=2:status=500", "import:latency=5s..1s",
                          "import:truncate:status=500", "import:nth=2:truncate", "import:wobble",
                          "import:truncate=1", "import:p=0.5"}) {
    CAPTURE(bad);
    std::string why;
    CHECK_FALSE(parse_fault(bad, &why).has_value());
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("nth answers exactly the Nth request of its route") {
  fault_injector f({rule("import:nth=3:status=500")}, 1);
  CHECK(f.decide(route_id::list_leads).action == fault_action::none);  // other routes don't count
  CHECK(actions(f, route_id::import, 5) ==
        std::vector<fault_action>{fault_action::none, fault_action::none, fault_action::status,
                                  fault_action::none, fault_action::none});
  f.reset_counts();
  actions(f, route_id::import, 2);
  const auto third = f.decide(route_id::import);
  CHECK(third.action == fault_action::status);
  CHECK(third.status == 500);
}

TEST_CASE("burst429 sends bursts after every N requests") {
  fault_injector f({rule("import:burst429=2:every=3")}, 1);
  using a = fault_action;
  CHECK(actions(f, route_id::import, 9) ==
        std::vector<a>{a::none, a::none, a::none, a::spurious_429, a::spurious_429, a::none,
                       a::spurious_429, a::spurious_429, a::none});
  fault_injector first({rule("import:burst429=2")}, 1);
  CHECK(actions(first, route_id::import, 3) == std::vector<a>{a::spurious_429, a::spurious_429, a::none});
}

TEST_CASE("probabilities are reproducible from the seed and roughly right") {
  const auto run = [](std::uint64_t seed) {
    fault_injector f({rule("*:status=503:p=0.25")}, seed);
    return actions(f, route_id::import, 2000);
  };
  const auto a = run(7);
  CHECK(a == run(7));
  CHECK(a != run(8));
  const auto hits = std::count(a.begin(), a.end(), fault_action::status);
  CHECK(hits > 400);
  CHECK(hits < 600);
}

TEST_CASE("the first non-latency rule that fires decides; latencies add up") {
  fault_injector f({rule("import:latency=100ms"), rule("import:status=502"),
                    rule("import:truncate"), rule("*:latency=20ms")},
                   1);
  const auto plan = f.decide(route_id::import);
  CHECK(plan.action == fault_action::status);
  CHECK(plan.status == 502);
  CHECK(plan.delay == 120ms);
  const auto other = f.decide(route_id::campaign_list);
  CHECK(other.action == fault_action::none);
  CHECK(other.delay == 20ms);
}

TEST_CASE("latency ranges stay within bounds with a tail toward the maximum") {
  const fault_rule r = rule("import:latency=500ms..5s");
  CHECK(sample_latency(r, 0.0) == 500ms);
  CHECK(sample_latency(r, 0.999999) == 5000ms);
  double sum = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto d = sample_latency(r, (i + 0.5) / 1000.0);
    CHECK(d >= 500ms);
    CHECK(d <= 5000ms);
    sum += static_cast<double>(d.count());
  }
  const double mean = sum / 1000;
  CHECK(mean > 1300);  // about min + (mean - min), a little less because of the cap
  CHECK(mean < 1700);
  CHECK(sample_latency(rule("import:latency=1s..1s"), 0.7) == 1000ms);
}
