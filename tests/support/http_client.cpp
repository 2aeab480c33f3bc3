#include "support/http_client.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace leadpipe::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kTimeout{20};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool http_reply::has_header(std::string_view name) const { return headers.contains(lower(name)); }

std::string http_reply::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

struct http_client::impl {
  std::uint16_t port;
  std::string ca_pem;
  asio::io_context ioc;
  std::optional<asio::ssl::context> tls;
  std::optional<beast::tcp_stream> plain;
  std::optional<asio::ssl::stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  int opened = 0;

  impl(std::uint16_t p, std::string ca) : port(p), ca_pem(std::move(ca)) {
    if (!ca_pem.empty()) {
      tls.emplace(asio::ssl::context::tls_client);
      tls->add_certificate_authority(asio::buffer(ca_pem));
      tls->set_verify_mode(asio::ssl::verify_peer);
    }
  }

  [[nodiscard]] bool open() const { return plain.has_value() || secure.has_value(); }

  void close() {
    plain.reset();
    secure.reset();
    buffer.clear();
  }

  asio::awaitable<boost::system::error_code> connect() {
    tcp::socket socket(ioc);
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    auto [ec] = co_await socket.async_connect(ep, use_tuple);
    if (ec) co_return ec;
    ++opened;
    if (!tls) {
      plain.emplace(std::move(socket));
      co_return boost::system::error_code{};
    }
    secure.emplace(beast::tcp_stream(std::move(socket)), *tls);
    secure->set_verify_callback(asio::ssl::host_name_verification("localhost"));
    beast::get_lowest_layer(*secure).expires_after(kTimeout);
    auto [hec] = co_await secure->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) close();
    co_return hec;
  }

  template <typename Stream>
  asio::awaitable<void> exchange(Stream& stream, http::request<http::string_body>& req,
                                 http_reply& out) {
    beast::get_lowest_layer(stream).expires_after(kTimeout);
    auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
    if (wec) {
      out.error = wec;
      co_return;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(256U << 20U);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (rec) {
      out.error = rec;
      co_return;
    }
    auto& res = parser.get();
    out.status = res.result_int();
    out.body = std::move(res.body());
    for (const auto& field : res) out.headers[lower(field.name_string())] = std::string(field.value());
    if (!res.keep_alive()) close();
  }

  asio::awaitable<void> run(http::request<http::string_body>& req, http_reply& out) {
    if (!open()) {
      if (auto ec = co_await connect()) {
        out.error = ec;
        co_return;
      }
    }
    if (secure) {
      co_await exchange(*secure, req, out);
    } else {
      co_await exchange(*plain, req, out);
    }
    if (out.error) close();
  }
};

http_client::http_client(std::uint16_t port, std::string ca_pem)
    : impl_(std::make_unique<impl>(port, std::move(ca_pem))) {}
http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

http_reply http_client::request(std::string_view method, std::string_view target,
                                std::string_view body) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::user_agent, "leadpipe-sim-contract-tests");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::string(body);
  req.keep_alive(true);
  req.prepare_payload();
  http_reply out;
  asio::co_spawn(impl_->ioc, impl_->run(req, out), [](const std::exception_ptr& e) {
    if (e) std::rethrow_exception(e);
  });
  impl_->ioc.restart();
  impl_->ioc.run();
  return out;
}

bool http_client::connected() const { return impl_->open(); }
int http_client::connections_opened() const { return impl_->opened; }

}  // namespace leadpipe::testing
