#include "leadpipe/rate_rules.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using leadpipe::parse_rate_rules;
using leadpipe::rate_rule;

TEST_CASE("presets of contract section 3.1") {
  CHECK(parse_rate_rules("default").value().rules == std::vector<rate_rule>{{60, 60s}});
  CHECK(parse_rate_rules("legacy").value().rules == std::vector<rate_rule>{{10, 2s}});
  CHECK(parse_rate_rules("standard_tier").value().rules ==
        std::vector<rate_rule>{{10, 1s}, {60, 60s}, {1000, 3600s}});
  CHECK(parse_rate_rules("pro_tier").value().rules ==
        std::vector<rate_rule>{{20, 1s}, {120, 60s}, {3000, 3600s}});
  CHECK(parse_rate_rules("none").value().unlimited());
}

TEST_CASE("rule lists with units") {
  auto r = parse_rate_rules("60/60s, 1000/1h,5/500ms,10/s,3/2m").value();
  CHECK(r.rules == std::vector<rate_rule>{{60, 60s}, {1000, 3600s}, {5, 500ms}, {10, 1s}, {3, 120s}});
  CHECK(leadpipe::to_string(r) == "60/60s,1000/3600s,5/500ms,10/1s,3/120s");
  CHECK(parse_rate_rules(leadpipe::to_string(r)).value() == r);
  CHECK(parse_rate_rules("60/10").value().rules == std::vector<rate_rule>{{60, 10s}});
}

TEST_CASE("bad rules are refused with a message") {
  for (const char* bad : {"", "fast", "0/60s", "-1/60s", "60/", "60/0s", "60/60x", "a/60s", "60/60s,"}) {
    std::string msg;
    CAPTURE(bad);
    CHECK_FALSE(parse_rate_rules(bad, &msg).has_value());
    CHECK_FALSE(msg.empty());
  }
}

TEST_CASE("allowed_requests takes the tightest rule over the span") {
  auto r = parse_rate_rules("10/1s,60/60s").value();
  CHECK(leadpipe::allowed_requests(r, 60s) == 60);
  CHECK(leadpipe::allowed_requests(r, 3s) == 30);
  CHECK(leadpipe::allowed_requests(r, 61s) == 120);
  CHECK(leadpipe::allowed_requests(parse_rate_rules("default").value(), 600s) == 600);
}
