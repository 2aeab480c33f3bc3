// Request parsing and validation for add-leads (§6.1 table, §11.5) and for the lead body of §6.4.
#include "sim/import.hpp"

#include <charconv>

#include <fmt/format.h>

#include "leadpipe/contract_email.hpp"

namespace leadpipe::sim {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

void add_error(request_error& err, std::string key, std::string_view what) {
  if (err.message.empty()) err.message = fmt::format("{}: {}", key, what);
  err.keys.push_back(std::move(key));
}

std::string join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

// Validation keys are built only when something is wrong, never per accepted lead.
std::string join(lead_path path, std::string_view key) {
  return path.index == lead_path::kBody ? std::string(key)
                                        : fmt::format("lead_list.{}.{}", path.index, key);
}

// A JSON scalar as the text the contract stores (numbers in decimal, booleans as words).
bool scalar_text(element v, import_request& req, std::string_view& out) {
  char buf[40];
  std::to_chars_result r{};
  switch (v.type()) {
    case element_type::STRING:
      out = v.get_string().value_unsafe();
      return true;
    case element_type::INT64:
      r = std::to_chars(buf, buf + sizeof buf, v.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      r = std::to_chars(buf, buf + sizeof buf, v.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE:
      r = std::to_chars(buf, buf + sizeof buf, v.get_double().value_unsafe());
      break;
    case element_type::BOOL:
      out = v.get_bool().value_unsafe() ? "true" : "false";
      return true;
    default:
      return false;
  }
  out = req.texts.emplace_back(buf, r.ptr);
  return true;
}

bool read_custom_fields(element v, lead_path path, const sim_options& opts,
                        import_request& req, lead_input& out, request_error& err) {
  object fields;
  if (v.get_object().get(fields) != simdjson::SUCCESS) {
    add_error(err, join(path, "custom_fields"), "custom_fields must be an object");
    return false;
  }
  if (fields.size() > opts.max_custom_fields) {
    add_error(err, join(path, "custom_fields"),
              fmt::format("at most {} custom fields are allowed", opts.max_custom_fields));
    return false;
  }
  bool ok = true;
  out.has_custom = true;
  out.custom_begin = static_cast<std::uint32_t>(req.custom.size());
  for (auto [key, value] : fields) {
    custom_input c;
    c.key = key;
    if (value.is_null()) {
      c.is_null = true;
    } else if (!scalar_text(value, req, c.value)) {
      add_error(err, join(join(path, "custom_fields"), key),
                "custom field values must be strings, numbers, booleans or null");
      ok = false;
      continue;
    }
    req.custom.push_back(c);
  }
  out.custom_count = static_cast<std::uint32_t>(req.custom.size()) - out.custom_begin;
  return ok;
}

std::optional<request_error> parse_settings(element v, import_settings& s) {
  request_error err;
  object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) {
    add_error(err, "settings", "settings must be an object");
    return err;
  }
  for (auto [key, value] : obj) {
    bool* target = nullptr;
    if (key == "ignore_global_block_list") {
      target = &s.ignore_global_block_list;
    } else if (key == "ignore_unsubscribe_list") {
      target = &s.ignore_unsubscribe_list;
    } else if (key == "ignore_community_bounce_list") {
      target = &s.ignore_community_bounce_list;
    } else if (key == "ignore_duplicate_leads_in_other_campaign") {
      target = &s.ignore_duplicate_leads_in_other_campaign;
    } else if (key == "return_lead_ids") {
      target = &s.return_lead_ids;
    }
    if (target == nullptr) {
      add_error(err, join("settings", key), "unknown setting");
    } else if (value.get_bool().get(*target) != simdjson::SUCCESS) {
      add_error(err, join("settings", key), "setting must be a boolean");
    }
  }
  if (err.keys.empty()) return std::nullopt;
  return err;
}

}  // namespace

void import_request::clear() {
  leads.clear();
  custom.clear();
  settings = {};
  arena.clear();
  texts.clear();
}

bool read_lead(object obj, lead_path path, const sim_options& opts, import_request& req,
               lead_input& out, request_error& err) {
  const std::size_t errors_before = err.keys.size();
  bool has_email = false;
  for (auto [key, value] : obj) {
    if (key == "email") {
      std::string_view email;
      if (value.get_string().get(email) != simdjson::SUCCESS) continue;  // reported below
      has_email = true;
      out.email = contract_trim(email);
      out.valid = is_contract_email(out.email);
      const std::size_t at = req.arena.size();
      append_ascii_lower(req.arena, out.email);
      out.key = std::string_view(req.arena).substr(at);
    } else if (key == "custom_fields") {
      read_custom_fields(value, path, opts, req, out, err);
    } else if (auto field = parse_lead_field(key)) {
      const auto i = static_cast<std::size_t>(*field);
      if (value.is_null()) continue;
      const bool ok = value.is_string() || (*field == lead_field::phone_number && value.is_number());
      if (!ok || !scalar_text(value, req, out.fields[i])) {
        add_error(err, join(path, key),
                  *field == lead_field::phone_number ? "phone_number must be a string or a number"
                                                     : "must be a string or null");
        continue;
      }
      out.present = static_cast<std::uint16_t>(out.present | (1U << i));
    } else if (opts.strict_lead_keys) {
      add_error(err, join(path, key), "unknown lead key (put extra data into custom_fields)");
    }
  }
  if (!has_email) add_error(err, join(path, "email"), "email is required and must be a string");
  return err.keys.size() == errors_before;
}

std::optional<request_error> parse_import(element root, std::size_t body_size,
                                          const sim_options& opts, import_request& out) {
  out.clear();
  out.arena.reserve(body_size);
  request_error err;
  object body;
  if (root.get_object().get(body) != simdjson::SUCCESS) {
    add_error(err, "body", "body must be a JSON object");
    return err;
  }
  simdjson::dom::array list;
  auto lead_list = body["lead_list"];
  if (lead_list.error() != simdjson::SUCCESS || lead_list.get_array().get(list) != simdjson::SUCCESS) {
    add_error(err, "lead_list", "lead_list is required and must be an array");
    return err;
  }
  if (list.size() == 0) {
    add_error(err, "lead_list", "lead_list must not be empty");
    return err;
  }
  if (list.size() > opts.max_leads_per_request) {
    add_error(err, "lead_list",
              fmt::format("lead_list has {} leads; the size limit is {} leads per request",
                          list.size(), opts.max_leads_per_request));
    return err;
  }
  auto settings = body["settings"];
  if (settings.error() == simdjson::SUCCESS) {
    if (auto e = parse_settings(settings.value_unsafe(), out.settings)) return e;
  }
  out.leads.reserve(list.size());
  std::size_t index = 0;
  for (element item : list) {
    lead_input& in = out.leads.emplace_back();
    const lead_path path{index++};
    object obj;
    if (item.get_object().get(obj) != simdjson::SUCCESS) {
      add_error(err, fmt::format("lead_list.{}", path.index),
                "each lead must be an object with an email");
      continue;
    }
    read_lead(obj, path, opts, out, in, err);
  }
  if (!err.keys.empty()) return err;
  if (opts.invalid_emails == invalid_email_policy::reject_request) {
    for (std::size_t i = 0; i < out.leads.size(); ++i) {
      if (!out.leads[i].valid) {
        add_error(err, fmt::format("lead_list.{}.email", i), "email addresses must be valid");
      }
    }
    if (!err.keys.empty()) return err;
  }
  return std::nullopt;
}

}  // namespace leadpipe::sim
