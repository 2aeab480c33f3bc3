// Endpoints that change one lead or membership: §6.4 to §6.9.
#include "sim/handlers.hpp"

namespace leadpipe::sim {
namespace {

using simdjson::dom::element;

// A body member that must be an integer or null; false (400 written) when it is neither.
bool nullable_id(api_call& call, element body, std::string_view key, bool required,
                 std::optional<std::int64_t>& out, bool& given) {
  auto v = body[key];
  given = v.error() == simdjson::SUCCESS;
  if (!given) {
    if (required) write_bad_request(call.res, key, "is required");
    return !required;
  }
  if (v.value_unsafe().is_null()) {
    out.reset();
    return true;
  }
  std::int64_t id = 0;
  if (v.get_int64().get(id) != simdjson::SUCCESS) {
    write_bad_request(call.res, key, "must be an integer or null");
    return false;
  }
  out = id;
  return true;
}

// A category id from the body; unknown ids are a 400 (§6.8).
bool category_param(api_call& call, element body, std::optional<std::int64_t>& out) {
  bool given = false;
  if (!nullable_id(call, body, "category_id", true, out, given)) return false;
  if (out && call.st.find_category(*out) == nullptr) {
    write_bad_request(call.res, "category_id", "unknown category");
    return false;
  }
  return true;
}

void write_success_message(sim_response& res, std::string_view message) {
  json_writer w(res.body);
  w.begin_object().key("success").value(true).key("message").value(message).end_object();
}

}  // namespace

void handle_lead_update(api_call& call) {
  membership* m = require_membership(call);
  if (m == nullptr) return;
  bool failed = false;
  auto root = parse_body(call, false, failed);
  if (failed) return;
  simdjson::dom::object obj;
  if (root->get_object().get(obj) != simdjson::SUCCESS) {
    write_bad_request(call.res, "body", "body must be a JSON object");
    return;
  }
  import_request& req = call.scratch.lead_body;
  req.clear();
  req.arena.reserve(call.body.size());
  lead_input in;
  request_error err;
  if (!read_lead(obj, lead_path{}, call.opts, req, in, err)) {
    write_error(call.res, 400, err.message, &err);
    return;
  }
  if (!in.valid) {
    write_bad_request(call.res, "email", "email is not a valid address");
    return;
  }
  lead* l = call.st.find_lead(m->lead_id);
  if (!call.st.change_email(*l, in.email)) {
    write_bad_request(call.res, "email", "another lead already has this email");
    return;
  }
  update_lead(*l, in, req);
  write_ok(call.res);
}

void handle_member_status(api_call& call) {
  membership* m = require_membership(call);
  if (m == nullptr) return;
  if (call.match.route == route_id::lead_pause) {
    m->status = member_status::paused;
  } else {
    bool failed = false;
    auto root = parse_body(call, true, failed);
    if (failed) return;
    if (root) {
      auto delay = (*root)["resume_lead_with_delay_days"];
      std::int64_t days = 0;
      if (delay.error() == simdjson::SUCCESS &&
          (delay.get_int64().get(days) != simdjson::SUCCESS || days < 0)) {
        write_bad_request(call.res, "resume_lead_with_delay_days", "must be an integer >= 0");
        return;
      }
    }
    if (m->status == member_status::paused) m->status = member_status::inprogress;
  }
  call.res.body.assign(R"({"ok":true,"data":"success"})");
}

void handle_campaign_unsubscribe(api_call& call) {
  membership* m = require_membership(call);
  if (m == nullptr) return;
  m->unsubscribed = true;
  m->status = member_status::stopped;
  write_success_message(call.res, "Lead unsubscribed from campaign");
}

void handle_global_unsubscribe(api_call& call) {
  lead* l = require_lead(call, 1);
  if (l == nullptr) return;
  l->is_unsubscribed = true;
  write_ok(call.res);
}

void handle_lead_delete(api_call& call) {
  membership* m = require_membership(call);
  if (m == nullptr) return;
  call.st.detach(*call.st.find_campaign(m->campaign_id), *m);
  if (call.opts.plain_text_success_on_delete) {
    call.res.plain_text = true;
    call.res.body.assign("success");
  } else {
    write_ok(call.res);
  }
}

void handle_lead_category(api_call& call) {
  membership* m = require_membership(call);
  if (m == nullptr) return;
  bool failed = false;
  auto root = parse_body(call, false, failed);
  if (failed) return;
  std::optional<std::int64_t> category;
  if (!category_param(call, *root, category)) return;
  bool pause = false;
  auto p = (*root)["pause_lead"];
  if (p.error() == simdjson::SUCCESS && p.get_bool().get(pause) != simdjson::SUCCESS) {
    write_bad_request(call.res, "pause_lead", "must be a boolean");
    return;
  }
  m->category_id = category;
  if (pause) m->status = member_status::paused;
  write_ok(call.res);
}

void handle_inbox_category(api_call& call) {
  bool failed = false;
  auto root = parse_body(call, false, failed);
  if (failed) return;
  std::optional<std::int64_t> map_id;
  bool given = false;
  if (!nullable_id(call, *root, "email_lead_map_id", true, map_id, given)) return;
  std::optional<std::int64_t> category;
  if (!category_param(call, *root, category)) return;
  membership* m = map_id ? call.st.find_membership_by_map_id(*map_id) : nullptr;
  const campaign* c = m != nullptr ? call.st.find_campaign(m->campaign_id) : nullptr;
  if (c == nullptr || c->account_id != call.acct.id) {
    write_error(call.res, 404, "Lead map not found");
    return;
  }
  m->category_id = category;
  write_success_message(call.res, "Category updated");
}

void handle_fetch_categories(api_call& call) {
  json_writer w(call.res.body);
  w.begin_array();
  for (const category& c : call.st.categories()) {
    w.begin_object().key("id").value(c.id).key("name").value(c.name);
    w.key("sentiment_type").value(c.sentiment);
    std::string ts;
    append_iso8601(ts, c.created_at_ms);
    w.key("created_at").value(ts).end_object();
  }
  w.end_array();
}

void handle_message_history(api_call& call) {
  const membership* m = require_membership(call);
  if (m == nullptr) return;
  const lead* l = call.st.find_lead(m->lead_id);
  json_writer w(call.res.body);
  w.begin_object().key("history").begin_array();
  if (m->seed) {
    for (const auto& h : m->seed->history) w.raw(h.raw_json);
  }
  w.end_array();
  w.key("from").value("").key("to").value(l->email).end_object();
}

}  // namespace leadpipe::sim
