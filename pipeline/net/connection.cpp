#include "leadpipe/net/connection.hpp"

#include "leadpipe/net/api_client.hpp"  // url_encode

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>

namespace leadpipe::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

asio::ssl::context make_client_tls_context(const tls_options& opts) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  ctx.set_default_verify_paths(ec);  // a machine without system CAs can still use --ca-file
  if (!opts.ca_file.empty()) {
    ctx.load_verify_file(opts.ca_file, ec);
    if (ec) {
      throw std::runtime_error(
          fmt::format("{}: cannot load CA certificate: {}", opts.ca_file, ec.message()));
    }
  }
  return ctx;
}

connection::connection(asio::any_io_executor ex, endpoint ep, asio::ssl::context* tls,
                       timeouts t)
    : ex_(std::move(ex)), ep_(std::move(ep)), tls_(tls), timeouts_(t) {}

beast::tcp_stream& connection::tcp() { return secure_ ? secure_->next_layer() : *plain_; }

bool connection::is_open() const {
  if (secure_) return secure_->next_layer().socket().is_open();
  return plain_ && plain_->socket().is_open();
}

void connection::close() {
  boost::system::error_code ignored;
  if (secure_) secure_->next_layer().socket().close(ignored);
  if (plain_) plain_->socket().close(ignored);
  secure_.reset();
  plain_.reset();
  buffer_.clear();
  uses_ = 0;
}

asio::awaitable<exchange_result> connection::open() {
  close();
  ++opens_;
  exchange_result r;
  tcp::resolver resolver(ex_);
  // The resolver has no expiry of its own; the connect timeout below bounds the whole open.
  auto [rec, results] = co_await resolver.async_resolve(ep_.host, ep_.port, use_tuple);
  if (rec) {
    r.ec = rec;
    r.kind = failure_kind::connect;
    r.message = fmt::format("cannot resolve {}: {}", ep_.host, rec.message());
    co_return r;
  }
  if (ep_.tls) {
    if (tls_ == nullptr) throw std::logic_error("https endpoint without a TLS context");
    secure_.emplace(ex_, *tls_);
  } else {
    plain_.emplace(ex_);
  }
  tcp().expires_after(timeouts_.connect);
  auto [cec, ep] = co_await tcp().async_connect(results, use_tuple);
  if (cec) {
    r.ec = cec;
    r.kind = failure_kind::connect;  // nothing was sent, whatever the cause
    r.message = fmt::format("cannot connect to {}:{}: {}", ep_.host, ep_.port, cec.message());
    close();
    co_return r;
  }
  (void)ep;
  tcp().socket().set_option(tcp::no_delay(true));
  if (secure_) {
    // SNI only for names: RFC 6066 forbids IP literals in server_name.
    boost::system::error_code aec;
    (void)asio::ip::make_address(ep_.host, aec);
    if (aec && SSL_ctrl(secure_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                                TLSEXT_NAMETYPE_host_name,
                                static_cast<void*>(ep_.host.data())) != 1) {
      r.ec = boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                       asio::error::get_ssl_category());
      r.kind = failure_kind::connect;
      r.message = "cannot set TLS server name";
      close();
      co_return r;
    }
    secure_->set_verify_mode(asio::ssl::verify_peer);
    secure_->set_verify_callback(asio::ssl::host_name_verification(ep_.host));
    auto [hec] = co_await secure_->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) {
      r.ec = hec;
      const long verify = SSL_get_verify_result(secure_->native_handle());
      if (verify != X509_V_OK) {
        r.kind = failure_kind::tls_verify;
        r.message = fmt::format(
            "tls: the certificate of {} is not trusted: {}{}", ep_.host,
            X509_verify_cert_error_string(verify),
            verify == X509_V_ERR_HOSTNAME_MISMATCH
                ? " (it was issued for another name)"
                : " (a proxy or server with a private or self-signed certificate: --ca-file "
                  "FILE trusts the CA that signed it)");
      } else {
        r.kind = failure_kind::connect;
        r.message = fmt::format("tls handshake with {} failed: {}", ep_.host, hec.message());
      }
      close();
      co_return r;
    }
  }
  co_return r;
}

asio::awaitable<exchange_result> connection::send_once(http_request& req, http_response& res,
                                                       std::chrono::milliseconds limit) {
  exchange_result r;
  tcp().expires_after(limit);
  std::size_t written = 0;
  boost::system::error_code wec;
  if (secure_) {
    std::tie(wec, written) = co_await http::async_write(*secure_, req, use_tuple);
  } else {
    std::tie(wec, written) = co_await http::async_write(*plain_, req, use_tuple);
  }
  r.request_sent = written > 0;
  if (!wec) r.written = std::chrono::steady_clock::now();
  if (wec) {
    r.ec = wec;
    r.kind = wec == beast::error::timeout ? failure_kind::timeout : failure_kind::reset;
    r.message = fmt::format("sending to {} failed: {}", ep_.host, wec.message());
    co_return r;
  }
  res = {};
  http::response_parser<http::string_body> parser;
  parser.body_limit(64U << 20U);
  boost::system::error_code rec;
  if (secure_) {
    std::tie(rec, std::ignore) = co_await http::async_read(*secure_, buffer_, parser, use_tuple);
  } else {
    std::tie(rec, std::ignore) = co_await http::async_read(*plain_, buffer_, parser, use_tuple);
  }
  if ((rec == asio::ssl::error::stream_truncated || rec == asio::error::eof) &&
      parser.is_header_done() && parser.need_eof()) {
    // An answer with neither Content-Length nor chunked coding ends where the connection does
    // (RFC 9112 6.3). Servers that close a TLS connection without close_notify make that a
    // stream_truncated error, which Beast does not take as the end of such a body; a cut JSON
    // body still fails to parse later, so nothing is taken on trust.
    boost::system::error_code eof_ec;
    parser.put_eof(eof_ec);
    if (!eof_ec && parser.is_done()) rec = {};
  }
  if (rec) {
    r.ec = rec;
    if (rec == beast::error::timeout) {
      r.kind = failure_kind::timeout;
    } else if (rec == http::error::end_of_stream || rec == asio::error::eof ||
               rec == asio::error::connection_reset || rec == asio::ssl::error::stream_truncated ||
               rec == asio::error::broken_pipe) {
      // Nothing of the answer arrived if the parser saw no header; partial = bad_response.
      r.kind = parser.got_some() ? failure_kind::bad_response : failure_kind::reset;
    } else {
      r.kind = failure_kind::bad_response;
    }
    r.message = fmt::format("reading the answer from {} failed: {}", ep_.host, rec.message());
    co_return r;
  }
  const bool eof_delimited = parser.need_eof();
  res = parser.release();
  if (eof_delimited) res.keep_alive(false);  // the server has closed (or will close) it
  co_return r;
}

asio::awaitable<exchange_result> connection::exchange(http_request& req, http_response& res,
                                                     std::optional<std::chrono::milliseconds> timeout,
                                                     std::function<bool()> may_send) {
  const auto limit = timeout.value_or(timeouts_.request);
  req.keep_alive(true);
  bool sent_before = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!is_open()) {
      exchange_result o = co_await open();
      if (o.ec) {
        o.request_sent = sent_before;
        co_return o;
      }
    }
    if (may_send && !may_send()) {
      exchange_result held;
      held.held = true;
      held.request_sent = sent_before;
      co_return held;
    }
    const bool reused = uses_ > 0;
    ++uses_;
    exchange_result r = co_await send_once(req, res, limit);
    r.resent = sent_before;
    if (!r.ec) {
      r.request_sent = true;
      if (!res.keep_alive()) close();
      co_return r;
    }
    close();
    sent_before = sent_before || r.request_sent;
    // A reused connection that died before any answer arrived was most likely closed idle by
    // the server or a proxy: reconnect and send once more. Anything else goes to the caller.
    if (!(reused && r.kind == failure_kind::reset)) {
      r.request_sent = sent_before;
      co_return r;
    }
  }
  exchange_result r;
  r.ec = asio::error::connection_reset;
  r.kind = failure_kind::reset;
  r.request_sent = true;
  r.message = "connection reset twice";
  co_return r;
}

std::string redirect_message(unsigned status, std::string_view to) {
  // An http -> https redirect (nginx's `return 301 https://$host$request_uri`) sends the request
  // back with its query, API key included: the query is not shown.
  std::string shown(to.substr(0, to.find('?')));
  if (shown.size() < to.size()) shown += "?...";
  return fmt::format(
      "the server redirects ({}) to {}: redirects are not followed, since the API key is in the "
      "query string; if that is the API's new address, give it as --base-url",
      status, to.empty() ? std::string("an unnamed place") : shown);
}

void scrub_secret(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  constexpr std::string_view mark = "[api key]";
  for (const std::string& form : {std::string(secret), url_encode(secret)}) {
    for (std::size_t at = text.find(form); at != std::string::npos;
         at = text.find(form, at + mark.size())) {
      text.replace(at, form.size(), mark);
    }
  }
}

void start_api_request(http_request& req, boost::beast::http::verb method,
                       std::string_view target, const endpoint& ep) {
  namespace http = boost::beast::http;
  req = {};
  req.method(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, host_header(ep));
  req.set(http::field::user_agent, "leadpipe/" LEADPIPE_VERSION);
  req.set(http::field::accept, "application/json");
  // Without it any content coding is acceptable (RFC 9110 §12.5.3), and a gzip answer would
  // read as "not json".
  req.set(http::field::accept_encoding, "identity");
}

std::string host_header(const endpoint& ep) {
  const bool default_port = ep.port == (ep.tls ? "443" : "80");
  const bool ipv6 = ep.host.find(':') != std::string::npos;
  std::string h = ipv6 ? "[" + ep.host + "]" : ep.host;
  if (!default_port) h += ":" + ep.port;
  return h;
}

}  // namespace leadpipe::net
