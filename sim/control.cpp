// The /_sim/ control endpoints: GET /_sim/state, POST /_sim/reset, POST /_sim/config,
// GET /_sim/health. No API key; never rate-limited, never faulted.
#include <fmt/format.h>

#include "sim/handlers.hpp"
#include "sim/simulator.hpp"

namespace leadpipe::sim {
namespace {

void write_members_of(json_writer& w, const state& st, const campaign& c) {
  w.key("members").begin_array();
  for (const std::size_t pos : c.members) {
    const membership& m = st.memberships()[pos];
    if (m.removed) continue;
    const lead* l = st.find_lead(m.lead_id);
    w.begin_object().key("map_id").value(m.map_id).key("lead_id").value(m.lead_id);
    w.key("email").value(l->email).key("status").value(to_string(m.status));
    w.key("lead_category_id");
    write_nullable(w, m.category_id);
    w.key("unsubscribed").value(m.unsubscribed).end_object();
  }
  w.end_array();
}

void write_model(json_writer& w, const state& st, bool members, std::int64_t only_campaign) {
  w.key("accounts").begin_array();
  for (const account& a : st.accounts()) {
    w.begin_object().key("id").value(a.id).key("lead_credit_remaining");
    write_nullable(w, a.lead_credit_remaining);
    w.end_object();
  }
  w.end_array();
  w.key("campaigns").begin_array();
  for (const campaign& c : st.campaigns()) {
    if (only_campaign != 0 && c.id != only_campaign) continue;
    w.begin_object().key("id").value(c.id).key("account_id").value(c.account_id);
    w.key("name").value(c.name).key("status").value(to_string(c.status));
    w.key("client_id");
    write_nullable(w, c.client_id);
    w.key("member_count").value(static_cast<std::int64_t>(c.live_members));
    if (members) write_members_of(w, st, c);
    w.end_object();
  }
  w.end_array();
  w.key("lead_count").value(static_cast<std::int64_t>(st.leads().size()));
  w.key("block_list").begin_array();
  for (const block_entry& e : st.block_list()) {
    if (e.removed) continue;
    w.begin_object().key("id").value(e.id).key("account_id").value(e.account_id);
    w.key("email_or_domain").value(e.value).key("client_id");
    write_nullable(w, e.client_id);
    w.key("source").value(e.source).end_object();
  }
  w.end_array();
  w.key("unsubscribed").begin_array();
  for (const lead& l : st.leads()) {
    if (!l.is_unsubscribed) continue;
    w.begin_object().key("lead_id").value(l.id).key("account_id").value(l.account_id);
    w.key("email").value(l.email).end_object();
  }
  w.end_array();
  w.key("community_bounce_set").begin_array();
  for (const auto& b : st.bounce_set()) w.value(b);
  w.end_array();
}

// A JSON scalar as option text: strings as they are, anything else as its JSON text.
std::string option_text(simdjson::dom::element v) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return simdjson::minify(v);
}

}  // namespace

std::string simulator::state_json(bool members) const {
  std::string out;
  const std::lock_guard lock(mu_);
  write_state_locked(out, members, 0);
  return out;
}

void simulator::write_state_locked(std::string& out, bool members, std::int64_t only) const {
  json_writer w(out);
  w.begin_object();
  w.key("now").value(format_iso8601(clock_.now_ms()));
  counters_.write_members(w);
  w.key("rate_windows");
  limiter_.write_state(w);
  w.key("options");
  write_options(w, *options_);
  w.key("faults");
  faults_.write_state(w);
  write_model(w, state_, members, only);
  w.end_object();
}

void simulator::apply_config_locked(simdjson::dom::element root, sim_response& res) {
  std::string message;
  sim_options next = *options_;
  simdjson::dom::object opts;
  if (root["options"].get_object().get(opts) == simdjson::SUCCESS) {
    for (auto [name, value] : opts) {
      if (!sim::set_option(next, name, option_text(value), &message)) {
        return write_bad_request(res, fmt::format("options.{}", name), message);
      }
    }
  }
  std::optional<std::vector<fault_rule>> rules;
  simdjson::dom::array list;
  if (root["faults"].get_array().get(list) == simdjson::SUCCESS) {
    rules.emplace();
    for (auto item : list) {
      std::string_view text;
      if (item.get_string().get(text) != simdjson::SUCCESS) {
        return write_bad_request(res, "faults", "faults must be strings");
      }
      auto rule = parse_fault(text, &message);
      if (!rule) return write_bad_request(res, "faults", message);
      rules->push_back(std::move(*rule));
    }
  }
  simdjson::dom::array accounts;
  if (root["accounts"].get_array().get(accounts) == simdjson::SUCCESS) {
    for (auto a : accounts) {
      std::int64_t id = 0;
      account* acct = a["id"].get_int64().get(id) == simdjson::SUCCESS ? state_.find_account(id) : nullptr;
      if (acct == nullptr) return write_bad_request(res, "accounts", "unknown account id");
      auto credit = a["lead_credit_remaining"];
      std::int64_t n = 0;
      if (credit.error() != simdjson::SUCCESS) continue;
      if (credit.value_unsafe().is_null()) {
        acct->lead_credit_remaining.reset();
      } else if (credit.get_int64().get(n) == simdjson::SUCCESS && n >= 0) {
        acct->lead_credit_remaining = n;
      } else {
        return write_bad_request(res, "accounts", "lead_credit_remaining must be null or >= 0");
      }
    }
  }
  simdjson::dom::array bounces;
  if (root["community_bounce_set"].get_array().get(bounces) == simdjson::SUCCESS) {
    state_.clear_bounces();
    for (auto b : bounces) {
      std::string_view text;
      if (b.get_string().get(text) == simdjson::SUCCESS) state_.add_bounce(text);
    }
  }
  std::uint64_t seed = 0;
  if (root["fault_seed"].get_uint64().get(seed) == simdjson::SUCCESS) faults_.set_seed(seed);
  if (rules) faults_.set_rules(std::move(*rules));
  faults_.reset_counts();
  if (!(next.rate_limit == options_->rate_limit)) limiter_.set_rules(next.rate_limit);
  options_ = std::make_shared<const sim_options>(std::move(next));
  write_ok(res);
}

void simulator::handle_control(http_method m, std::string_view target, std::string& body,
                               request_scratch& scratch, sim_response& res) {
  const std::size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  if (path.size() > 6 && path.back() == '/') path.remove_suffix(1);
  if (path == "/_sim/health" && m == http_method::get) {
    write_ok(res);
  } else if (path == "/_sim/state" && m == http_method::get) {
    std::string text;
    const bool members = !(query_param(query, "members", text) && (text == "0" || text == "false"));
    std::int64_t only = 0;
    if (query_param(query, "campaign", text) && !parse_id(text, only)) {
      return write_bad_request(res, "campaign", "must be a positive integer", "query");
    }
    const std::lock_guard lock(mu_);
    write_state_locked(res.body, members, only);
  } else if (path == "/_sim/reset" && m == http_method::post) {
    reset();
    write_ok(res);
  } else if (path == "/_sim/config" && m == http_method::post) {
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::element root;
    if (scratch.parser.parse(body).get(root) != simdjson::SUCCESS || !root.is_object()) {
      return write_bad_request(res, "body", "body must be a JSON object");
    }
    const std::lock_guard lock(mu_);
    apply_config_locked(root, res);
  } else {
    write_error(res, 404, "unknown control endpoint (try /_sim/state)");
  }
}

}  // namespace leadpipe::sim
