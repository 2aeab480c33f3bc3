#include "leadpipe/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "leadpipe/contract_email.hpp"

namespace leadpipe {
namespace {

constexpr std::array<std::string_view, 11> action_words = {
    "success",     "retry_after_backoff",      "rate_limited",
    "split_batch", "set_aside_named_elements", "bisect",
    "abort_auth",  "abort_not_found",          "abort_redirect",
    "already_exists", "give_up"};

// §8.1: a 400 whose message is about how many leads the list holds.
bool mentions_size(std::string_view message) {
  constexpr std::array<std::string_view, 7> words = {"size",     "limit",  "maximum",  "at most",
                                                     "too many", "exceed", "more than"};
  std::string lower;
  append_ascii_lower(lower, message);
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return lower.find(w) != std::string::npos; });
}

retry_action classify_add_leads_rejection(const error_body* body) {
  if (body == nullptr) return retry_action::bisect;
  if (!body->element_indexes.empty()) return retry_action::set_aside_named_elements;
  const auto& keys = body->validation_keys;
  const auto is_list = [](const std::string& k) { return k == "lead_list"; };
  const auto in_list = [](const std::string& k) { return k.starts_with("lead_list"); };
  if (!keys.empty() && std::all_of(keys.begin(), keys.end(), is_list)) {
    return retry_action::split_batch;
  }
  if (!keys.empty() && std::none_of(keys.begin(), keys.end(), in_list)) {
    return retry_action::give_up;
  }
  if (mentions_size(body->message)) return retry_action::split_batch;
  return retry_action::bisect;
}

}  // namespace

std::string_view to_string(retry_action a) noexcept {
  return action_words[static_cast<std::size_t>(a)];
}

retry_action classify(int http_status, bool is_add_leads, const error_body* body) {
  if (http_status >= 200 && http_status < 300) return retry_action::success;
  if (http_status >= 500 && http_status < 600) return retry_action::retry_after_backoff;
  if (is_redirect_status(http_status)) return retry_action::abort_redirect;
  switch (http_status) {
    case 400:
    case 422:
      return is_add_leads ? classify_add_leads_rejection(body) : retry_action::give_up;
    case 401:
    case 403:
      return retry_action::abort_auth;
    case 404:
      return retry_action::abort_not_found;
    case 408:
      return retry_action::retry_after_backoff;
    case 409:
      return retry_action::already_exists;
    case 413:
      return is_add_leads ? retry_action::split_batch : retry_action::give_up;
    case 429:
      return retry_action::rate_limited;
    default:
      return retry_action::give_up;
  }
}

retry_action classify(transport_error) noexcept { return retry_action::retry_after_backoff; }

std::optional<std::size_t> smaller_batch_size(std::size_t current, std::size_t floor) noexcept {
  if (current <= floor) return std::nullopt;
  return std::max(floor, current / 2);
}

retry_policy::retry_policy(retry_options options)
    : options_(options), budget_(options.job_retry_budget), rng_(options.seed) {
  if (!(options_.factor >= 1.0) || options_.first_backoff.count() < 0 ||
      options_.max_backoff.count() < 0 || !(options_.job_retry_budget >= 0.0) ||
      !(options_.retries_per_success >= 0.0)) {
    throw std::invalid_argument("retry policy: factor below 1 or a negative duration or budget");
  }
  stats_.budget_left = budget_;
}

std::chrono::milliseconds retry_policy::backoff_locked(std::uint32_t retry) {
  const double ceiling = std::min(static_cast<double>(options_.max_backoff.count()),
                                  static_cast<double>(options_.first_backoff.count()) *
                                      std::pow(options_.factor, static_cast<double>(retry)));
  std::uniform_int_distribution<std::int64_t> pick(0, static_cast<std::int64_t>(ceiling));
  return std::chrono::milliseconds(pick(rng_));
}

std::chrono::milliseconds retry_policy::backoff(std::uint32_t retry) {
  const std::lock_guard lock(mutex_);
  return backoff_locked(retry);
}

retry_decision retry_policy::on_failure(std::uint32_t retries_so_far) {
  const std::lock_guard lock(mutex_);
  retry_decision d;
  if (retries_so_far >= options_.max_retries_per_batch) {
    d.refusal = retry_refusal::batch_retries_exhausted;
  } else if (budget_ < 1.0) {
    d.refusal = retry_refusal::job_budget_exhausted;
  } else {
    budget_ -= 1.0;
    d.retry = true;
    d.delay = backoff_locked(retries_so_far);
  }
  ++(d.retry ? stats_.retries : stats_.refused);
  stats_.budget_left = budget_;
  return d;
}

void retry_policy::on_success() {
  const std::lock_guard lock(mutex_);
  budget_ = std::min(options_.job_retry_budget, budget_ + options_.retries_per_success);
  stats_.budget_left = budget_;
}

retry_stats retry_policy::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace leadpipe
