#pragma once
// One keep-alive HTTP/1.1 connection to the API, plain (loopback only) or TLS, owned by one
// sender coroutine. Every step of an exchange is spelled out with its own timeout: resolve,
// connect, SNI and host-name check, handshake, write, read. A connection the server closed
// (proxies close keep-alive connections after N requests) is reopened transparently.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/error_code.hpp>

#include "leadpipe/net/endpoint.hpp"

namespace leadpipe::net {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

/// The value of header `name` in `res`, or an empty view. Thread-safe for a const response.
/// Why a 3xx stops a job: where it points and what to do ("the server redirects (308) to
/// https://x/api/v1/...: redirects are not followed, since the API key is in the query string; if
/// that is the API's new address, give it as --base-url"). Thread-safe.
[[nodiscard]] std::string redirect_message(unsigned status, std::string_view location);

/// Replaces every occurrence of `secret` in `text`, as it is and URL-encoded, by "[api key]":
/// a server that echoes the request URL in an error message must not put the API key into
/// messages, reports or outcome files. Thread-safe.
void scrub_secret(std::string& text, std::string_view secret);

/// The Host header for `ep` (RFC 9110 §7.2): the port is included unless it is the scheme's
/// default, and an IPv6 literal is bracketed. Thread-safe.
[[nodiscard]] std::string host_header(const endpoint& ep);

/// Resets `req` to an HTTP/1.1 `method` request for `target` on `ep` with the headers every API
/// request carries: Host, User-Agent, Accept: application/json and Accept-Encoding: identity.
/// The caller adds the body and its Content-Type.
void start_api_request(http_request& req, boost::beast::http::verb method,
                       std::string_view target, const endpoint& ep);

[[nodiscard]] inline std::string_view response_header(const http_response& res,
                                                      std::string_view name) {
  auto it = res.find(name);
  return it == res.end() ? std::string_view{}
                         : std::string_view(it->value().data(), it->value().size());
}

/// TLS settings for the client.
struct tls_options {
  std::string ca_file;  ///< an extra CA to trust (the simulator's), besides the system's
};

/// Builds the client TLS context: TLS 1.2 or newer, the system's trusted CAs plus `ca_file`,
/// peer verification on. Throws std::runtime_error naming the CA file when it cannot be loaded.
[[nodiscard]] boost::asio::ssl::context make_client_tls_context(const tls_options& opts);

/// Timeouts of §8.2.
struct timeouts {
  std::chrono::milliseconds connect{10'000};   ///< resolve + TCP connect + TLS handshake
  std::chrono::milliseconds request{60'000};   ///< write + read of one exchange
};

/// Why an exchange failed, for the retry policy.
enum class failure_kind {
  none,
  connect,      ///< resolve/connect/handshake failed: nothing was sent
  tls_verify,   ///< the server's certificate was refused: fatal for the job
  timeout,      ///< a step timed out; the request may or may not have been applied
  reset,        ///< the connection broke after the request was (maybe) sent
  bad_response  ///< the answer was not valid HTTP (truncated body, garbage)
};

/// Result of one exchange.
struct exchange_result {
  boost::system::error_code ec;  ///< empty on success (any HTTP status)
  failure_kind kind = failure_kind::none;
  bool request_sent = false;     ///< at least the request was written: it may have landed
  /// The request went out twice (a reused connection died and it was sent again on a new one):
  /// even on success the first copy may have been applied too.
  bool resent = false;
  std::string message;           ///< lower-case description of the failure
  /// When the request's last byte was handed to the socket (its last copy, when resent); the
  /// epoch of the steady clock when it never was. A request that had to open a connection first
  /// (TCP and TLS handshakes) leaves well after its rate-limit permit: the limiter dates the
  /// server's windows from this time, not from the permit.
  std::chrono::steady_clock::time_point written{};
  /// The `may_send` check of exchange() said no once the connection was ready: nothing was
  /// written, and the connection stays open for the next exchange.
  bool held = false;
};

/// One connection. Not thread-safe: used by one coroutine at a time. The TLS context must
/// outlive the connection.
class connection {
 public:
  connection(boost::asio::any_io_executor ex, endpoint ep, boost::asio::ssl::context* tls,
             timeouts t);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Sends `req` and reads the answer into `res` (cleared first). Opens or reopens the
  /// connection as needed; when a reused keep-alive connection turns out to have been closed by
  /// the server before any byte of the answer arrived, it reconnects and sends once more (the
  /// result then says request_sent so the caller knows an earlier copy may have landed).
  /// Honours `Connection: close` in answers. `request_timeout` overrides the default per call.
  /// `may_send`, when given, is asked once the connection is ready, before each write: false
  /// returns at once with `held` set (a rate-limit pause began while the connection opened).
  boost::asio::awaitable<exchange_result> exchange(
      http_request& req, http_response& res,
      std::optional<std::chrono::milliseconds> request_timeout = std::nullopt,
      std::function<bool()> may_send = {});

  /// Closes the socket (no TLS shutdown round trip: the server may already be gone).
  void close();
  [[nodiscard]] bool is_open() const;
  /// Connections opened so far (1 + reconnects), for tests and statistics.
  [[nodiscard]] std::size_t opens() const { return opens_; }
  [[nodiscard]] const endpoint& where() const { return ep_; }

 private:
  boost::asio::awaitable<exchange_result> open();
  boost::asio::awaitable<exchange_result> send_once(http_request& req, http_response& res,
                                                    std::chrono::milliseconds limit);
  boost::beast::tcp_stream& tcp();

  boost::asio::any_io_executor ex_;
  endpoint ep_;
  boost::asio::ssl::context* tls_;
  timeouts timeouts_;
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure_;
  boost::beast::flat_buffer buffer_;
  std::size_t opens_ = 0;
  std::size_t uses_ = 0;  // exchanges on the current socket
};

}  // namespace leadpipe::net
