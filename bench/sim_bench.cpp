// sim_bench: add-leads requests per second that leadpipe-sim sustains over keep-alive HTTP and
// TLS (fault injection off, rate limiting off). The simulator runs in-process on its own worker
// threads; the load client runs K keep-alive connections on one thread. Every reply is checked
// (status 200, total_leads = leads sent) and the simulator's final state is compared with what
// was sent before any figure is printed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include "sim/server.hpp"
#include "sim/tls_cert.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kDigits = 12;

// A 400-lead body whose addresses carry fixed-width numbers, rewritten in place per request so
// every request imports new leads without rebuilding the body.
struct body_template {
  std::string text;
  std::vector<std::size_t> digit_offsets;

  explicit body_template(std::size_t leads) {
    text = R"({"lead_list":[)";
    for (std::size_t i = 0; i < leads; ++i) {
      if (i > 0) text.push_back(',');
      text += R"({"email":"lead)";
      digit_offsets.push_back(text.size());
      text.append(kDigits, '0');
      text += fmt::format(R"(@bench{}.example.com","first_name":"First{}","last_name":"Last",)"
                          R"("company_name":"Company {}","website":"example.com",)"
                          R"("custom_fields":{{"role":"CFO","tier":"A","seq":"{}"}}}})",
                          i % 7, i, i % 97, i);
    }
    text += R"(],"settings":{"ignore_global_block_list":false}})";
  }

  void stamp(std::string& body, std::uint64_t request) const {
    std::uint64_t lead = request * digit_offsets.size();
    for (const std::size_t off : digit_offsets) {
      std::uint64_t v = lead++;
      for (std::size_t d = kDigits; d-- > 0;) {
        body[off + d] = static_cast<char>('0' + v % 10);
        v /= 10;
      }
    }
  }
};

struct run_result {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  std::uint64_t bytes = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

struct load {
  const body_template& tmpl;
  std::uint16_t port;
  asio::ssl::context* tls;
  clock_type::time_point deadline;
  std::uint64_t next = 0;
  run_result result;
  std::string expected;

  template <typename Stream>
  asio::awaitable<void> drive(Stream& stream) {
    std::string body = tmpl.text;
    beast::flat_buffer buffer;
    while (clock_type::now() < deadline) {
      const std::uint64_t index = next++;
      tmpl.stamp(body, index);
      http::request<http::string_body> req{http::verb::post, "/api/v1/campaigns/1/leads?api_key=bench", 11};
      req.set(http::field::host, "127.0.0.1");
      req.set(http::field::user_agent, "leadpipe-sim-bench");
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
      const auto t0 = clock_type::now();
      auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
      http::response_parser<http::string_body> parser;
      parser.body_limit(16U << 20U);
      auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (wec || rec) {
        ++result.failures;
        co_return;
      }
      const auto& res = parser.get();
      const bool ok = res.result_int() == 200 && res.body().find(expected) != std::string::npos;
      ++(ok ? result.requests : result.failures);
      result.bytes += req.body().size();
      result.latencies_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    }
  }

  asio::awaitable<void> connection() {
    auto ex = co_await asio::this_coro::executor;
    tcp::socket socket(ex);
    auto [cec] = co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, use_tuple);
    if (cec) {
      ++result.failures;
      co_return;
    }
    socket.set_option(tcp::no_delay(true));
    if (tls == nullptr) {
      beast::tcp_stream stream(std::move(socket));
      co_await drive(stream);
      co_return;
    }
    asio::ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) {
      ++result.failures;
      co_return;
    }
    co_await drive(stream);
  }
};

run_result run(const body_template& tmpl, std::uint16_t port, asio::ssl::context* tls,
               unsigned connections, double seconds) {
  asio::io_context ioc(1);
  load l{tmpl, port, tls,
         clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                 std::chrono::duration<double>(seconds)),
         0, {}, {}};
  l.expected = fmt::format(R"("total_leads":{},)", tmpl.digit_offsets.size());
  const auto t0 = clock_type::now();
  for (unsigned i = 0; i < connections; ++i) {
    asio::co_spawn(ioc, l.connection(), [](const std::exception_ptr& e) {
      if (e) std::rethrow_exception(e);
    });
  }
  ioc.run();
  l.result.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  return std::move(l.result);
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

void print_row(std::string_view mode, unsigned connections, run_result& r, std::size_t leads) {
  fmt::print("{:<6} {:>5} {:>9} {:>8.2f} {:>10.0f} {:>12.0f} {:>8.1f} {:>8.2f} {:>8.2f}\n", mode,
             connections, r.requests, r.seconds, static_cast<double>(r.requests) / r.seconds,
             static_cast<double>(r.requests * leads) / r.seconds,
             static_cast<double>(r.bytes) / r.seconds / 1e6, percentile(r.latencies_ms, 0.5),
             percentile(r.latencies_ms, 0.99));
}

// What landed must equal what was acknowledged: one member and one lead per lead sent.
bool verify_state(const leadpipe::sim::simulator& sim, std::uint64_t leads) {
  const std::string state = sim.state_json(false);
  const std::string want = fmt::format(R"("lead_count":{})", leads);
  return state.find(want) != std::string::npos &&
         state.find(fmt::format(R"("member_count":{})", leads)) != std::string::npos;
}

// The simulator's own cost per request, without sockets: handle() called in a loop.
run_result run_direct(const body_template& tmpl, leadpipe::sim::simulator& sim, double seconds) {
  run_result r;
  leadpipe::sim::request_scratch scratch;
  leadpipe::sim::sim_response res;
  std::string body;
  const std::string expected = fmt::format(R"("total_leads":{},)", tmpl.digit_offsets.size());
  const auto t0 = clock_type::now();
  const auto deadline = t0 + std::chrono::duration_cast<clock_type::duration>(
                                 std::chrono::duration<double>(seconds));
  for (std::uint64_t i = 0; clock_type::now() < deadline; ++i) {
    body = tmpl.text;
    tmpl.stamp(body, i);
    const auto t1 = clock_type::now();
    sim.handle(leadpipe::sim::http_method::post, "/api/v1/campaigns/1/leads?api_key=bench", body,
               scratch, res);
    r.latencies_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t1).count());
    const bool ok = res.status == 200 && res.body.find(expected) != std::string::npos;
    ++(ok ? r.requests : r.failures);
    r.bytes += body.size();
  }
  r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sim_bench: add-leads requests/s of leadpipe-sim over keep-alive HTTP and TLS"};
  std::string mode = "both";
  unsigned connections = 8;
  unsigned threads = 2;
  double seconds = 5;
  std::size_t leads = 400;
  app.add_option("--mode", mode, "http, tls, both, or direct (no sockets: the simulator's own cost)")
      ->check(CLI::IsMember({"http", "tls", "both", "direct"}));
  app.add_option("--connections", connections, "keep-alive connections (default 8)");
  app.add_option("--threads", threads, "simulator worker threads (default 2)");
  app.add_option("--seconds", seconds, "duration of each run (default 5)");
  app.add_option("--leads", leads, "leads per request (default 400)");
  std::string body_out;
  app.add_option("--write-body", body_out, "write one request body to this file and exit (for wrk)");
  CLI11_PARSE(app, argc, argv);

  const body_template tmpl(leads);
  if (!body_out.empty()) {
    std::string body = tmpl.text;
    tmpl.stamp(body, 0);
    std::ofstream(body_out, std::ios::binary) << body;
    return 0;
  }
  leadpipe::sim::system_sim_clock clock;
  fmt::print("{:<6} {:>5} {:>9} {:>8} {:>10} {:>12} {:>8} {:>8} {:>8}\n", "mode", "conns",
             "requests", "seconds", "req/s", "leads/s", "MB/s", "p50 ms", "p99 ms");
  int status = 0;
  for (const bool use_tls : {false, true}) {
    if ((use_tls && (mode == "http" || mode == "direct")) || (!use_tls && mode == "tls")) continue;
    auto cfg = leadpipe::sim::default_config("bench", clock.now_ms());
    cfg.options.rate_limit = {};
    cfg.options.max_leads_per_request = static_cast<std::uint32_t>(std::max<std::size_t>(leads, 1));
    leadpipe::sim::simulator sim(std::move(cfg), clock);
    if (mode == "direct") {
      run_result r = run_direct(tmpl, sim, seconds);
      const bool verified = r.failures == 0 && verify_state(sim, r.requests * leads);
      status = verified ? 0 : 1;
      print_row("direct", 1, r, leads);
      break;
    }
    leadpipe::sim::server_options so;
    so.threads = threads;
    std::optional<asio::ssl::context> client_tls;
    if (use_tls) {
      auto material = leadpipe::sim::make_private_tls();
      so.tls = true;
      so.cert_pem = material.server_cert_pem;
      so.key_pem = material.server_key_pem;
      client_tls.emplace(asio::ssl::context::tls_client);
      client_tls->add_certificate_authority(asio::buffer(material.ca_cert_pem));
      client_tls->set_verify_mode(asio::ssl::verify_peer);
    }
    leadpipe::sim::server srv(sim, so);
    srv.start();
    run_result r = run(tmpl, srv.port(), client_tls ? &*client_tls : nullptr, connections, seconds);
    srv.stop();
    const bool verified = r.failures == 0 && verify_state(sim, r.requests * leads);
    if (!verified) {
      fmt::print(stderr, "sim_bench: {}: {} failed replies or state mismatch\n",
                 use_tls ? "tls" : "http", r.failures);
      status = 1;
    }
    print_row(use_tls ? "tls" : "http", connections, r, leads);
  }
  return status;
}
