#pragma once
// The send stage's retry policy, in one place: what each answer or transport failure of a request
// means (contract §2.3, §8.1, §11.5) and how long to back off before resending (§8.2).
// 429 waits belong to the rate limiter, which pauses every sender.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

#include "leadpipe/import_response.hpp"

namespace leadpipe {

/// A request that got no HTTP answer. TLS verification failures are not here: they are not
/// transient, and the caller stops the job on them.
enum class transport_error : std::uint8_t {
  timeout,          ///< a step ran out of time
  connection_lost,  ///< reset or closed before the whole answer arrived
  connect_failed,   ///< resolve, connect or TLS handshake failed
};

/// What the caller does next with a request.
enum class retry_action : std::uint8_t {
  success,                   ///< 2xx: read the answer
  retry_after_backoff,       ///< 5xx, 408, transport errors: resend after retry_policy's delay
  rate_limited,              ///< 429: resend when rate_limiter::on_429 says
  split_batch,               ///< add-leads size complaint: resend the leads in smaller batches
  set_aside_named_elements,  ///< 400/422 naming lead_list elements: set those aside, resend rest
  bisect,                    ///< 400/422 naming no element: resend each half to find the bad lead
  abort_auth,                ///< 401/403: stop the job (bad key, no API access)
  abort_not_found,           ///< 404: stop (the campaign is missing or another account's)
  abort_redirect,            ///< 3xx: stop; redirects are not followed (the key is in the URL)
  already_exists,            ///< 409: what was to be created exists; not an error
  give_up,                   ///< anything else: not retryable, report the request as failed
};

/// The action's name ("success", "retry_after_backoff", ...).
[[nodiscard]] std::string_view to_string(retry_action a) noexcept;

/// True for a redirect (3xx), which is never followed: the API key is in the query string.
/// Thread-safe.
[[nodiscard]] constexpr bool is_redirect_status(int status) noexcept {
  return status >= 300 && status < 400;
}

/// Classifies an HTTP answer. For add-leads (`is_add_leads`) a 400/422 is read through `body`
/// (nullptr: no body): element indexes -> set_aside_named_elements; validation keys that are
/// exactly "lead_list", or a message about the list's size or limit -> split_batch; keys that
/// name only fields outside lead_list (e.g. settings) -> give_up (every batch would fail alike);
/// otherwise bisect. A 413 on add-leads is a size complaint too. Other requests give up on
/// 400/422. Thread-safe.
[[nodiscard]] retry_action classify(int http_status, bool is_add_leads,
                                    const error_body* body = nullptr);

/// Classifies a request that got no answer: always retry_after_backoff. Thread-safe.
[[nodiscard]] retry_action classify(transport_error e) noexcept;

/// §8.1: the batch size after a size complaint, max(floor, current / 2); nullopt when `current`
/// is already at or below the floor (the caller bisects instead). Thread-safe.
[[nodiscard]] std::optional<std::size_t> smaller_batch_size(std::size_t current,
                                                            std::size_t floor = 50) noexcept;

struct retry_options {
  /// Full-jitter exponential backoff (§8.2): the n-th retry (n from 0) waits a uniform time in
  /// [0, min(max_backoff, first_backoff * factor^n)].
  std::chrono::milliseconds first_backoff{1000};
  double factor = 2.0;
  std::chrono::milliseconds max_backoff{30000};
  /// Retries of one batch for retry_after_backoff actions (§8.2: 5).
  std::uint32_t max_retries_per_batch = 5;
  /// The job's retry budget, a token bucket: it starts with `job_retry_budget` retries, every
  /// retry spends one, every successful request earns back `retries_per_success` (never above
  /// the start). A server that keeps failing drains it and batches then fail at once instead of
  /// each waiting out its own retries; a long healthy job keeps its budget.
  double job_retry_budget = 100;
  double retries_per_success = 0.2;
  std::uint64_t seed = 0x5eed;  ///< seeds the jitter generator (deterministic tests)
};

/// Why a retry was refused.
enum class retry_refusal : std::uint8_t { none, batch_retries_exhausted, job_budget_exhausted };

struct retry_decision {
  bool retry = false;
  std::chrono::milliseconds delay{0};  ///< wait before resending (retry only)
  retry_refusal refusal = retry_refusal::none;
};

struct retry_stats {
  std::uint64_t retries = 0;  ///< retries granted
  std::uint64_t refused = 0;  ///< failures that were not retried
  double budget_left = 0;
};

/// Backoff and retry budgets for one job, shared by every sender. Thread-safe (a mutex guards
/// the budget and the seeded generator).
class retry_policy {
 public:
  /// Throws std::invalid_argument for a factor below 1, negative durations or budgets.
  explicit retry_policy(retry_options options);

  /// A batch failed with retry_after_backoff after `retries_so_far` earlier retries: either a
  /// retry (spending one from the job's budget) after a jittered delay, or the reason not to.
  [[nodiscard]] retry_decision on_failure(std::uint32_t retries_so_far);

  /// A request succeeded: earns back part of the job's budget.
  void on_success();

  /// The full-jitter delay before retry number `retry` (from 0); spends no budget.
  [[nodiscard]] std::chrono::milliseconds backoff(std::uint32_t retry);

  [[nodiscard]] retry_stats stats() const;

 private:
  [[nodiscard]] std::chrono::milliseconds backoff_locked(std::uint32_t retry);

  mutable std::mutex mutex_;
  retry_options options_;
  double budget_;
  std::mt19937_64 rng_;
  retry_stats stats_;
};

}  // namespace leadpipe
