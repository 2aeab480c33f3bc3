#include "sim/options.hpp"

#include <charconv>

#include <boost/system/errc.hpp>
#include <fmt/format.h>

namespace leadpipe::sim {
namespace {

bool parse_bool(std::string_view v, bool& out) {
  if (v == "true" || v == "1" || v == "on" || v == "yes") {
    out = true;
  } else if (v == "false" || v == "0" || v == "off" || v == "no") {
    out = false;
  } else {
    return false;
  }
  return true;
}

bool parse_u32(std::string_view v, std::uint32_t& out) {
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  return r.ec == std::errc{} && r.ptr == v.data() + v.size();
}

}  // namespace

std::string_view to_string(response_shape s) noexcept {
  switch (s) {
    case response_shape::live: return "live";
    case response_shape::guide: return "guide";
    case response_shape::both: break;
  }
  return "both";
}

std::string_view to_string(invalid_email_policy p) noexcept {
  return p == invalid_email_policy::count ? "count" : "reject_request";
}

std::string_view to_string(cross_campaign_semantics s) noexcept {
  return s == cross_campaign_semantics::observed ? "observed" : "documented";
}

boost::system::result<void> set_option(sim_options& opts, std::string_view name,
                                       std::string_view value, std::string* message) {
  const auto fail = [&](std::string msg) -> boost::system::result<void> {
    if (message != nullptr) *message = std::move(msg);
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  };
  const auto bad = [&](std::string_view expected) {
    return fail(fmt::format("option {}: '{}' is not {}", name, value, expected));
  };
  sim_options next = opts;
  bool ok = true;
  if (name == "max_leads_per_request") {
    ok = parse_u32(value, next.max_leads_per_request) && next.max_leads_per_request > 0;
    if (!ok) return bad("a positive integer");
  } else if (name == "max_custom_fields") {
    if (!parse_u32(value, next.max_custom_fields)) return bad("an integer");
  } else if (name == "keepalive_max") {
    if (!parse_u32(value, next.keepalive_max)) return bad("an integer");
  } else if (name == "strict_lead_keys") {
    ok = parse_bool(value, next.strict_lead_keys);
  } else if (name == "always_emit_other_campaign_count") {
    ok = parse_bool(value, next.always_emit_other_campaign_count);
  } else if (name == "rate_limit_headers_on_get_only") {
    ok = parse_bool(value, next.rate_limit_headers_on_get_only);
  } else if (name == "plain_text_success_on_delete") {
    ok = parse_bool(value, next.plain_text_success_on_delete);
  } else if (name == "cross_campaign_flag_semantics") {
    if (value == "observed") {
      next.cross_campaign = cross_campaign_semantics::observed;
    } else if (value == "documented") {
      next.cross_campaign = cross_campaign_semantics::documented;
    } else {
      return bad("observed or documented");
    }
  } else if (name == "response_shape") {
    if (value == "both") {
      next.shape = response_shape::both;
    } else if (value == "live") {
      next.shape = response_shape::live;
    } else if (value == "guide") {
      next.shape = response_shape::guide;
    } else {
      return bad("both, live or guide");
    }
  } else if (name == "invalid_email_policy") {
    if (value == "count") {
      next.invalid_emails = invalid_email_policy::count;
    } else if (value == "reject_request") {
      next.invalid_emails = invalid_email_policy::reject_request;
    } else {
      return bad("count or reject_request");
    }
  } else if (name == "rate_limit" || name == "rate_limit_rules") {
    std::string why;
    auto rules = parse_rate_rules(value, &why);
    if (!rules) return fail(fmt::format("option {}: {}", name, why));
    next.rate_limit = std::move(*rules);
  } else {
    return fail(fmt::format("unknown option '{}'", name));
  }
  if (!ok) return bad("true or false");
  opts = std::move(next);
  return {};
}

void write_options(json_writer& w, const sim_options& o) {
  w.begin_object();
  w.key("max_leads_per_request").value(std::int64_t{o.max_leads_per_request});
  w.key("max_custom_fields").value(std::int64_t{o.max_custom_fields});
  w.key("strict_lead_keys").value(o.strict_lead_keys);
  w.key("cross_campaign_flag_semantics").value(to_string(o.cross_campaign));
  w.key("always_emit_other_campaign_count").value(o.always_emit_other_campaign_count);
  w.key("rate_limit_headers_on_get_only").value(o.rate_limit_headers_on_get_only);
  w.key("plain_text_success_on_delete").value(o.plain_text_success_on_delete);
  w.key("response_shape").value(to_string(o.shape));
  w.key("invalid_email_policy").value(to_string(o.invalid_emails));
  w.key("rate_limit").value(leadpipe::to_string(o.rate_limit));
  w.key("keepalive_max").value(std::int64_t{o.keepalive_max});
  w.end_object();
}

}  // namespace leadpipe::sim
