#pragma once
// Test-only HTTP/1.1 client for the simulator's contract tests: one keep-alive connection over
// plain TCP or TLS, blocking calls, every reply (or the lack of one) reported as data. It is
// deliberately not the importer's client, so the contract tests judge the simulator on its own.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

namespace leadpipe::testing {

/// One exchange. `error` is set when no complete reply arrived (closed, truncated, timed out).
struct http_reply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  boost::system::error_code error;

  [[nodiscard]] bool ok() const { return !error; }
  [[nodiscard]] bool has_header(std::string_view name) const;
  /// The header's value, or "" when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
};

/// A blocking client for 127.0.0.1:port. With a non-empty `ca_pem` it speaks TLS, trusts only
/// that CA and checks the host name "localhost". It connects on first use and again after any
/// failure or a "Connection: close". Each call waits at most 20 s. Not thread-safe: one client
/// per thread.
class http_client {
 public:
  explicit http_client(std::uint16_t port, std::string ca_pem = {});
  ~http_client();
  http_client(http_client&&) noexcept;
  http_client& operator=(http_client&&) noexcept;

  http_reply get(std::string_view target) { return request("GET", target, {}); }
  http_reply post(std::string_view target, std::string_view body) { return request("POST", target, body); }
  http_reply patch(std::string_view target, std::string_view body) { return request("PATCH", target, body); }
  http_reply del(std::string_view target) { return request("DELETE", target, {}); }
  /// Any method; a JSON Content-Type is sent with a non-empty body.
  http_reply request(std::string_view method, std::string_view target, std::string_view body);

  /// True while a connection is open (the server did not close it).
  [[nodiscard]] bool connected() const;
  /// How many connections were opened so far.
  [[nodiscard]] int connections_opened() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace leadpipe::testing
