#include "sim/server.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

namespace leadpipe::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using response_t = http::response<http::string_body>;
using request_t = http::request<http::string_body>;
using tls_stream = asio::ssl::stream<beast::tcp_stream>;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

http_method to_method(http::verb v) {
  switch (v) {
    case http::verb::get: return http_method::get;
    case http::verb::post: return http_method::post;
    case http::verb::patch: return http_method::patch;
    case http::verb::put: return http_method::put;
    case http::verb::delete_: return http_method::del;
    default: return http_method::other;
  }
}

// Coroutines are spawned with this handler so that an escaping exception is reported, not lost.
void report_exception(const std::exception_ptr& e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "leadpipe-sim: connection failed: {}\n", ex.what());
  }
}

// Ends a connection at once, without a TLS close_notify: what a crashing proxy looks like.
template <typename Stream>
void abort_connection(Stream& stream) {
  beast::error_code ec;
  auto& socket = beast::get_lowest_layer(stream).socket();
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

void fill_response(response_t& out, unsigned version, sim_response& res, bool keep) {
  out = response_t{};
  out.version(version);
  out.result(res.status);
  out.set(http::field::server, "leadpipe-sim");
  out.set(http::field::content_type,
          res.plain_text ? "text/plain; charset=utf-8" : "application/json; charset=utf-8");
  if (res.rate_headers) {
    out.set("X-RateLimit-Limit", std::to_string(res.rate.limit));
    out.set("X-RateLimit-Remaining", std::to_string(res.rate.remaining));
    out.set("X-RateLimit-Reset", std::to_string(res.rate.reset_epoch_s));
  }
  if (res.retry_after_s > 0) out.set(http::field::retry_after, std::to_string(res.retry_after_s));
  out.body().swap(res.body);
  out.keep_alive(keep);
  out.prepare_payload();
}

}  // namespace

// One io_context per worker thread, connections dealt out round-robin: a connection's handlers
// all run on one thread, so no strand (and no cross-thread hand-off) is needed per operation.
struct server::impl {
  simulator& sim;
  server_options opts;
  std::optional<asio::ssl::context> ssl;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  // Keeps a worker's run() going while its context has no connection yet.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::size_t next_context = 0;

  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(unsigned n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (unsigned i = 0; i < std::max(1U, n); ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }

  impl(simulator& s, server_options o)
      : sim(s),
        opts(std::move(o)),
        contexts(make_contexts(opts.threads)),
        acceptor(*contexts.front()) {
    if (opts.tls) {
      ssl.emplace(asio::ssl::context::tls_server);
      ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
      ssl->use_certificate_chain(asio::buffer(opts.cert_pem));
      ssl->use_private_key(asio::buffer(opts.key_pem), asio::ssl::context::pem);
    }
    const tcp::endpoint ep(asio::ip::make_address(opts.bind_address), opts.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(asio::socket_base::max_listen_connections);
    port = acceptor.local_endpoint().port();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      asio::io_context& target = *contexts[next_context++ % contexts.size()];
      auto [ec, socket] = co_await acceptor.async_accept(target, use_tuple);
      if (ec) {
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto ex = socket.get_executor();
      asio::co_spawn(ex, session(std::move(socket)), report_exception);
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream plain(std::move(socket));
    if (!ssl) {
      co_await serve(plain);
      co_return;
    }
    tls_stream stream(std::move(plain), *ssl);
    beast::get_lowest_layer(stream).expires_after(opts.io_timeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (!ec) co_await serve(stream);
  }

  template <typename Stream>
  asio::awaitable<void> serve(Stream& stream) {
    auto& tcp_layer = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;
    request_scratch scratch;
    sim_response res;
    response_t out;
    std::uint32_t served = 0;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(opts.body_limit);
      tcp_layer.expires_after(opts.idle_timeout);
      auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
      if (hec) co_return;  // peer closed, idle timeout or a malformed request: drop it
      tcp_layer.expires_after(opts.io_timeout);
      if (parser.get()[http::field::expect] == "100-continue") {
        http::response<http::empty_body> cont{http::status::continue_, parser.get().version()};
        auto [cec, cn] = co_await http::async_write(stream, cont, use_tuple);
        if (cec) co_return;
      }
      if (!parser.is_done()) {
        auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_tuple);
        if (bec) co_return;
      }
      request_t& req = parser.get();
      const std::uint32_t max = sim.options()->keepalive_max;
      const bool keep = req.keep_alive() && (max == 0 || ++served < max);
      if (!co_await answer(stream, req, scratch, res, out, keep)) co_return;
    }
  }

  // Answers one request; false when the connection must not be used again.
  template <typename Stream>
  asio::awaitable<bool> answer(Stream& stream, request_t& req, request_scratch& scratch,
                               sim_response& res, response_t& out, bool keep) {
    const http_method m = to_method(req.method());
    const std::string_view target(req.target().data(), req.target().size());
    if (simulator::is_control(target)) {
      sim.handle(m, target, req.body(), scratch, res);
      const bool sent = co_await send(stream, req.version(), res, out, keep, false);
      co_return sent && keep;
    }
    const route_id route = simulator::route_of(m, target);
    const fault_plan plan = sim.begin(route);
    // A request that will be processed is admitted (key, rate limit) on arrival, before its
    // injected latency, as a gateway in front of a slow server would (contract §3.2 order).
    bool admitted = false;
    if (plan.delay.count() > 0 &&
        (plan.action == fault_action::none || plan.action == fault_action::drop_after_commit ||
         plan.action == fault_action::truncate || plan.action == fault_action::eof_body)) {
      if (!sim.admit(m, target, res)) {
        sim.finish(route, res.status, request_fate::answered);
        const bool sent = co_await send(stream, req.version(), res, out, keep, false);
        co_return sent && keep;
      }
      admitted = true;
    }
    if (plan.delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, plan.delay);
      co_await timer.async_wait(use_tuple);
    }
    switch (plan.action) {
      case fault_action::close_before_answer:
        sim.finish(route, 0, request_fate::closed_before_answer);
        abort_connection(stream);
        co_return false;
      case fault_action::status:
      case fault_action::spurious_429:
        sim.injected_status(plan.action == fault_action::status ? plan.status : 429U,
                            plan.retry_after_s, res, plan.body);
        break;
      default:
        sim.handle(m, target, req.body(), scratch, res, admitted);
    }
    if (plan.action == fault_action::drop_after_commit) {
      sim.finish(route, res.status, request_fate::dropped_after_commit);
      abort_connection(stream);
      co_return false;
    }
    if (plan.action == fault_action::eof_body) {
      // A whole answer without Content-Length or chunked coding, ended by closing the TCP
      // connection without a TLS close_notify, as some servers and proxies do.
      sim.finish(route, res.status, request_fate::answered);
      const bool sent = co_await send_eof_delimited(stream, req.version(), res, out);
      abort_connection(stream);
      co_return sent && false;
    }
    const bool truncate = plan.action == fault_action::truncate;
    // Counted before the write: a client that has read the answer may ask /_sim/state at once,
    // before this coroutine runs again, and must find its request there.
    sim.finish(route, res.status, truncate ? request_fate::truncated : request_fate::answered);
    const bool sent = co_await send(stream, req.version(), res, out, keep && !truncate, truncate);
    if (truncate) abort_connection(stream);
    co_return sent && keep && !truncate;
  }

  // Writes `res` (whole, or header plus half the body when `truncate`); true when all was sent.
  template <typename Stream>
  asio::awaitable<bool> send(Stream& stream, unsigned version, sim_response& res, response_t& out,
                             bool keep, bool truncate) {
    fill_response(out, version, res, keep);  // the io_timeout armed for the request covers this
    bool ok = false;
    if (!truncate) {
      auto [ec, n] = co_await http::async_write(stream, out, use_tuple);
      ok = !ec;
    } else {
      http::response_serializer<http::string_body> sr{out};
      auto [ec, n] = co_await http::async_write_header(stream, sr, use_tuple);
      if (!ec) {
        const auto part = asio::buffer(out.body().data(), out.body().size() / 2);
        // Any error here changes nothing: the connection is aborted right after.
        std::tuple<beast::error_code, std::size_t> partial =
            co_await asio::async_write(stream, part, use_tuple);
        static_cast<void>(partial);
      }
    }
    res.body.swap(out.body());  // keep the buffer's capacity for the next answer
    if (!keep && ok && !truncate) co_await close_gracefully(stream);
    co_return ok;
  }

  template <typename Stream>
  asio::awaitable<bool> send_eof_delimited(Stream& stream, unsigned version, sim_response& res,
                                           response_t& out) {
    fill_response(out, version, res, false);
    out.erase(http::field::content_length);
    out.erase(http::field::transfer_encoding);
    http::response_serializer<http::string_body> sr{out};
    auto [ec, n] = co_await http::async_write_header(stream, sr, use_tuple);
    bool ok = !ec;
    if (ok) {
      auto [bec, bn] = co_await asio::async_write(
          stream, asio::buffer(out.body().data(), out.body().size()), use_tuple);
      ok = !bec;
    }
    res.body.swap(out.body());
    co_return ok;
  }

  template <typename Stream>
  asio::awaitable<void> close_gracefully(Stream& stream) {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      // The peer may just close instead of answering close_notify; either way we are done.
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
      std::tuple<beast::error_code> done = co_await stream.async_shutdown(use_tuple);
      ec = std::get<0>(done);
    }
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  void start() {
    asio::co_spawn(*contexts.front(), accept_loop(), report_exception);
    for (auto& ctx : contexts) {
      keep_running.push_back(asio::make_work_guard(*ctx));
      threads.emplace_back([&ioc = *ctx] {
        try {
          ioc.run();
        } catch (const std::exception& ex) {
          fmt::print(stderr, "leadpipe-sim: worker stopped: {}\n", ex.what());
        }
      });
    }
  }

  void stop() {
    keep_running.clear();
    for (auto& ctx : contexts) ctx->stop();
    for (auto& t : threads) t.join();
    threads.clear();
    beast::error_code ec;
    acceptor.close(ec);
  }
};

server::server(simulator& sim, server_options opts)
    : impl_(std::make_unique<impl>(sim, std::move(opts))) {}

server::~server() { stop(); }

void server::start() { impl_->start(); }

void server::stop() {
  if (impl_) impl_->stop();
}

std::uint16_t server::port() const noexcept { return impl_->port; }

std::string server::url() const {
  const std::string& host = impl_->opts.bind_address;
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}/api/v1", impl_->opts.tls ? "https" : "http", v6 ? "[" : "",
                     host, v6 ? "]" : "", impl_->port);
}

}  // namespace leadpipe::sim
