#include "leadpipe/batch.hpp"

#include <algorithm>

#include "leadpipe/json_writer.hpp"

namespace leadpipe {
namespace {

// Fixed framing around the lead objects: {"lead_list":[ ... ],"settings":{...}}
constexpr std::string_view kPrefix = "{\"lead_list\":[";
constexpr std::size_t kSettingsBytes = 200;

void append_settings(std::string& out, const import_settings& s) {
  json_writer w(out);
  w.begin_object();
  w.key("ignore_global_block_list").value(s.ignore_global_block_list);
  w.key("ignore_unsubscribe_list").value(s.ignore_unsubscribe_list);
  w.key("ignore_community_bounce_list").value(s.ignore_community_bounce_list);
  w.key("ignore_duplicate_leads_in_other_campaign").value(s.ignore_duplicate_leads_in_other_campaign);
  w.key("return_lead_ids").value(s.return_lead_ids);
  w.end_object();
}

template <class Pick>
std::string make_body(const batch& b, const import_settings& s, std::size_t n, Pick pick) {
  std::string out;
  out.reserve(b.leads_json.size() + n + kPrefix.size() + kSettingsBytes);
  out.append(kPrefix);
  for (std::size_t i = 0; i < n; ++i) {
    const batch_lead& l = b.leads[pick(i)];
    if (i != 0) out.push_back(',');
    out.append(b.leads_json, l.begin, l.end - l.begin);
  }
  out.append("],\"settings\":");
  append_settings(out, s);
  out.push_back('}');
  return out;
}

std::size_t framed_size(const batch& b) {
  return kPrefix.size() + b.leads_json.size() + b.leads.size() + kSettingsBytes;
}

}  // namespace

std::string batch::body(const import_settings& s) const {
  return make_body(*this, s, leads.size(), [](std::size_t i) { return i; });
}

std::string batch::body(const import_settings& s, std::span<const std::size_t> subset) const {
  return make_body(*this, s, subset.size(), [&](std::size_t i) { return subset[i]; });
}

batch batch::subset(std::span<const std::size_t> picked) const {
  batch out;
  out.id = id;
  out.leads.reserve(picked.size());
  for (std::size_t i : picked) {
    batch_lead l = leads[i];
    const auto begin = static_cast<std::uint32_t>(out.leads_json.size());
    out.leads_json.append(leads_json, l.begin, l.end - l.begin);
    l.begin = begin;
    l.end = static_cast<std::uint32_t>(out.leads_json.size());
    out.leads.push_back(std::move(l));
  }
  return out;
}

void append_lead_json(std::string& out, std::string_view sent_email, const lead_view& lead) {
  json_writer w(out);
  w.begin_object();
  w.key("email").value(sent_email);
  for (std::size_t f = 1; f < lead_field_count; ++f) {
    const std::string_view v = lead.field[f];
    if (!v.empty()) w.key(name(static_cast<lead_field>(f))).value(v);
  }
  if (!lead.custom.empty()) {
    w.key("custom_fields").begin_object();
    for (const auto& c : lead.custom) w.key(c.key).value(c.value);
    w.end_object();
  }
  w.end_object();
}

batch_builder::batch_builder(batch_options opts) : opts_(opts) {
  opts_.max_leads = std::clamp<std::size_t>(opts_.max_leads, 1, max_batch_leads);
  next_id_ = opts_.first_id;
  current_.id = next_id_;
}

void batch_builder::shrink_to(std::size_t max_leads) {
  opts_.max_leads = std::clamp<std::size_t>(max_leads, 1, opts_.max_leads);
}

void batch_builder::close_current() {
  ready_ = std::move(current_);
  current_ = batch{};
  current_.id = ++next_id_;
}

bool batch_builder::add(std::uint64_t line, std::string_view sent_email, const lead_view& lead) {
  scratch_.clear();
  append_lead_json(scratch_, sent_email, lead);
  bool closed = false;
  if (!current_.leads.empty() && framed_size(current_) + scratch_.size() + 1 > opts_.max_body_bytes) {
    close_current();
    closed = true;
  }
  batch_lead l{line, std::string(sent_email), 0, 0};
  l.begin = static_cast<std::uint32_t>(current_.leads_json.size());
  current_.leads_json.append(scratch_);
  l.end = static_cast<std::uint32_t>(current_.leads_json.size());
  current_.leads.push_back(std::move(l));
  if (!closed && current_.leads.size() >= opts_.max_leads) {
    close_current();
    closed = true;
  }
  return closed;
}

batch batch_builder::take() { return std::move(ready_); }

batch batch_builder::finish() {
  if (current_.leads.empty()) return batch{};
  close_current();
  return take();
}

}  // namespace leadpipe
