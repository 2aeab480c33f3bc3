// Account-level endpoints: campaigns (§6.11) and the global block list (§6.10).
#include <algorithm>

#include <fmt/format.h>

#include "leadpipe/contract_email.hpp"
#include "sim/clock.hpp"
#include "sim/handlers.hpp"

namespace leadpipe::sim {
namespace {

constexpr std::size_t kMaxBlockEntries = 1000;

bool contains_ci(std::string_view haystack, std::string_view lower_needle) {
  std::string hay;
  append_ascii_lower(hay, haystack);
  return hay.find(lower_needle) != std::string::npos;
}

// A client id from the body: null or a client of the caller's account (else 400).
bool client_param(api_call& call, simdjson::dom::element body,
                  std::optional<std::int64_t>& out) {
  auto v = body["client_id"];
  if (v.error() != simdjson::SUCCESS || v.value_unsafe().is_null()) return true;
  std::int64_t id = 0;
  if (v.get_int64().get(id) != simdjson::SUCCESS || !call.acct.has_client(id)) {
    write_bad_request(call.res, "client_id", "client_id must be null or a client of the account");
    return false;
  }
  out = id;
  return true;
}

}  // namespace

void handle_campaign_list(api_call& call) {
  std::string text;
  std::optional<std::int64_t> client;
  if (!id_param(call, "client_id", client)) return;
  const bool tags = query_param(call.query, "include_tags", text) && text == "true";
  std::vector<const campaign*> list;
  for (const campaign& c : call.st.campaigns()) {
    if (c.account_id == call.acct.id && (!client || c.client_id == client)) list.push_back(&c);
  }
  std::sort(list.begin(), list.end(), [](const campaign* a, const campaign* b) {
    return a->created_at_ms != b->created_at_ms ? a->created_at_ms > b->created_at_ms
                                                : a->id > b->id;
  });
  json_writer w(call.res.body);
  w.begin_array();
  for (const campaign* c : list) write_campaign(w, *c, tags);
  w.end_array();
}

void handle_campaign_get(api_call& call) {
  const campaign* c = require_campaign(call);
  if (c == nullptr) return;
  json_writer w(call.res.body);
  write_campaign(w, *c, false);
}

void handle_campaign_create(api_call& call) {
  bool failed = false;
  auto root = parse_body(call, false, failed);
  if (failed) return;
  std::string_view name;
  if ((*root)["name"].get_string().get(name) != simdjson::SUCCESS || name.empty()) {
    write_bad_request(call.res, "name", "name is required and must be a non-empty string");
    return;
  }
  campaign c;
  if (!client_param(call, *root, c.client_id)) return;
  c.account_id = call.acct.id;
  c.name.assign(name);
  c.created_at_ms = c.updated_at_ms = call.now_ms;
  default_campaign_settings(c);
  const campaign* made = call.st.add_campaign(std::move(c));
  json_writer w(call.res.body);
  w.begin_object().key("ok").value(true).key("id").value(made->id);
  w.key("name").value(made->name);
  w.key("created_at").value(format_iso8601(made->created_at_ms)).end_object();
}

void handle_campaign_status(api_call& call) {
  campaign* c = require_campaign(call);
  if (c == nullptr) return;
  bool failed = false;
  auto root = parse_body(call, false, failed);
  if (failed) return;
  std::string_view word;
  if ((*root)["status"].get_string().get(word) != simdjson::SUCCESS ||
      (word != "START" && word != "PAUSED" && word != "STOPPED")) {
    write_bad_request(call.res, "status", "status must be START, PAUSED or STOPPED");
    return;
  }
  c->status = word == "START"    ? campaign_status::active
              : word == "PAUSED" ? campaign_status::paused
                                 : campaign_status::stopped;
  c->updated_at_ms = call.now_ms;
  write_ok(call.res);
}

void handle_block_add(api_call& call) {
  bool failed = false;
  auto root = parse_body(call, false, failed);
  if (failed) return;
  simdjson::dom::array list;
  if ((*root)["domain_block_list"].get_array().get(list) != simdjson::SUCCESS) {
    write_bad_request(call.res, "domain_block_list", "domain_block_list must be an array");
    return;
  }
  if (list.size() > kMaxBlockEntries) {
    write_bad_request(call.res, "domain_block_list",
                      fmt::format("at most {} entries per call", kMaxBlockEntries));
    return;
  }
  std::optional<std::int64_t> client;
  if (!client_param(call, *root, client)) return;
  request_error err;
  std::vector<std::string_view> values;
  std::size_t index = 0;
  for (auto item : list) {
    std::string_view text;
    const bool is_string = item.get_string().get(text) == simdjson::SUCCESS;
    text = contract_trim(text);
    const bool ok = is_string && (text.find('@') != std::string_view::npos
                                      ? is_contract_email(text)
                                      : is_contract_domain(text));
    if (!ok) {
      if (err.keys.empty()) {
        err.message = fmt::format("domain_block_list.{}: not a valid address or domain", index);
      }
      err.keys.push_back(fmt::format("domain_block_list.{}", index));
    }
    values.push_back(text);
    ++index;
  }
  if (!err.keys.empty()) {
    write_error(call.res, 400, err.message, &err);
    return;
  }
  for (const auto v : values) call.st.add_block(call.acct.id, v, client, "manual", call.now_ms);
  write_ok(call.res);
}

void handle_block_list(api_call& call) {
  std::int64_t offset = 0;
  std::int64_t limit = 0;
  if (!int_param(call, "offset", 0, INT64_MAX, 0, offset) ||
      !int_param(call, "limit", 1, 1000, 100, limit)) {
    return;
  }
  std::string text;
  std::optional<std::int64_t> client;
  if (!id_param(call, "filter_client_id", client)) return;
  std::string substring;
  std::string exact;
  if (query_param(call.query, "filter_email_or_domain", text)) append_ascii_lower(substring, text);
  const bool by_exact = query_param(call.query, "filter_email_with_domain", text);
  if (by_exact) append_ascii_lower(exact, contract_trim(text));
  json_writer w(call.res.body);
  w.begin_array();
  std::int64_t seen = 0;
  const auto& entries = call.st.block_list();
  // Newest first: entries are stored in creation order.
  for (auto it = entries.rbegin(); it != entries.rend() && seen < offset + limit; ++it) {
    const block_entry& e = *it;
    if (e.removed || e.account_id != call.acct.id) continue;
    if (client && e.client_id != client) continue;
    if (!substring.empty() && !contains_ci(e.value, substring)) continue;
    if (by_exact && e.value != exact) continue;
    if (seen++ < offset) continue;
    w.begin_object().key("id").value(e.id).key("email_or_domain").value(e.value);
    w.key("created_at").value(format_iso8601(e.created_at_ms)).key("source").value(e.source);
    w.key("client_id");
    write_nullable(w, e.client_id);
    w.end_object();
  }
  w.end_array();
}

void handle_block_delete(api_call& call) {
  std::string text;
  std::int64_t id = 0;
  if (!query_param(call.query, "id", text) || !parse_id(text, id)) {
    write_bad_request(call.res, "id", "id is required and must be a positive integer", "query");
    return;
  }
  block_entry* e = call.st.find_block(id);
  if (e == nullptr || e->account_id != call.acct.id) {
    write_error(call.res, 404, "Block list entry not found");
    return;
  }
  call.st.remove_block(*e);
  write_ok(call.res);
}

}  // namespace leadpipe::sim
