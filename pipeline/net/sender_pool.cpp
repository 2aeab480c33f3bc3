#include "sender_pool.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <fmt/format.h>

#include "leadpipe/import_response.hpp"
#include "leadpipe/utf8.hpp"
#include "leadpipe/net/api_client.hpp"

namespace leadpipe::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using clock_type = std::chrono::steady_clock;

namespace {

lead_settlement settlement_of(const lead_outcome& o, const import_response& resp) {
  lead_settlement s;
  s.by = decided_by::server;
  switch (o.result) {
    case lead_result::added:
      s.what = outcome::added;
      s.reason = o.confirmed_on_retry ? "confirmed_on_retry" : (o.by_count ? "by_count" : "");
      break;
    case lead_result::invalid_email: s.what = outcome::invalid_email; s.reason = "server_invalid_email"; break;
    case lead_result::duplicate_in_request: s.what = outcome::duplicate_in_request; break;
    case lead_result::already_in_campaign: s.what = outcome::already_in_campaign; break;
    case lead_result::blocked: s.what = outcome::blocked; break;
    case lead_result::unsubscribed: s.what = outcome::unsubscribed; break;
    case lead_result::bounced: s.what = outcome::bounced; break;
    case lead_result::in_other_campaign: s.what = outcome::in_other_campaign; break;
    case lead_result::lead_limit_exhausted:
      s.what = outcome::not_imported_lead_credit;
      s.reason = "lead_limit_exhausted";
      break;
    case lead_result::other_reason:
      s.what = outcome::server_skipped;
      s.reason = resp.view(o.reason_text);
      break;
    case lead_result::unknown_skip:
      s.what = outcome::server_skipped;
      s.reason = "unknown";
      break;
  }
  if (s.reason.empty() && s.what != outcome::added) s.reason = name(s.what);
  if (o.by_count && s.what != outcome::added) s.detail = "attributed from the answer's counters";
  return s;
}

}  // namespace

struct sender_pool::sender {
  sender(asio::io_context& io, const endpoint& ep, asio::ssl::context* tls, timeouts t)
      : conn(io.get_executor(), ep, tls, t) {}
  connection conn;
  http_request req;
  http_response res;
  response_parser parser;
  import_response answer;
  std::vector<std::string_view> emails;
  std::vector<lead_settlement> settle;
  std::string message;
};

sender_pool::sender_pool(asio::io_context& io, asio::ssl::context* tls, send_config cfg,
                         rate_limiter& limiter, retry_policy& retry, ledger& led,
                         batch_queue& queue, std::atomic<std::size_t>& batch_cap)
    : io_(io), tls_(tls), cfg_(std::move(cfg)), limiter_(limiter), retry_(retry), ledger_(led),
      queue_(queue), batch_cap_(batch_cap), wake_(io) {
  wake_.expires_at(asio::steady_timer::time_point::max());
  target_ = fmt::format("{}/campaigns/{}/leads?api_key={}", cfg_.ep.base_path, cfg_.campaign_id,
                        url_encode(cfg_.api_key));
}

sender_pool::~sender_pool() = default;

void sender_pool::start() {
  const std::size_t n = std::max<std::size_t>(1, cfg_.max_in_flight);
  for (std::size_t i = 0; i < n; ++i) {
    senders_.push_back(std::make_unique<sender>(io_, cfg_.ep, tls_, cfg_.limits));
    ++running_;
    asio::co_spawn(io_, run_sender(i), [this](const std::exception_ptr& e) {
      --running_;
      // A sender must never die silently: an escaped exception stops the job loudly.
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const ledger_error& ex) {
          // An outcome file or the journal could not be written (a full disk): the job stops
          // sending, since what it sends could no longer be accounted for.
          stop_fatal(outcome::not_imported_stopped, ex.what());
        } catch (const std::exception& ex) {
          stop_fatal(outcome::not_imported_stopped, fmt::format("internal error: {}", ex.what()));
        }
      }
    });
  }
}

void sender_pool::stop_fatal(outcome what, std::string message) {
  ledger_.freeze();
  if (!stop_) {
    stop_ = job_stop{what, std::move(message)};
    stop_outcome_.store(static_cast<int>(what), std::memory_order_release);
  }
  for (auto& b : queue_.shut()) {
    ledger_.settle_all(b, stop_->what, "stopped", stop_->message, false);
  }
  while (!redo_.empty()) {
    settle_stopped(redo_.front());
    redo_.pop_front();
  }
  wake_.cancel();
}

void sender_pool::request_stop(job_stop why) { stop_fatal(why.what, std::move(why.message)); }

void sender_pool::abandon() {
  for (auto& s : senders_) s->conn.close();
}

void sender_pool::settle_stopped(const work& w) {
  if (!w.maybe_landed) {
    ledger_.settle_all(w.b, stop_->what, "stopped", stop_->message, false);
    return;
  }
  // An earlier attempt may have been applied: say so, rather than "not sent".
  stopped_maybe_landed += w.b.size();
  ledger_.settle_all(w.b, stop_->what, "stopped",
                     fmt::format("{}; an earlier attempt got no answer and may have been added: "
                                 "--resume confirms it",
                                 stop_->message),
                     false);
}

sender_pool::work sender_pool::make_work(batch b, bool maybe_landed) {
  work w;
  w.b = std::move(b);
  w.body = w.b.body(cfg_.settings);
  w.maybe_landed = maybe_landed;
  if (!maybe_landed && cfg_.maybe_landed_up_to != 0) {
    for (const auto& l : w.b.leads) {
      if (l.line <= cfg_.maybe_landed_up_to) w.maybe_landed = true;
    }
  }
  return w;
}

void sender_pool::requeue_front(work w) {
  redo_.push_front(std::move(w));
  wake_.cancel();
}

// Puts w's leads back at the front of the work, in order, cut into batches of at most `size`.
void sender_pool::requeue_in_pieces(const work& w, std::size_t size) {
  for (std::size_t at = w.b.size(); at > 0;) {
    const std::size_t from = at > size ? at - size : 0;
    std::vector<std::size_t> idx;
    for (std::size_t i = from; i < at; ++i) idx.push_back(i);
    requeue_front(make_work(w.b.subset(idx), w.maybe_landed));
    at = from;
  }
}

asio::awaitable<bool> sender_pool::sleep_until(clock_type::time_point t) {
  // Sleeps in short slices so that a stop is noticed within a fifth of a second even during a
  // long 429 pause.
  asio::steady_timer timer(io_);
  while (!stopping() && clock_type::now() < t) {
    timer.expires_at(std::min(t, clock_type::now() + std::chrono::milliseconds(200)));
    (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return !stopping();
}

asio::awaitable<std::optional<sender_pool::work>> sender_pool::next_work() {
  // Batches cut before a size complaint lowered the cap (packed ones, pieces of an earlier
  // split) are cut again here, so that each does not spend a request of the budget on the same
  // complaint.
  const auto within_cap = [&](work& w) {
    const std::size_t cap = batch_cap_.load();
    if (w.b.size() <= cap) return true;
    requeue_in_pieces(w, cap);
    return false;
  };
  for (;;) {
    if (!redo_.empty()) {
      work w = std::move(redo_.front());
      redo_.pop_front();
      if (within_cap(w)) co_return w;
      continue;
    }
    if (stopping()) co_return std::nullopt;
    // Wait on the queue, but also wake for re-cut work pushed by other senders.
    std::optional<batch> b = co_await queue_.pop();
    if (b) {
      work w = make_work(std::move(*b), false);
      if (within_cap(w)) co_return w;
      continue;
    }
    if (redo_.empty()) {
      // The queue is finished: other senders may still re-cut batches; leave only when no
      // request is in flight anywhere.
      if (in_flight_ == 0) co_return std::nullopt;
      (void)co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
}

asio::awaitable<void> sender_pool::wait_for_slot() {
  while (!stopping() && in_flight_ >= limiter_.target_in_flight(cfg_.max_in_flight)) {
    (void)co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> sender_pool::run_sender(std::size_t index) {
  sender& s = *senders_[index];
  for (;;) {
    std::optional<work> w = co_await next_work();
    if (!w) break;
    if (stopping()) {
      settle_stopped(*w);
      continue;
    }
    co_await send(s, std::move(*w));
  }
  s.conn.close();
  wake_.cancel();  // others waiting for the last in-flight request re-check
}

asio::awaitable<bool> sender_pool::back_off(work& w, clock_type::time_point failed_at,
                                            std::string reason, std::string detail) {
  const retry_decision d = retry_.on_failure(w.retries++);
  if (!d.retry) {
    if (reason.empty()) {
      reason = d.refusal == retry_refusal::job_budget_exhausted ? "job_retry_budget"
                                                                : "retries_exhausted";
    }
    if (w.maybe_landed) {
      // An attempt's answer was lost (a timeout, a 5xx after the work, a broken connection):
      // the server may hold these leads. Say so, as a stop does.
      gave_up_maybe_landed += w.b.size();
      detail = fmt::format(
          "{}; an attempt got no answer and may have been added: --resume "
          "confirms it",
          detail);
    }
    ledger_.settle_all(w.b, outcome::not_imported_retries_exhausted, reason, detail, true);
    ++batches;
    co_return false;
  }
  ++resends;
  if (!co_await sleep_until(failed_at + d.delay)) {
    settle_stopped(w);
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> sender_pool::send(sender& s, work w) {
  co_await wait_for_slot();
  for (;;) {
    if (stopping()) {
      settle_stopped(w);
      co_return;
    }
    const acquire_result permit = limiter_.try_acquire(clock_type::now());
    if (!permit.granted) {
      if (!co_await sleep_until(permit.retry_at)) {
        settle_stopped(w);
        co_return;
      }
      continue;
    }
    // Another sender's size complaint may have lowered the cap while this batch waited for
    // its permit (or its backoff): spend the permit on a piece of the new size and put the rest
    // back, rather than on a body the server has already refused (§8.1).
    if (const std::size_t cap = batch_cap_.load(); w.b.size() > cap) {
      std::vector<std::size_t> head;
      std::vector<std::size_t> rest;
      for (std::size_t i = 0; i < w.b.size(); ++i) (i < cap ? head : rest).push_back(i);
      requeue_in_pieces(make_work(w.b.subset(rest), w.maybe_landed), cap);
      work piece = make_work(w.b.subset(head), w.maybe_landed);
      piece.retries = w.retries;
      w = std::move(piece);
    }
    if (!w.dispatched) {
      ledger_.dispatched(w.b);
      w.dispatched = true;
    }
    start_api_request(s.req, http::verb::post, target_, cfg_.ep);
    s.req.set(http::field::content_type, "application/json");
    s.req.body() = w.body;
    s.req.prepare_payload();

    const auto sent = clock_type::now();
    ++in_flight_;
    progress.in_flight.store(in_flight_, std::memory_order_relaxed);
    progress.requests.fetch_add(1, std::memory_order_relaxed);
    // A 429 to another sender while this one opened its connection pauses every sender: the
    // request then waits for the end of the pause and a new permit instead of going out into it.
    // A retry after a timed-out attempt waits twice as long, then four times: a server that is
    // slow (not dead) answers it, instead of doing the work again each time while every answer
    // is lost (QA: 59 requests for 10 batches, all reported not imported, all in the campaign).
    std::optional<std::chrono::milliseconds> limit;
    if (w.timed_out != 0)
      limit = cfg_.limits.request * (1U << std::min<std::uint32_t>(w.timed_out, 2));
    exchange_result r = co_await s.conn.exchange(
        s.req, s.res, limit, [this] { return clock_type::now() >= limiter_.paused_until(); });
    --in_flight_;
    progress.in_flight.store(in_flight_, std::memory_order_relaxed);
    wake_.cancel();
    const auto received = clock_type::now();
    w.maybe_landed = w.maybe_landed || r.resent;
    if (r.held) {
      progress.requests.fetch_sub(1, std::memory_order_relaxed);
      limiter_.unsent();
      w.maybe_landed = w.maybe_landed || r.request_sent;
      ++held_for_pause;
      continue;
    }

    if (r.ec) {
      ++requests_by_status["transport_error"];
      if (r.kind == failure_kind::timeout && r.request_sent) {
        ++answer_timeouts;
        ++w.timed_out;
      }
      w.maybe_landed = w.maybe_landed || r.request_sent;
      if (r.kind == failure_kind::tls_verify) {
        stop_fatal(outcome::not_imported_stopped, r.message);
        settle_stopped(w);
        co_return;
      }
      if (stopping()) {
        settle_stopped(w);
        co_return;
      }
      if (!co_await back_off(w, received, "", r.message)) co_return;
      continue;
    }

    const int status = static_cast<int>(s.res.result_int());
    ++requests_by_status[std::to_string(status)];
    scrub_secret(s.res.body(), cfg_.api_key);  // an error page may echo the request URL
    rate_limit_headers h =
        parse_rate_limit_headers(response_header(s.res, "X-RateLimit-Limit"),
                                 response_header(s.res, "X-RateLimit-Remaining"),
                                 response_header(s.res, "X-RateLimit-Reset"),
                                 response_header(s.res, "Retry-After"), epoch_now_ms());
    if (status == 429) {
      if (!h.retry_after) h.retry_after = retry_after_in_body(s.res.body());  // §3.4's body
      progress.rate_limited.fetch_add(1, std::memory_order_relaxed);
      const rate_limited_verdict v = limiter_.on_429(sent, received, h, epoch_now_ms(), ++w.consecutive_429);
      if (v.give_up) {
        ledger_.settle_all(w.b, outcome::not_imported_retries_exhausted, "rate_limited",
                           fmt::format("{} answers 429 in a row", w.consecutive_429), true);
        ++batches;
        co_return;
      }
      ++resends;
      if (!co_await sleep_until(v.retry_at)) {
        settle_stopped(w);
        co_return;
      }
      continue;
    }
    limiter_.on_response(sent, received, h, epoch_now_ms(), r.written);
    if (is_overload_status(status)) limiter_.on_overload(sent, received, h);
    if (status == 504) ++gateway_timeouts;
    w.consecutive_429 = 0;

    error_body eb;
    if (status < 200 || status >= 300) eb = s.parser.parse_error(s.res.body());
    const retry_action action = classify(status, true, &eb);
    switch (action) {
      case retry_action::success:
        retry_.on_success();
        largest_accepted_body = std::max(largest_accepted_body, w.body.size());
        settle_answer(w, s.res.body(), s);
        co_return;
      case retry_action::retry_after_backoff: {
        w.maybe_landed = true;  // a 5xx may come after the work was done (§7.4)
        if (!co_await back_off(w, received, std::to_string(status), eb.message)) co_return;
        continue;
      }
      case retry_action::split_batch:
      case retry_action::set_aside_named_elements:
      case retry_action::bisect: {
        std::vector<std::size_t> bad;
        if (action == retry_action::set_aside_named_elements) {
          for (auto i : eb.element_indexes) {
            if (i < w.b.size()) bad.push_back(i);
          }
        }
        std::optional<std::size_t> smaller;
        if (action == retry_action::split_batch) smaller = smaller_batch_size(w.b.size());
        if (status == 413) {
          ++too_large;
          if (smallest_refused_body == 0 || w.body.size() < smallest_refused_body) {
            smallest_refused_body = w.body.size();
          }
        }
        if (smaller) {
          // Keep the smaller size for the rest of the job (§8.1) and resend these in pieces.
          std::size_t cap = batch_cap_.load();
          while (*smaller < cap && !batch_cap_.compare_exchange_weak(cap, *smaller)) {
          }
          requeue_in_pieces(w, *smaller);
        } else if (!bad.empty()) {
          std::vector<std::size_t> good;
          for (std::size_t i = 0; i < w.b.size(); ++i) {
            if (std::find(bad.begin(), bad.end(), i) == bad.end()) good.push_back(i);
          }
          const batch rejected = w.b.subset(bad);
          s.message = fmt::format("{} {}", status, eb.message);
          ledger_.settle_all(rejected, outcome::rejected_by_server, "rejected_by_server",
                             s.message, true);
          if (!good.empty()) requeue_front(make_work(w.b.subset(good), w.maybe_landed));
        } else if (w.b.size() == 1) {
          s.message = fmt::format("{} {}", status, eb.message);
          ledger_.settle_all(w.b, outcome::rejected_by_server, "rejected_by_server", s.message,
                             true);
          ++batches;
        } else {
          // One bad lead must not cost the others: find it by halves.
          const std::size_t half = w.b.size() / 2;
          std::vector<std::size_t> lo;
          std::vector<std::size_t> hi;
          for (std::size_t i = 0; i < w.b.size(); ++i) (i < half ? lo : hi).push_back(i);
          requeue_front(make_work(w.b.subset(hi), w.maybe_landed));
          requeue_front(make_work(w.b.subset(lo), w.maybe_landed));
        }
        co_return;
      }
      case retry_action::abort_auth:
        stop_fatal(outcome::not_imported_auth,
                   fmt::format("the API key was refused ({}): {}", status, eb.message));
        settle_stopped(w);
        co_return;
      case retry_action::abort_not_found:
        stop_fatal(outcome::not_imported_campaign_missing,
                   fmt::format("campaign {} not found for this API key ({}): {}{}",
                               cfg_.campaign_id, status, eb.message, base_path_hint(cfg_.ep)));
        settle_stopped(w);
        co_return;
      case retry_action::abort_redirect:
        stop_fatal(outcome::not_imported_stopped, redirect_message(static_cast<unsigned>(status), response_header(s.res, "Location")));
        settle_stopped(w);
        co_return;
      case retry_action::rate_limited:  // handled above
      case retry_action::already_exists:
      case retry_action::give_up:
        s.message = fmt::format("{} {}", status, eb.message);
        ledger_.settle_all(w.b, outcome::rejected_by_server, "rejected_by_server", s.message, true);
        ++batches;
        co_return;
    }
  }
}

// The same useless 2xx answer from the start (a web page, a refusal of every call) is a wrong
// address or a campaign that takes nothing, not a passing fault: after three, stop rather than
// spend a request of the budget on every batch.
void sender_pool::note_bad_answer(const std::string& why, std::string_view advice) {
  if (++bad_answers_in_a_row_ >= 3 && good_answers_ == 0) {
    stop_fatal(outcome::not_imported_stopped,
               fmt::format("{}; every answer so far was like this: {}", why, advice));
  }
}

void sender_pool::settle_answer(work& w, std::string_view body, sender& s) {
  if (!s.parser.parse_import(body, s.answer, nullptr)) {
    // A 2xx we cannot read: the leads may or may not be in; resending is safe (§6.1), and a
    // --resume confirms those that are.
    w.maybe_landed = true;
    const std::string start = utf8::printable(s.parser.parse_error(body).message, 80);
    const std::string_view type = response_header(s.res, "Content-Type");
    const std::string why = fmt::format(
        "a {} answer that is not the add-leads JSON (Content-Type: {}; it begins \"{}\")",
        s.res.result_int(), type.empty() ? "none" : type, start);
    ledger_.settle_all(w.b, outcome::not_imported_retries_exhausted, "unreadable_answer", why, true);
    ++batches;
    note_bad_answer(why, "is --base-url the API's address (e.g. https://server.smartlead.ai/api/v1)?");
    return;
  }
  if (!s.answer.ok && !s.answer.is_lead_limit_exhausted && !s.answer.added) {
    // ok: false with no word on any lead (off-contract: §6.1 uses it only for lead credit): the
    // call was refused as a whole, and the server's text is the only explanation there is.
    const std::string_view text = s.answer.view(s.answer.error);
    const std::string why = fmt::format("the server refused the batch (ok: false): {}",
                                        text.empty() ? std::string_view("no message") : text);
    w.maybe_landed = true;
    ledger_.settle_all(w.b, outcome::rejected_by_server, "refused", why, true);
    ++batches;
    note_bad_answer(why, "check the campaign's state in SmartLead");
    return;
  }
  ++good_answers_;
  bad_answers_in_a_row_ = 0;
  s.emails.clear();
  for (const auto& l : w.b.leads) s.emails.push_back(l.email);
  const resolved_batch resolved = resolve_leads(s.answer, s.emails, w.maybe_landed);
  s.settle.clear();
  std::uint64_t added = 0;
  for (const auto& o : resolved.leads) {
    s.settle.push_back(settlement_of(o, s.answer));
    if (s.settle.back().what == outcome::added) ++added;
  }
  for (const auto& u : resolved.unattributed) {
    const std::string_view reason =
        u.reason == lead_result::other_reason ? s.answer.view(u.reason_text) : to_string(u.reason);
    unattributed[std::string(reason)] += static_cast<std::uint64_t>(u.count);
  }
  if (!resolved.unattributed.empty()) {
    // Added by count beside skips no list named: which of them the server skipped is a guess.
    for (const auto& o : resolved.leads) {
      if (o.by_count && o.result == lead_result::added) ++guessed_added;
    }
  }
  ledger_.settle(w.b, s.settle, true);
  ++batches;
  progress.leads_sent.fetch_add(w.b.size(), std::memory_order_relaxed);
  progress.added.fetch_add(added, std::memory_order_relaxed);
  progress.skipped.fetch_add(w.b.size() - added, std::memory_order_relaxed);
  if (s.answer.is_lead_limit_exhausted) {
    stop_fatal(outcome::not_imported_lead_credit,
               "the account has no lead credit left; no further leads can be imported");
  }
}

}  // namespace leadpipe::net
