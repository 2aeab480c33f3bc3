#include "leadpipe/retry_policy.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

using namespace std::chrono_literals;
using leadpipe::classify;
using leadpipe::error_body;
using leadpipe::retry_action;
using leadpipe::retry_options;
using leadpipe::retry_policy;
using leadpipe::retry_refusal;
using ms = std::chrono::milliseconds;

namespace {

error_body body(std::string message, std::vector<std::string> keys = {},
                std::vector<std::uint32_t> elements = {}) {
  error_body b;
  b.message = std::move(message);
  b.validation_keys = std::move(keys);
  b.element_indexes = std::move(elements);
  b.is_json = true;
  return b;
}

}  // namespace

TEST_CASE("status codes of contract section 2.3") {
  for (int s : {200, 201, 204}) CHECK(classify(s, true) == retry_action::success);
  for (int s : {500, 502, 503, 504, 599, 408}) {
    CAPTURE(s);
    CHECK(classify(s, true) == retry_action::retry_after_backoff);
    CHECK(classify(s, false) == retry_action::retry_after_backoff);
  }
  CHECK(classify(429, true) == retry_action::rate_limited);
  CHECK(classify(401, true) == retry_action::abort_auth);
  CHECK(classify(403, false) == retry_action::abort_auth);
  CHECK(classify(404, true) == retry_action::abort_not_found);
  for (int s : {301, 302, 303, 307, 308}) CHECK(classify(s, true) == retry_action::abort_redirect);
  CHECK(classify(409, false) == retry_action::already_exists);
  for (int s : {100, 405, 418, 451}) {
    CAPTURE(s);
    CHECK(classify(s, true) == retry_action::give_up);
  }
}

TEST_CASE("transport errors are retried after a backoff") {
  for (auto e : {leadpipe::transport_error::timeout, leadpipe::transport_error::connection_lost,
                 leadpipe::transport_error::connect_failed}) {
    CHECK(classify(e) == retry_action::retry_after_backoff);
  }
}

TEST_CASE("add-leads 400 and 422 are read through the error body") {
  for (int s : {400, 422}) {
    CAPTURE(s);
    auto named = body("bad email", {"lead_list.3.email"}, {3});
    CHECK(classify(s, true, &named) == retry_action::set_aside_named_elements);
    auto list = body("\"lead_list\" is not allowed", {"lead_list"});
    CHECK(classify(s, true, &list) == retry_action::split_batch);
    auto size = body("lead_list must contain at most 400 items");
    CHECK(classify(s, true, &size) == retry_action::split_batch);
    auto too_many = body("Too many leads in one request");
    CHECK(classify(s, true, &too_many) == retry_action::split_batch);
    auto settings = body("unknown setting", {"settings.foo"});
    CHECK(classify(s, true, &settings) == retry_action::give_up);
    auto vague = body("Bad Request");
    CHECK(classify(s, true, &vague) == retry_action::bisect);
    CHECK(classify(s, true) == retry_action::bisect);
    // Keys inside lead_list that name no element: the size is not the problem, halves are.
    auto inside = body("invalid", {"lead_list.email"});
    CHECK(classify(s, true, &inside) == retry_action::bisect);
    // Other endpoints do not split or bisect.
    CHECK(classify(s, false, &named) == retry_action::give_up);
  }
  CHECK(classify(413, true) == retry_action::split_batch);
  CHECK(classify(413, false) == retry_action::give_up);
}

TEST_CASE("a named element wins over a size message") {
  auto b = body("lead_list.7.custom_fields exceeds the limit of 200 keys",
                {"lead_list.7.custom_fields"}, {7});
  CHECK(classify(400, true, &b) == retry_action::set_aside_named_elements);
}

TEST_CASE("batch size after a size complaint: halves, floor 50") {
  CHECK(leadpipe::smaller_batch_size(400) == 200);
  CHECK(leadpipe::smaller_batch_size(100) == 50);
  CHECK(leadpipe::smaller_batch_size(70) == 50);
  CHECK_FALSE(leadpipe::smaller_batch_size(50).has_value());
  CHECK_FALSE(leadpipe::smaller_batch_size(12).has_value());
  CHECK(leadpipe::smaller_batch_size(30, 10) == 15);
}

TEST_CASE("full-jitter backoff: 1 s doubling, capped at 30 s") {
  retry_policy p(retry_options{});
  const ms ceilings[] = {1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s};
  for (std::uint32_t n = 0; n < 8; ++n) {
    CAPTURE(n);
    ms lowest = ceilings[n];
    ms highest = 0ms;
    for (int k = 0; k < 400; ++k) {
      const ms d = p.backoff(n);
      lowest = std::min(lowest, d);
      highest = std::max(highest, d);
    }
    CHECK(lowest >= 0ms);
    CHECK(highest <= ceilings[n]);
    // Full jitter spreads over the whole range, not just near the ceiling.
    CHECK(lowest < ceilings[n] / 10);
    CHECK(highest > ceilings[n] * 9 / 10);
  }
}

TEST_CASE("the same seed gives the same delays") {
  retry_policy a(retry_options{.seed = 42});
  retry_policy b(retry_options{.seed = 42});
  for (std::uint32_t n = 0; n < 5; ++n) CHECK(a.backoff(n) == b.backoff(n));
}

TEST_CASE("a batch gets five retries") {
  retry_policy p(retry_options{});
  for (std::uint32_t n = 0; n < 5; ++n) {
    const auto d = p.on_failure(n);
    CHECK(d.retry);
    CHECK(d.delay <= ms(1000 << n));
    CHECK(d.refusal == retry_refusal::none);
  }
  const auto last = p.on_failure(5);
  CHECK_FALSE(last.retry);
  CHECK(last.refusal == retry_refusal::batch_retries_exhausted);
  CHECK(p.stats().retries == 5);
  CHECK(p.stats().refused == 1);
}

TEST_CASE("the job's budget drains on failures and refills on successes") {
  retry_policy p(retry_options{.job_retry_budget = 3, .retries_per_success = 0.25});
  for (int k = 0; k < 3; ++k) CHECK(p.on_failure(0).retry);
  const auto refused = p.on_failure(0);
  CHECK_FALSE(refused.retry);
  CHECK(refused.refusal == retry_refusal::job_budget_exhausted);
  for (int k = 0; k < 3; ++k) p.on_success();
  CHECK_FALSE(p.on_failure(0).retry);  // 0.75 earned: not yet a whole retry
  p.on_success();
  CHECK(p.on_failure(0).retry);
  for (int k = 0; k < 100; ++k) p.on_success();
  CHECK(p.stats().budget_left == doctest::Approx(3.0));  // never above the start
}

TEST_CASE("bad options are refused at start-up") {
  CHECK_THROWS_AS(retry_policy(retry_options{.factor = 0.5}), std::invalid_argument);
  CHECK_THROWS_AS(retry_policy(retry_options{.first_backoff = -1ms}), std::invalid_argument);
  CHECK_THROWS_AS(retry_policy(retry_options{.job_retry_budget = -1}), std::invalid_argument);
}

TEST_CASE("action names") {
  CHECK(leadpipe::to_string(retry_action::success) == "success");
  CHECK(leadpipe::to_string(retry_action::set_aside_named_elements) == "set_aside_named_elements");
  CHECK(leadpipe::to_string(retry_action::give_up) == "give_up");
}
