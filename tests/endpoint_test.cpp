#include "leadpipe/net/endpoint.hpp"

#include "leadpipe/net/connection.hpp"

#include <doctest/doctest.h>

using leadpipe::net::is_loopback_host;
using leadpipe::net::parse_base_url;
namespace net = leadpipe::net;

TEST_CASE("the default base url") {
  auto ep = parse_base_url("https://server.smartlead.ai/api/v1").value();
  CHECK(ep.tls);
  CHECK(ep.host == "server.smartlead.ai");
  CHECK(ep.port == "443");
  CHECK(ep.base_path == "/api/v1");
  CHECK(ep.url() == "https://server.smartlead.ai/api/v1");
}

TEST_CASE("ports, case, trailing slashes and IPv6 literals") {
  auto ep = parse_base_url("HTTPS://Example.COM:8443/api/v1/").value();
  CHECK(ep.host == "example.com");
  CHECK(ep.port == "8443");
  CHECK(ep.base_path == "/api/v1");
  CHECK(ep.url() == "https://example.com:8443/api/v1");
  auto v6 = parse_base_url("http://[::1]:9000").value();
  CHECK(v6.host == "::1");
  CHECK(v6.port == "9000");
  CHECK(v6.base_path.empty());
  CHECK(v6.url() == "http://[::1]:9000");
}

TEST_CASE("plain http only to loopback") {
  CHECK(parse_base_url("http://127.0.0.1:8080/api/v1").has_value());
  CHECK(parse_base_url("http://localhost:8080").has_value());
  std::string msg;
  CHECK_FALSE(parse_base_url("http://server.smartlead.ai/api/v1", &msg).has_value());
  CHECK(msg.find("loopback") != std::string::npos);
  CHECK_FALSE(parse_base_url("http://10.0.0.1/api", &msg).has_value());
  CHECK_FALSE(parse_base_url("http://127.0.0.1.evil.com/api", &msg).has_value());
}

TEST_CASE("malformed base urls are refused with a reason") {
  std::string msg;
  for (const char* bad : {"ftp://x.io", "server.smartlead.ai/api", "https://", "https://:443/x",
                          "https://user:pw@x.io/api", "https://x.io/api?api_key=1",
                          "https://x.io:99999/api", "https://x.io:abc/api", "https://[::1/api"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_base_url(bad, &msg).has_value());
    CHECK_FALSE(msg.empty());
  }
}

TEST_CASE("loopback detection") {
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("localhost"));
  CHECK_FALSE(is_loopback_host("127.0.0.1.nip.io"));
  CHECK_FALSE(is_loopback_host("128.0.0.1"));
  CHECK_FALSE(is_loopback_host("localhost.example"));
}

TEST_CASE("a 404 hint when the base url has no /api path") {
  CHECK(leadpipe::net::base_path_hint(parse_base_url("https://server.smartlead.ai/api/v1").value())
            .empty());
  const std::string hint =
      leadpipe::net::base_path_hint(parse_base_url("https://server.smartlead.ai/").value());
  CHECK(hint.find("has no /api path") != std::string::npos);
  CHECK(hint.find("https://server.smartlead.ai/api/v1") != std::string::npos);
}

// RFC 9110 §7.2: the port goes into Host unless it is the scheme's default.
TEST_CASE("the Host header carries a port that is not the default, and brackets IPv6") {
  CHECK(net::host_header(*net::parse_base_url("https://server.smartlead.ai/api/v1")) ==
        "server.smartlead.ai");
  CHECK(net::host_header(*net::parse_base_url("https://localhost:8443/api/v1")) ==
        "localhost:8443");
  CHECK(net::host_header(*net::parse_base_url("http://127.0.0.1:80/api/v1")) == "127.0.0.1");
  CHECK(net::host_header(*net::parse_base_url("http://127.0.0.1:9000/api/v1")) == "127.0.0.1:9000");
  CHECK(net::host_header(*net::parse_base_url("http://[::1]:9000/api/v1")) == "[::1]:9000");
}

// nginx's usual http -> https redirect sends the request URI back, API key and all; a server's
// error page may echo it. Neither may reach a message, report or outcome file.
TEST_CASE("the API key is kept out of redirect messages and echoed server text") {
  const std::string m = net::redirect_message(
      301, "https://api.example.com/api/v1/campaigns/1/leads?api_key=S3CRET&x=1");
  CHECK(m.find("S3CRET") == std::string::npos);
  CHECK(m.find("https://api.example.com/api/v1/campaigns/1/leads?...") != std::string::npos);
  std::string body = R"({"message":"Cannot GET /api/v1/campaigns/1?api_key=k%2By%20z&a=S"})";
  net::scrub_secret(body, "k+y z");
  CHECK(body == R"({"message":"Cannot GET /api/v1/campaigns/1?api_key=[api key]&a=S"})");
  std::string plain = "key k+y z twice: k+y z";
  net::scrub_secret(plain, "k+y z");
  CHECK(plain == "key [api key] twice: [api key]");
  std::string untouched = "nothing here";
  net::scrub_secret(untouched, "");
  CHECK(untouched == "nothing here");
}
