#pragma once
// One request at a time to the SmartLead API, for everything but the bulk import's senders:
// sync, block, leads. Every call waits for the shared rate limiter, honours 429 pauses
// (Retry-After, Reset), retries 5xx, 408 and transport failures with the import's backoff
// policy, and counts requests for the report. Blocking calls on a private io_context.

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/beast/http/verb.hpp>

#include "leadpipe/net/connection.hpp"
#include "leadpipe/rate_limiter.hpp"
#include "leadpipe/report.hpp"
#include "leadpipe/retry_policy.hpp"

namespace leadpipe::net {

/// Settings of an API session. Plain data.
struct api_options {
  std::string base_url = "https://server.smartlead.ai/api/v1";
  std::string api_key;  ///< goes into the query string only; never logged or stored
  tls_options tls;
  timeouts limits;
  rate_limiter_options limiter;
  retry_options retry;
};

/// The final answer to a call (any status the retry loop does not absorb).
struct api_answer {
  int status = 0;
  std::string body;
  /// The request was sent more than once (an answer was lost): a non-idempotent effect may have
  /// happened already (a DELETE answering 404, say).
  bool resent = false;
  std::string location;  ///< the Location header of a 3xx
  [[nodiscard]] bool ok() const { return status >= 200 && status < 300; }
};

/// A call that could not be completed: TLS refused, retries or 429 patience exhausted, or
/// (from call_ok) a non-2xx answer. The message is lower-case, names the request's path
/// (never the key) and what the server said. `status` is 0 without an HTTP answer.
class api_error : public std::runtime_error {
 public:
  api_error(const std::string& message, int status) : std::runtime_error(message), status_(status) {}
  [[nodiscard]] int status() const noexcept { return status_; }

 private:
  int status_;
};

/// 32 hex digits of SHA-256("leadpipe-account\n" + key): names an account in cache file names
/// without storing the key. Thread-safe.
[[nodiscard]] std::string account_id_of(std::string_view api_key);

/// Copies a limiter's figures (429s, pauses, budget use, overloads, pacing) into `n`.
void add_limiter_stats(network_stats& n, const rate_limiter_stats& ls);

/// Percent-encodes a query value (RFC 3986 unreserved characters pass). Thread-safe.
[[nodiscard]] std::string url_encode(std::string_view s);

/// One keep-alive connection plus the rate limiter and retry policy. Not thread-safe: one
/// caller. The limiter may be shared with an import that follows on the same thread.
class api_session {
 public:
  /// Throws std::runtime_error for a bad base URL or an unreadable CA file. `stop`, when given,
  /// is checked before each attempt: once set, calls throw api_error("stopped by a signal").
  explicit api_session(api_options options, const std::atomic<bool>* stop = nullptr);
  ~api_session();
  api_session(const api_session&) = delete;
  api_session& operator=(const api_session&) = delete;

  /// Sends `method path` (path below the base path, with its query, without the key) and
  /// returns the final answer. 429s wait as the limiter says; 5xx, 408 and transport failures
  /// are retried with backoff. Throws api_error when it gives up.
  api_answer call(boost::beast::http::verb method, std::string_view path,
                  std::string_view json_body = {});
  /// call(), and a non-2xx answer throws api_error with the server's message: 401/403 say the
  /// key was refused, 404 that `what` was not found.
  api_answer call_ok(boost::beast::http::verb method, std::string_view path,
                     std::string_view json_body = {}, std::string_view what = {});

  /// The shared rate limiter (an import run after a sync continues its windows).
  [[nodiscard]] rate_limiter& limiter();
  [[nodiscard]] std::shared_ptr<rate_limiter> shared_limiter();
  /// Canonical base URL.
  [[nodiscard]] std::string base_url() const;
  [[nodiscard]] const std::string& account_id() const;
  /// Requests by status, retries, 429s, rate use: for the report.
  [[nodiscard]] network_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace leadpipe::net
