#include "leadpipe/net/api_client.hpp"

#include <openssl/evp.h>

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <fmt/format.h>

#include "leadpipe/import_response.hpp"
#include "leadpipe/net/endpoint.hpp"

namespace leadpipe::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using clock_type = std::chrono::steady_clock;

std::string account_id_of(std::string_view api_key) {
  std::string text = "leadpipe-account\n";
  text.append(api_key);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1 || len < 16) {
    throw std::runtime_error("sha-256 is not available from openssl");
  }
  std::string out;
  for (unsigned int i = 0; i < 16; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4U]);
      out.push_back(hex[u & 15U]);
    }
  }
  return out;
}

struct api_session::impl {
  impl(api_options o, const std::atomic<bool>* s)
      : opts(std::move(o)), stop(s), ep(parse(opts.base_url)),
        limiter(std::make_shared<rate_limiter>(opts.limiter)), retry(opts.retry),
        account(account_id_of(opts.api_key)), key_query(url_encode(opts.api_key)) {
    if (ep.tls) tls.emplace(make_client_tls_context(opts.tls));
    conn.emplace(io.get_executor(), ep, tls ? &*tls : nullptr, opts.limits);
  }

  static endpoint parse(const std::string& url) {
    std::string msg;
    auto ep = parse_base_url(url, &msg);
    if (!ep) throw std::runtime_error(msg);
    return *ep;
  }

  asio::awaitable<void> sleep_until(clock_type::time_point t) {
    asio::steady_timer timer(io);
    while (clock_type::now() < t && !stopped()) {
      timer.expires_at(std::min(t, clock_type::now() + std::chrono::milliseconds(200)));
      (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  [[nodiscard]] bool stopped() const { return stop != nullptr && stop->load(); }

  void check_stop(std::string_view path) const {
    if (stopped()) throw api_error(fmt::format("{}: stopped by a signal", path), 0);
  }

  asio::awaitable<api_answer> run(http::verb method, std::string path, std::string body) {
    const std::string target = fmt::format("{}{}{}api_key={}", ep.base_path, path,
                                           path.find('?') == std::string::npos ? '?' : '&',
                                           key_query);
    api_answer out;
    std::uint32_t retries = 0;
    std::uint32_t consecutive_429 = 0;
    bool sent_before = false;
    for (;;) {
      check_stop(path);
      const acquire_result permit = limiter->try_acquire(clock_type::now());
      if (!permit.granted) {
        co_await sleep_until(permit.retry_at);
        continue;
      }
      http_request req;
      start_api_request(req, method, target, ep);
      if (!body.empty() || method == http::verb::post || method == http::verb::patch) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
      }
      req.prepare_payload();
      http_response res;
      const auto sent = clock_type::now();
      const exchange_result r = co_await conn->exchange(req, res);
      const auto received = clock_type::now();
      out.resent = out.resent || r.resent || (sent_before && r.request_sent);
      if (r.ec) {
        ++stats.requests["transport_error"];
        if (r.kind == failure_kind::tls_verify) {
          throw api_error(fmt::format("{}: {}", path, r.message), 0);
        }
        sent_before = sent_before || r.request_sent;
        const retry_decision d = retry.on_failure(retries++);
        if (!d.retry) {
          throw api_error(fmt::format("{}: no answer after {} attempts: {}", path, retries,
                                      r.message), 0);
        }
        ++stats.retries;
        co_await sleep_until(received + d.delay);
        continue;
      }
      const int status = static_cast<int>(res.result_int());
      ++stats.requests[std::to_string(status)];
      scrub_secret(res.body(), opts.api_key);  // an error page may echo the request URL
      rate_limit_headers h = parse_rate_limit_headers(
          response_header(res, "X-RateLimit-Limit"), response_header(res, "X-RateLimit-Remaining"),
          response_header(res, "X-RateLimit-Reset"), response_header(res, "Retry-After"),
          epoch_now_ms());
      if (status == 429) {
        if (!h.retry_after) h.retry_after = retry_after_in_body(res.body());  // §3.4's body
        const rate_limited_verdict v =
            limiter->on_429(sent, received, h, epoch_now_ms(), ++consecutive_429);
        if (v.give_up) {
          throw api_error(fmt::format("{}: rate limited {} times in a row", path, consecutive_429),
                          429);
        }
        ++stats.retries;
        co_await sleep_until(v.retry_at);
        continue;
      }
      limiter->on_response(sent, received, h, epoch_now_ms(), r.written);
      consecutive_429 = 0;
      if (is_overload_status(status)) limiter->on_overload(sent, received, h);
      if (status >= 500 || status == 408) {
        // An answer, not a lost one: it says the request failed, so a copy sent now is not a
        // resend of one that may have taken effect (a DELETE answering 404 after a 503 means
        // there was nothing to delete).
        const retry_decision d = retry.on_failure(retries++);
        if (!d.retry) {
          out.status = status;
          out.body = std::move(res.body());
          co_return out;
        }
        ++stats.retries;
        co_await sleep_until(received + d.delay);
        continue;
      }
      retry.on_success();
      out.status = status;
      out.body = std::move(res.body());
      if (is_redirect_status(status)) out.location = std::string(response_header(res, "Location"));
      co_return out;
    }
  }

  api_options opts;
  const std::atomic<bool>* stop;
  endpoint ep;
  asio::io_context io{1};
  std::optional<asio::ssl::context> tls;
  std::optional<connection> conn;
  std::shared_ptr<rate_limiter> limiter;
  retry_policy retry;
  std::string account;
  std::string key_query;
  network_stats stats;
  response_parser parser;
};

api_session::api_session(api_options options, const std::atomic<bool>* stop)
    : impl_(std::make_unique<impl>(std::move(options), stop)) {
  impl_->stats.base_url = impl_->ep.url();
  impl_->stats.rate_limit = to_string(impl_->opts.limiter.rules);
}

api_session::~api_session() = default;

api_answer api_session::call(http::verb method, std::string_view path, std::string_view json_body) {
  std::optional<api_answer> answer;
  std::exception_ptr error;
  asio::co_spawn(impl_->io, impl_->run(method, std::string(path), std::string(json_body)),
                 [&](std::exception_ptr e, api_answer a) {
                   if (e) {
                     error = e;
                   } else {
                     answer = std::move(a);
                   }
                 });
  impl_->io.restart();
  impl_->io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*answer);
}

api_answer api_session::call_ok(http::verb method, std::string_view path,
                                std::string_view json_body, std::string_view what) {
  api_answer a = call(method, path, json_body);
  if (a.ok()) return a;
  const error_body eb = impl_->parser.parse_error(a.body);
  std::string msg;
  if (a.status == 401 || a.status == 403) {
    msg = fmt::format("{}: the api key was refused ({}): {}", path, a.status, eb.message);
  } else if (is_redirect_status(a.status)) {
    msg = fmt::format("{}: {}", path, redirect_message(static_cast<unsigned>(a.status), a.location));
  } else if (a.status == 404) {
    msg = fmt::format("{}: {} not found (404): {}{}", path, what.empty() ? "it was" : what,
                      eb.message, base_path_hint(impl_->ep));
  } else {
    msg = fmt::format("{}: the server answered {}: {}", path, a.status, eb.message);
  }
  throw api_error(msg, a.status);
}

rate_limiter& api_session::limiter() { return *impl_->limiter; }
std::shared_ptr<rate_limiter> api_session::shared_limiter() { return impl_->limiter; }
std::string api_session::base_url() const { return impl_->ep.url(); }
const std::string& api_session::account_id() const { return impl_->account; }

network_stats api_session::stats() const {
  network_stats n = impl_->stats;
  add_limiter_stats(n, impl_->limiter->stats());
  return n;
}

void add_limiter_stats(network_stats& n, const rate_limiter_stats& ls) {
  n.rate_limited = ls.rate_limited;
  n.paused_seconds = std::chrono::duration<double>(ls.paused).count();
  n.requests_allowed = static_cast<std::uint64_t>(ls.requests_allowed + 0.5);
  n.rate_limit_use = ls.use;
  n.overloaded = ls.overloads;
  n.pace_cuts = ls.pace_cuts;
  n.paced_after_429 = ls.paced_after_429;
  n.paced_rate = ls.paced_rate;
}

}  // namespace leadpipe::net
