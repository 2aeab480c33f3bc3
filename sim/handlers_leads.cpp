// Import and the read-only lead endpoints: §6.1, §6.2, §6.3, §6.12, §6.13.
#include <algorithm>
#include <array>

#include "sim/clock.hpp"
#include "sim/handlers.hpp"

namespace leadpipe::sim {
namespace {

constexpr std::array<std::string_view, 9> kEmailStatuses = {
    "is_opened",   "is_clicked",  "is_replied",  "is_bounced",       "is_unsubscribed",
    "is_spam",     "is_accepted", "not_replied", "is_sender_bounced"};

// Optional ISO-8601 query parameter; writes 400 on a malformed value.
bool time_param(api_call& call, std::string_view name, std::optional<std::int64_t>& out) {
  std::string text;
  if (!query_param(call.query, name, text)) return true;
  out = parse_iso8601(text);
  if (!out) {
    write_bad_request(call.res, name, "must be an ISO-8601 time stamp", "query");
    return false;
  }
  return true;
}

struct member_filter {
  std::optional<member_status> status;
  std::optional<std::int64_t> category;
  std::string email_status;
  std::optional<std::int64_t> created_after;
  std::optional<std::int64_t> sent_after;
  std::optional<std::int64_t> event_after;

  [[nodiscard]] bool matches(const membership& m, const lead& l) const {
    if (status && m.status != *status) return false;
    if (category && m.category_id != category) return false;
    if (created_after && m.created_at_ms <= *created_after) return false;
    if (!email_status.empty()) {
      if (email_status == "is_unsubscribed") {
        if (!l.is_unsubscribed && !m.unsubscribed) return false;
      } else if (!m.seed || std::find(m.seed->email_statuses.begin(), m.seed->email_statuses.end(),
                                       email_status) == m.seed->email_statuses.end()) {
        return false;
      }
    }
    const auto any_history = [&](bool sent_only, std::int64_t after) {
      if (!m.seed) return false;
      return std::any_of(m.seed->history.begin(), m.seed->history.end(), [&](const history_item& h) {
        return (!sent_only || h.is_sent) && h.time_ms > after;
      });
    };
    if (sent_after && !any_history(true, *sent_after)) return false;
    if (event_after && !any_history(false, *event_after)) return false;
    return true;
  }
};

bool read_member_filter(api_call& call, member_filter& f) {
  std::string text;
  if (query_param(call.query, "status", text)) {
    f.status = parse_member_status(text);
    if (!f.status || *f.status == member_status::blocked) {
      write_bad_request(call.res, "status",
                        "status must be one of STARTED, INPROGRESS, COMPLETED, PAUSED, STOPPED",
                        "query");
      return false;
    }
  }
  if (!id_param(call, "lead_category_id", f.category)) return false;
  if (query_param(call.query, "emailStatus", f.email_status) &&
      std::find(kEmailStatuses.begin(), kEmailStatuses.end(), f.email_status) ==
          kEmailStatuses.end()) {
    write_bad_request(call.res, "emailStatus", "unknown emailStatus value", "query");
    return false;
  }
  return time_param(call, "created_at_gt", f.created_after) &&
         time_param(call, "last_sent_time_gt", f.sent_after) &&
         time_param(call, "event_time_gt", f.event_after);
}

void write_member(json_writer& w, const membership& m, const lead& l) {
  w.begin_object();
  w.key("campaign_lead_map_id").value(m.map_id);
  w.key("lead_category_id");
  write_nullable(w, m.category_id);
  w.key("status").value(to_string(m.status));
  w.key("created_at").value(format_iso8601(m.created_at_ms));
  w.key("lead");
  write_lead(w, l, false);
  w.end_object();
}

}  // namespace

void handle_import(api_call& call) {
  campaign* c = require_campaign(call);
  if (c == nullptr) return;
  if (call.import_error) {
    write_error(call.res, 400, call.import_error->message, &*call.import_error);
    return;
  }
  import_plan& plan = call.scratch.plan;
  classify_import(call.st, *c, call.scratch.import, call.opts, plan);
  apply_import(call.st, *c, call.scratch.import, plan, call.now_ms);
  call.res.status = 200;
  json_writer w(call.res.body);
  write_import_reply(w, call.st, call.scratch.import, plan, call.opts);
}

void handle_list_leads(api_call& call) {
  const campaign* c = require_campaign(call);
  if (c == nullptr) return;
  std::int64_t offset = 0;
  std::int64_t limit = 0;
  member_filter filter;
  if (!int_param(call, "offset", 0, INT64_MAX, 0, offset) ||
      !int_param(call, "limit", 1, 100, 100, limit) || !read_member_filter(call, filter)) {
    return;
  }
  std::string page;
  json_writer data(page);
  data.begin_array();
  std::int64_t total = 0;
  for (const std::size_t pos : c->members) {
    const membership& m = call.st.memberships()[pos];
    if (m.removed) continue;
    const lead* l = call.st.find_lead(m.lead_id);
    if (l == nullptr || !filter.matches(m, *l)) continue;
    if (total >= offset && total < offset + limit) write_member(data, m, *l);
    ++total;
  }
  data.end_array();
  json_writer w(call.res.body);
  w.begin_object();
  w.key("total_leads").value(std::to_string(total));
  w.key("offset").value(offset);
  w.key("limit").value(limit);
  w.key("data").raw(page);
  w.end_object();
}

void handle_lead_lookup(api_call& call) {
  std::string email;
  if (!query_param(call.query, "email", email) || email.empty()) {
    write_bad_request(call.res, "email", "the email query parameter is required", "query");
    return;
  }
  const lead* l = call.st.find_lead_by_key(call.acct.id, email_key(email));
  json_writer w(call.res.body);
  w.begin_object();
  if (l != nullptr) {
    write_lead_members(w, *l, true);
    w.key("lead_campaign_data").begin_array();
    for (const auto& [cid, pos] : l->memberships) {
      const campaign* c = call.st.find_campaign(cid);
      const membership* m = &call.st.memberships()[pos];
      if (c == nullptr) continue;
      w.begin_object();
      w.key("campaign_lead_map_id").value(m->map_id);
      w.key("campaign_id").value(c->id);
      w.key("campaign_name").value(c->name);
      w.key("client_id");
      write_nullable(w, c->client_id);
      w.key("client_email").null();
      w.key("lead_category_id");
      write_nullable(w, m->category_id);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
}

void handle_global_leads(api_call& call) {
  std::int64_t offset = 0;
  std::int64_t limit = 0;
  std::optional<std::int64_t> created_after;
  if (!int_param(call, "offset", 0, INT64_MAX, 0, offset) ||
      !int_param(call, "limit", 1, 100, 100, limit) ||
      !time_param(call, "created_at_gt", created_after)) {
    return;
  }
  std::string email;
  const bool by_email = query_param(call.query, "email", email);
  const std::string key = email_key(email);
  json_writer w(call.res.body);
  w.begin_object().key("data").begin_array();
  std::int64_t seen = 0;
  bool more = false;
  for (const lead& l : call.st.leads()) {
    if (l.account_id != call.acct.id) continue;
    if (created_after && l.created_at_ms <= *created_after) continue;
    if (by_email && email_key(l.email) != key) continue;
    if (seen >= offset + limit) {
      more = true;
      break;
    }
    if (seen >= offset) write_lead(w, l, true);
    ++seen;
  }
  w.end_array().key("hasMore").value(more).end_object();
}

void handle_lead_campaigns(api_call& call) {
  const lead* l = require_lead(call, 1);
  if (l == nullptr) return;
  json_writer w(call.res.body);
  w.begin_array();
  for (const auto& entry : l->memberships) {
    const campaign* c = call.st.find_campaign(entry.first);
    if (c == nullptr) continue;
    w.begin_object().key("id").value(c->id).key("name").value(c->name);
    w.key("status").value(to_string(c->status)).end_object();
  }
  w.end_array();
}

}  // namespace leadpipe::sim
