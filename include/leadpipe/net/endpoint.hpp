#pragma once
// Where the API lives: the base URL split into scheme, host, port and path prefix. Plain http://
// is allowed only to loopback addresses (tests and the simulator); everything else must be TLS.

#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace leadpipe::net {

/// A parsed base URL. Value type.
struct endpoint {
  bool tls = true;
  std::string host;       ///< host name or IP literal, without brackets
  std::string port;       ///< "443", "80" or as given
  std::string base_path;  ///< path prefix without a trailing slash, e.g. "/api/v1"
  /// "https://host:port/api/v1", the canonical text (used in cache keys and reports).
  [[nodiscard]] std::string url() const;
};

/// True for 127.0.0.0/8, ::1 and "localhost".
[[nodiscard]] bool is_loopback_host(std::string_view host) noexcept;

/// Parses "https://server.smartlead.ai/api/v1" and the like. Refuses other schemes, user info,
/// queries, fragments, and http:// to anything but a loopback host. On failure writes a
/// lower-case message to `*message` when given. Thread-safe.
[[nodiscard]] boost::system::result<endpoint> parse_base_url(std::string_view url,
                                                             std::string* message = nullptr);

/// For a 404: a hint when the base URL's path does not look like the API's (no "/api" in it),
/// e.g. "; --base-url has no /api/v1 path (SmartLead's API is at .../api/v1)"; empty otherwise.
/// Thread-safe.
[[nodiscard]] std::string base_path_hint(const endpoint& ep);

}  // namespace leadpipe::net
