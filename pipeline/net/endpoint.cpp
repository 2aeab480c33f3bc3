#include "leadpipe/net/endpoint.hpp"

#include <charconv>

#include <boost/system/errc.hpp>
#include <fmt/format.h>

namespace leadpipe::net {
namespace {

boost::system::result<endpoint> fail(std::string* message, std::string text) {
  if (message != nullptr) *message = std::move(text);
  return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string endpoint::url() const {
  std::string out = tls ? "https://" : "http://";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!((tls && port == "443") || (!tls && port == "80"))) out += ":" + port;
  out += base_path;
  return out;
}

bool is_loopback_host(std::string_view host) noexcept {
  if (host == "localhost" || host == "::1") return true;
  if (host.substr(0, 4) != "127.") return false;
  // Whole dotted quad of digits.
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

boost::system::result<endpoint> parse_base_url(std::string_view url, std::string* message) {
  endpoint ep;
  std::string_view rest;
  if (starts_with_ci(url, "https://")) {
    rest = url.substr(8);
    ep.tls = true;
    ep.port = "443";
  } else if (starts_with_ci(url, "http://")) {
    rest = url.substr(7);
    ep.tls = false;
    ep.port = "80";
  } else {
    return fail(message, "base url must start with https:// (got '" + std::string(url) + "')");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return fail(message, "base url must not have a query or fragment");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return fail(message, "base url must not carry user information (the api key goes in "
                         "SMARTLEAD_API_KEY or --api-key-file)");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return fail(message, "base url: unclosed '[' in host");
    port = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!port.empty()) {
      if (port.front() != ':') return fail(message, "base url: bad port");
      port.remove_prefix(1);
    }
  } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) return fail(message, "base url has no host");
  if (!port.empty()) {
    unsigned value = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), value);
    if (r.ec != std::errc{} || r.ptr != port.data() + port.size() || value == 0 || value > 65535) {
      return fail(message, "base url: port must be 1-65535");
    }
    ep.port = std::string(port);
  }
  ep.host.reserve(host.size());
  for (char c : host) ep.host.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  ep.base_path = std::string(path);
  if (!ep.tls && !is_loopback_host(ep.host)) {
    return fail(message, "plain http:// is only allowed to loopback addresses; use https://");
  }
  return ep;
}

std::string base_path_hint(const endpoint& ep) {
  if (ep.base_path.find("/api") != std::string::npos) return {};
  return fmt::format("; --base-url {} has no /api path: SmartLead's API is at "
                     "https://server.smartlead.ai/api/v1",
                     ep.url());
}

}  // namespace leadpipe::net
