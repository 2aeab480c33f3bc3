// The §7.2 classifier, applying its plan, and the add-leads reply of §6.1 / §11.1.
#include "sim/import.hpp"

#include <algorithm>
#include <charconv>

namespace leadpipe::sim {
namespace {

constexpr std::array<std::string_view, 9> kReasons = {
    "added",        "invalid_email", "duplicate_in_request", "already_in_campaign", "blocked",
    "unsubscribed", "bounced",       "in_other_campaign",    "lead_limit_exhausted"};

// §7.3: whether step 7 refuses leads that are members of another campaign.
bool skips_other_campaign(const import_settings& s, const sim_options& opts) {
  const bool flag = s.ignore_duplicate_leads_in_other_campaign;
  return opts.cross_campaign == cross_campaign_semantics::observed ? flag : !flag;
}

bool is_member(const lead& l, std::int64_t campaign_id) {
  return std::any_of(l.memberships.begin(), l.memberships.end(),
                     [&](const auto& entry) { return entry.first == campaign_id; });
}

void write_id_string(json_writer& w, std::int64_t id) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, id);
  w.value(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

std::string_view stored_email(const state& st, const import_request& req,
                              const import_plan& plan, std::size_t i) {
  const lead* l = plan.lead_ids[i] != 0 ? st.find_lead(plan.lead_ids[i]) : nullptr;
  return l != nullptr ? std::string_view(l->email) : req.leads[i].email;
}

void write_id_map(json_writer& w, const state& st, const import_request& req,
                  const import_plan& plan) {
  w.key("emailToLeadIdMap").begin_object();
  const auto section = [&](std::string_view name, import_outcome want) {
    w.key(name).begin_object();
    for (std::size_t i = 0; i < plan.outcomes.size(); ++i) {
      if (plan.outcomes[i] != want) continue;
      w.key(stored_email(st, req, plan, i));
      write_id_string(w, plan.lead_ids[i]);
    }
    w.end_object();
  };
  section("newlyAddedLeads", import_outcome::added);
  section("existingLeads", import_outcome::already_in_campaign);
  section("existingLeadsInOtherCampaigns", import_outcome::in_other_campaign);
  w.end_object();
}

void write_live_keys(json_writer& w, const state& st, const import_request& req,
                     const import_plan& plan, const sim_options& opts) {
  using o = import_outcome;
  w.key("upload_count").value(static_cast<std::int64_t>(req.leads.size()));
  w.key("total_leads").value(plan.count(o::added));
  w.key("invalid_email_count").value(plan.count(o::invalid_email));
  w.key("invalid_emails").begin_array();
  for (std::size_t i = 0; i < req.leads.size(); ++i) {
    if (plan.outcomes[i] == o::invalid_email) w.value(req.leads[i].email);
  }
  w.end_array();
  w.key("duplicate_count").value(plan.count(o::duplicate_in_request));
  w.key("already_added_to_campaign").value(plan.count(o::already_in_campaign));
  w.key("block_count").value(plan.count(o::blocked));
  w.key("unsubscribed_leads").begin_array();
  for (std::size_t i = 0; i < req.leads.size(); ++i) {
    if (plan.outcomes[i] == o::unsubscribed) w.value(req.leads[i].email);
  }
  w.end_array();
  w.key("bounce_count").value(plan.count(o::bounced));
  w.key("is_lead_limit_exhausted").value(plan.limit_exhausted);
  w.key("lead_import_stopped_count").value(plan.count(o::lead_limit_exhausted));
  if (plan.count(o::in_other_campaign) > 0 || opts.always_emit_other_campaign_count) {
    w.key("skipped_in_other_campaign_count").value(plan.count(o::in_other_campaign));
  }
  if (req.settings.return_lead_ids) write_id_map(w, st, req, plan);
}

void write_guide_keys(json_writer& w, const import_request& req, const import_plan& plan) {
  const std::int64_t added = plan.count(import_outcome::added);
  w.key("added_count").value(added);
  w.key("skipped_count").value(static_cast<std::int64_t>(req.leads.size()) - added);
  w.key("skipped_leads").begin_array();
  for (std::size_t i = 0; i < req.leads.size(); ++i) {
    if (plan.outcomes[i] == import_outcome::added) continue;
    w.begin_object();
    w.key("email").value(req.leads[i].email);
    w.key("reason").value(reason_word(plan.outcomes[i]));
    w.end_object();
  }
  w.end_array();
}

}  // namespace

std::string_view reason_word(import_outcome o) noexcept {
  return kReasons[static_cast<std::size_t>(o)];
}

void import_plan::clear() {
  outcomes.clear();
  lead_ids.clear();
  counts = {};
  limit_exhausted = false;
  refused = false;
  seen.clear();
}

void classify_import(const state& st, const campaign& c, const import_request& req,
                     const sim_options& opts, import_plan& plan) {
  plan.clear();
  plan.outcomes.reserve(req.leads.size());
  plan.lead_ids.reserve(req.leads.size());
  const account* acct = nullptr;
  for (const auto& a : st.accounts()) {
    if (a.id == c.account_id) acct = &a;
  }
  const std::optional<std::int64_t> start_credit =
      acct != nullptr ? acct->lead_credit_remaining : std::nullopt;
  std::int64_t credit = start_credit.value_or(0);
  const bool skip_other = skips_other_campaign(req.settings, opts);
  const auto& s = req.settings;
  for (const lead_input& in : req.leads) {
    const lead* existing = nullptr;
    import_outcome out = import_outcome::added;
    if (!in.valid) {
      out = import_outcome::invalid_email;
    } else if (!plan.seen.insert(in.key).second) {
      out = import_outcome::duplicate_in_request;
    } else {
      existing = st.find_lead_by_key(c.account_id, in.key);
      if (existing != nullptr && is_member(*existing, c.id)) {
        out = import_outcome::already_in_campaign;
      } else if (!s.ignore_global_block_list && st.is_blocked(c.account_id, c.client_id, in.key)) {
        out = import_outcome::blocked;
      } else if (!s.ignore_unsubscribe_list && existing != nullptr && existing->is_unsubscribed) {
        out = import_outcome::unsubscribed;
      } else if (!s.ignore_community_bounce_list && !st.bounce_set().empty() &&
                 st.bounce_set().contains(in.key)) {
        out = import_outcome::bounced;
      } else if (skip_other && existing != nullptr && !existing->memberships.empty()) {
        out = import_outcome::in_other_campaign;
      } else if (start_credit && credit <= 0) {
        out = import_outcome::lead_limit_exhausted;
        plan.limit_exhausted = true;
      } else if (start_credit) {
        --credit;
      }
    }
    plan.outcomes.push_back(out);
    plan.lead_ids.push_back(existing != nullptr ? existing->id : 0);
    ++plan.counts[static_cast<std::size_t>(out)];
  }
  // "Ran out during or before this call" (§6.1): a limited account left with no credit.
  if (start_credit && credit <= 0) plan.limit_exhausted = true;
  plan.refused = start_credit && *start_credit <= 0 &&
                 plan.count(import_outcome::lead_limit_exhausted) > 0;
}

void update_lead(lead& l, const lead_input& in, const import_request& req) {
  std::size_t custom_bytes = 0;
  for (std::uint32_t k = 0; k < in.custom_count; ++k) {
    const custom_input& c = req.custom[in.custom_begin + k];
    custom_bytes += 8 + c.key.size() + c.value.size();
  }
  l.set_fields(in.fields, in.present, custom_bytes);
  for (std::uint32_t k = 0; k < in.custom_count; ++k) {
    const custom_input& c = req.custom[in.custom_begin + k];
    l.set_custom(c.key, c.is_null ? std::nullopt : std::optional<std::string_view>(c.value));
  }
}

void apply_import(state& st, campaign& c, const import_request& req, import_plan& plan,
                  std::int64_t now_ms) {
  if (plan.refused) return;
  account* acct = st.find_account(c.account_id);
  for (std::size_t i = 0; i < req.leads.size(); ++i) {
    const import_outcome out = plan.outcomes[i];
    if (out != import_outcome::added && out != import_outcome::already_in_campaign) continue;
    const lead_input& in = req.leads[i];
    lead* l = plan.lead_ids[i] != 0 ? st.find_lead(plan.lead_ids[i]) : nullptr;
    if (l != nullptr) {
      update_lead(*l, in, req);
    } else {
      lead fresh;
      fresh.account_id = c.account_id;
      fresh.email.assign(in.email);
      fresh.created_at_ms = now_ms;
      l = st.add_lead(std::move(fresh), in.key);
      update_lead(*l, in, req);
      plan.lead_ids[i] = l->id;
    }
    if (out == import_outcome::added) {
      st.attach(c, *l, now_ms);
      if (acct != nullptr && acct->lead_credit_remaining) --*acct->lead_credit_remaining;
    }
  }
}

void write_import_reply(json_writer& w, const state& st, const import_request& req,
                        const import_plan& plan, const sim_options& opts) {
  w.begin_object();
  if (plan.refused) {
    w.key("ok").value(false);
    w.key("is_lead_limit_exhausted").value(true);
    w.key("lead_import_stopped_count").value(plan.count(import_outcome::lead_limit_exhausted));
    w.key("error").value("Lead credit limit reached; no further leads can be imported.");
    w.end_object();
    return;
  }
  w.key("ok").value(true);
  if (opts.shape != response_shape::guide) write_live_keys(w, st, req, plan, opts);
  if (opts.shape != response_shape::live) write_guide_keys(w, req, plan);
  w.end_object();
}

}  // namespace leadpipe::sim
