// What every endpoint handler shares: route matching, path ids, query parameters, error bodies
// of §2.1 and the JSON of model objects.
#include "sim/handlers.hpp"

#include <charconv>

#include <fmt/format.h>

#include "sim/clock.hpp"

namespace leadpipe::sim {
namespace {

constexpr std::string_view kApiPrefix = "/api/v1";

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status >= 500 ? "Server Error" : "Error";
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
               hex_value(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

void write_nullable(json_writer& w, const std::optional<std::int64_t>& v) {
  if (v) {
    w.value(*v);
  } else {
    w.null();
  }
}

bool split_api_target(std::string_view target, std::string_view& path,
                      std::string_view& query) noexcept {
  const std::size_t q = target.find('?');
  path = target.substr(0, q);
  query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  if (path.substr(0, kApiPrefix.size()) != kApiPrefix) return false;
  path.remove_prefix(kApiPrefix.size());
  if (!path.empty() && path.front() != '/') return false;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return true;
}

route_match match_route(http_method m, std::string_view path) noexcept {
  std::array<std::string_view, 6> seg{};
  std::size_t n = 0;
  while (!path.empty()) {
    if (path.front() == '/') path.remove_prefix(1);
    const std::size_t slash = path.find('/');
    if (n == seg.size()) return {};
    seg[n++] = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  const bool get = m == http_method::get;
  const bool post = m == http_method::post;
  const bool patch = m == http_method::patch;
  const bool del = m == http_method::del;
  route_match r;
  const auto hit = [&](bool ok, route_id id, std::string_view a = {}, std::string_view b = {}) {
    if (ok) r = {id, {a, b}};
    return r;
  };
  if (n >= 1 && seg[0] == "campaigns") {
    if (n == 1) return hit(get, route_id::campaign_list);
    if (n == 2 && seg[1] == "create") return hit(post, route_id::campaign_create);
    if (n == 2) return hit(get, route_id::campaign_get, seg[1]);
    if (n == 3 && seg[2] == "status") return hit(post || patch, route_id::campaign_status, seg[1]);
    if (seg[2] != "leads") return r;
    if (n == 3) return hit(post || get, post ? route_id::import : route_id::list_leads, seg[1]);
    if (n == 4) return hit(post || del, post ? route_id::lead_update : route_id::lead_delete, seg[1], seg[3]);
    if (n != 5) return r;
    const std::string_view verb = seg[4];
    if (verb == "pause") return hit(post, route_id::lead_pause, seg[1], seg[3]);
    if (verb == "resume") return hit(post, route_id::lead_resume, seg[1], seg[3]);
    if (verb == "unsubscribe") return hit(post, route_id::campaign_unsubscribe, seg[1], seg[3]);
    if (verb == "category") return hit(post || patch, route_id::lead_category, seg[1], seg[3]);
    if (verb == "message-history") return hit(get, route_id::message_history, seg[1], seg[3]);
    return r;
  }
  if (n >= 1 && seg[0] == "leads") {
    if (n == 1) return hit(get, route_id::lead_lookup);
    if (n == 2) {
      if (seg[1] == "fetch-categories") return hit(get, route_id::fetch_categories);
      if (seg[1] == "add-domain-block-list") return hit(post, route_id::block_add);
      if (seg[1] == "get-domain-block-list") return hit(get, route_id::block_list);
      if (seg[1] == "delete-domain-block-list") return hit(del, route_id::block_delete);
      if (seg[1] == "global-leads") return hit(get, route_id::global_leads);
      return r;
    }
    if (n == 3 && seg[2] == "unsubscribe") return hit(post, route_id::global_unsubscribe, {}, seg[1]);
    if (n == 3 && seg[2] == "campaigns") return hit(get, route_id::lead_campaigns, {}, seg[1]);
    return r;
  }
  if (n == 2 && seg[0] == "master-inbox" && seg[1] == "update-category") {
    return hit(patch || post, route_id::inbox_category);
  }
  return r;
}

bool query_param(std::string_view query, std::string_view name, std::string& out) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), out);
    return true;
  }
  return false;
}

bool parse_id(std::string_view text, std::int64_t& out) noexcept {
  if (text.empty() || text.front() == '-' || text.front() == '+') return false;
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc{} && r.ptr == text.data() + text.size() && out > 0;
}

void write_error(sim_response& res, unsigned status, std::string_view message,
                 const request_error* err) {
  res.status = status;
  res.plain_text = false;
  res.body.clear();
  json_writer w(res.body);
  w.begin_object();
  w.key("statusCode").value(static_cast<std::int64_t>(status));
  w.key("error").value(reason_phrase(status));
  w.key("message").value(message);
  if (err != nullptr) {
    w.key("validation").begin_object().key("source").value(err->source).key("keys").begin_array();
    for (const auto& k : err->keys) w.value(k);
    w.end_array().end_object();
  }
  w.end_object();
}

void write_bad_request(sim_response& res, std::string_view key, std::string_view message,
                       std::string_view source) {
  request_error err{std::string(message), {std::string(key)}, source};
  write_error(res, 400, message, &err);
}

void write_ok(sim_response& res) {
  res.status = 200;
  res.body.assign(R"({"ok":true})");
}

namespace {

// A positive id from path segment `slot`; writes the 400 naming `name` otherwise.
bool path_id(api_call& call, std::size_t slot, std::string_view name, std::int64_t& out) {
  if (parse_id(call.match.ids[slot], out)) return true;
  write_bad_request(call.res, name, fmt::format("{} must be a positive integer", name), "params");
  return false;
}

// `found` when it exists and belongs to the caller's account (§1: other accounts' resources
// behave as non-existent); writes the 404 otherwise.
template <typename T>
T* owned(api_call& call, T* found, std::string_view message) {
  if (found != nullptr && found->account_id == call.acct.id) return found;
  write_error(call.res, 404, message);
  return nullptr;
}

}  // namespace

campaign* require_campaign(api_call& call) {
  std::int64_t id = 0;
  if (!path_id(call, 0, "campaign_id", id)) return nullptr;
  return owned(call, call.st.find_campaign(id), "Campaign not found");
}

lead* require_lead(api_call& call, std::size_t slot) {
  std::int64_t id = 0;
  if (!path_id(call, slot, "lead_id", id)) return nullptr;
  return owned(call, call.st.find_lead(id), "Lead not found");
}

membership* require_membership(api_call& call) {
  campaign* c = require_campaign(call);
  if (c == nullptr) return nullptr;
  std::int64_t lead_id = 0;
  if (!path_id(call, 1, "lead_id", lead_id)) return nullptr;
  membership* m = call.st.find_membership(*c, lead_id);
  if (m == nullptr) write_error(call.res, 404, "Lead not found in campaign");
  return m;
}

std::optional<simdjson::dom::element> parse_body(api_call& call, bool allow_empty, bool& failed) {
  failed = false;
  std::string& body = call.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    if (allow_empty) return std::nullopt;
    failed = true;
    write_bad_request(call.res, "body", "a JSON body is required");
    return std::nullopt;
  }
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  if (call.scratch.parser.parse(body).get(root) != simdjson::SUCCESS) {
    failed = true;
    write_bad_request(call.res, "body", "body is not valid JSON");
    return std::nullopt;
  }
  return root;
}

bool int_param(api_call& call, std::string_view name, std::int64_t lo, std::int64_t hi,
               std::int64_t def, std::int64_t& out) {
  std::string text;
  out = def;
  if (!query_param(call.query, name, text)) return true;
  auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  if (r.ec != std::errc{} || r.ptr != text.data() + text.size() || out < lo || out > hi) {
    request_error err{fmt::format("{} must be an integer from {} to {}", name, lo, hi),
                      {std::string(name)}, "query"};
    write_error(call.res, 400, err.message, &err);
    return false;
  }
  return true;
}

bool id_param(api_call& call, std::string_view name, std::optional<std::int64_t>& out) {
  std::string text;
  if (!query_param(call.query, name, text)) return true;
  std::int64_t id = 0;
  if (!parse_id(text, id)) {
    write_bad_request(call.res, name, "must be a positive integer", "query");
    return false;
  }
  out = id;
  return true;
}

void write_lead(json_writer& w, const lead& l, bool with_created_at) {
  w.begin_object();
  write_lead_members(w, l, with_created_at);
  w.end_object();
}

void write_lead_members(json_writer& w, const lead& l, bool with_created_at) {
  w.key("id").value(l.id);
  w.key("email").value(l.email);
  for (std::size_t f = 0; f < kLeadFieldCount; ++f) {
    w.key(kLeadFieldNames[f]);
    if (l.has(static_cast<lead_field>(f))) {
      w.value(l.get(static_cast<lead_field>(f)));
    } else {
      w.null();
    }
  }
  w.key("custom_fields").begin_object();
  l.for_each_custom([&](std::string_view k, std::string_view v) { w.key(k).value(v); });
  w.end_object();
  w.key("is_unsubscribed").value(l.is_unsubscribed);
  w.key("unsubscribed_client_id_map");
  if (l.unsubscribed_client_id_map.empty()) {
    w.null();
  } else {
    w.raw(l.unsubscribed_client_id_map);
  }
  if (with_created_at) {
    std::string ts;
    append_iso8601(ts, l.created_at_ms);
    w.key("created_at").value(ts);
  }
}

void default_campaign_settings(campaign& c) {
  c.settings = {{"track_settings", "[]"},
                {"scheduler_cron_value", "null"},
                {"min_time_btwn_emails", "10"},
                {"max_leads_per_day", "20"},
                {"stop_lead_settings", R"("REPLY_TO_AN_EMAIL")"},
                {"schedule_start_time", "null"},
                {"enable_ai_esp_matching", "false"},
                {"send_as_plain_text", "false"},
                {"follow_up_percentage", "100"},
                {"unsubscribe_text", R"("")"},
                {"parent_campaign_id", "null"}};
}

void write_campaign(json_writer& w, const campaign& c, bool tags) {
  w.begin_object();
  w.key("id").value(c.id);
  w.key("user_id").value(c.account_id);
  w.key("created_at").value(format_iso8601(c.created_at_ms));
  w.key("updated_at").value(format_iso8601(c.updated_at_ms));
  w.key("status").value(to_string(c.status));
  w.key("name").value(c.name);
  for (const auto& [name, raw] : c.settings) w.key(name).raw(raw);
  w.key("client_id");
  write_nullable(w, c.client_id);
  if (tags) {
    w.key("tags").begin_array();
    for (const auto& t : c.tags) {
      w.begin_object().key("tag_id").value(t.id).key("tag_name").value(t.name);
      w.key("tag_color").value(t.color).end_object();
    }
    w.end_array();
  }
  w.end_object();
}

void dispatch(api_call& call) {
  switch (call.match.route) {
    case route_id::import: return handle_import(call);
    case route_id::list_leads: return handle_list_leads(call);
    case route_id::lead_lookup: return handle_lead_lookup(call);
    case route_id::lead_update: return handle_lead_update(call);
    case route_id::lead_pause:
    case route_id::lead_resume: return handle_member_status(call);
    case route_id::campaign_unsubscribe: return handle_campaign_unsubscribe(call);
    case route_id::global_unsubscribe: return handle_global_unsubscribe(call);
    case route_id::lead_delete: return handle_lead_delete(call);
    case route_id::lead_category: return handle_lead_category(call);
    case route_id::inbox_category: return handle_inbox_category(call);
    case route_id::fetch_categories: return handle_fetch_categories(call);
    case route_id::message_history: return handle_message_history(call);
    case route_id::block_add: return handle_block_add(call);
    case route_id::block_list: return handle_block_list(call);
    case route_id::block_delete: return handle_block_delete(call);
    case route_id::campaign_list: return handle_campaign_list(call);
    case route_id::campaign_get: return handle_campaign_get(call);
    case route_id::campaign_create: return handle_campaign_create(call);
    case route_id::campaign_status: return handle_campaign_status(call);
    case route_id::lead_campaigns: return handle_lead_campaigns(call);
    case route_id::global_leads: return handle_global_leads(call);
    case route_id::unknown: break;
  }
  write_error(call.res, 404, "Cannot find route");
}

}  // namespace leadpipe::sim
