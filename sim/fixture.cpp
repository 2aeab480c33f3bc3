#include "sim/fixture.hpp"

#include <fstream>
#include <sstream>

#include <boost/system/errc.hpp>
#include <fmt/format.h>

#include "leadpipe/contract_email.hpp"
#include "sim/clock.hpp"
#include "sim/handlers.hpp"

namespace leadpipe::sim {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// Fixture reading stops at the first problem; `where` names it ("campaigns[2].status").
struct loader {
  std::string where;
  std::string why;
  std::int64_t now_ms = 0;
  std::int64_t default_account = 1;

  bool fail(std::string w, std::string y) {
    where = std::move(w);
    why = std::move(y);
    return false;
  }

  bool opt_int(object o, std::string_view key, std::optional<std::int64_t>& out,
               std::string_view at) {
    auto v = o[key];
    if (v.error() != simdjson::SUCCESS || v.value_unsafe().is_null()) return true;
    std::int64_t n = 0;
    if (v.get_int64().get(n) != simdjson::SUCCESS) {
      return fail(fmt::format("{}.{}", at, key), "must be an integer or null");
    }
    out = n;
    return true;
  }

  bool get_int(object o, std::string_view key, std::int64_t& out, std::string_view at) {
    std::optional<std::int64_t> v;
    if (!opt_int(o, key, v, at)) return false;
    if (v) out = *v;
    return true;
  }

  bool get_string(object o, std::string_view key, std::string& out, std::string_view at) {
    auto v = o[key];
    if (v.error() != simdjson::SUCCESS) return true;
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) {
      return fail(fmt::format("{}.{}", at, key), "must be a string");
    }
    out.assign(s);
    return true;
  }

  bool get_time(object o, std::string_view key, std::int64_t& out, std::string_view at) {
    std::string text;
    out = now_ms;
    if (!get_string(o, key, text, at)) return false;
    if (text.empty()) return true;
    auto t = parse_iso8601(text);
    if (!t) return fail(fmt::format("{}.{}", at, key), "is not an ISO-8601 time stamp");
    out = *t;
    return true;
  }

  bool get_bool(object o, std::string_view key, bool& out, std::string_view at) {
    auto v = o[key];
    if (v.error() != simdjson::SUCCESS) return true;
    if (v.get_bool().get(out) != simdjson::SUCCESS) {
      return fail(fmt::format("{}.{}", at, key), "must be a boolean");
    }
    return true;
  }

  // Calls fn(object, "name[i]") for each object in array `key` of `root` (absent = none).
  template <typename Fn>
  bool each(object root, std::string_view key, Fn&& fn) {
    auto v = root[key];
    if (v.error() != simdjson::SUCCESS) return true;
    array list;
    if (v.get_array().get(list) != simdjson::SUCCESS) return fail(std::string(key), "must be an array");
    std::size_t i = 0;
    for (element item : list) {
      const std::string at = fmt::format("{}[{}]", key, i++);
      object o;
      if (item.get_object().get(o) != simdjson::SUCCESS) return fail(at, "must be an object");
      if (!fn(o, at)) return false;
    }
    return true;
  }

  bool read_account(state& st, object o, const std::string& at) {
    account a;
    if (!get_int(o, "id", a.id, at)) return false;
    if (a.id <= 0) return fail(at + ".id", "is required and must be positive");
    array keys;
    if (o["api_keys"].get_array().get(keys) != simdjson::SUCCESS) {
      return fail(at + ".api_keys", "is required and must be an array of strings");
    }
    for (element k : keys) {
      std::string_view s;
      if (k.get_string().get(s) != simdjson::SUCCESS || s.empty()) {
        return fail(at + ".api_keys", "must hold non-empty strings");
      }
      if (st.account_by_key(s) != nullptr) return fail(at + ".api_keys", "key used twice");
      a.api_keys.emplace_back(s);
    }
    if (!opt_int(o, "lead_credit_remaining", a.lead_credit_remaining, at)) return false;
    const bool ok = each(o, "clients", [&](object c, const std::string& cat) {
      client cl;
      return get_int(c, "id", cl.id, cat) && get_string(c, "name", cl.name, cat) &&
             get_string(c, "email", cl.email, cat) && (a.clients.push_back(cl), true);
    });
    if (!ok) return false;
    st.add_account(std::move(a));
    return true;
  }

  bool read_campaign(state& st, object o, const std::string& at) {
    campaign c;
    c.account_id = default_account;
    std::string status = "DRAFTED";
    if (!get_int(o, "id", c.id, at) || !get_int(o, "account_id", c.account_id, at) ||
        !get_string(o, "name", c.name, at) || !get_string(o, "status", status, at) ||
        !opt_int(o, "client_id", c.client_id, at) || !get_time(o, "created_at", c.created_at_ms, at)) {
      return false;
    }
    auto s = parse_campaign_status(status);
    if (!s) return fail(at + ".status", fmt::format("unknown campaign status '{}'", status));
    c.status = *s;
    c.updated_at_ms = c.created_at_ms;
    if (st.find_account(c.account_id) == nullptr) return fail(at + ".account_id", "unknown account");
    if (c.name.empty()) c.name = fmt::format("Campaign {}", c.id);
    default_campaign_settings(c);
    object settings;
    if (o["settings"].get_object().get(settings) == simdjson::SUCCESS) {
      for (auto [key, value] : settings) {
        auto it = std::find_if(c.settings.begin(), c.settings.end(),
                               [&](const auto& kv) { return kv.first == key; });
        if (it == c.settings.end()) return fail(fmt::format("{}.settings.{}", at, key), "unknown setting");
        it->second = simdjson::minify(value);
      }
    }
    const bool tags_ok = each(o, "tags", [&](object t, const std::string& tat) {
      campaign_tag tag;
      return get_int(t, "tag_id", tag.id, tat) && get_string(t, "tag_name", tag.name, tat) &&
             get_string(t, "tag_color", tag.color, tat) && (c.tags.push_back(tag), true);
    });
    if (!tags_ok) return false;
    if (st.add_campaign(std::move(c)) == nullptr) return fail(at + ".id", "campaign id used twice");
    return true;
  }

  bool read_lead_record(state& st, object o, const std::string& at) {
    lead l;
    l.account_id = default_account;
    if (!get_int(o, "id", l.id, at) || !get_int(o, "account_id", l.account_id, at) ||
        !get_string(o, "email", l.email, at) || !get_bool(o, "is_unsubscribed", l.is_unsubscribed, at) ||
        !get_time(o, "created_at", l.created_at_ms, at)) {
      return false;
    }
    l.email.assign(contract_trim(l.email));
    if (l.email.empty()) return fail(at + ".email", "is required");
    for (std::size_t f = 0; f < kLeadFieldCount; ++f) {
      auto v = o[kLeadFieldNames[f]];
      if (v.error() != simdjson::SUCCESS || v.value_unsafe().is_null()) continue;
      std::string_view s;
      if (v.get_string().get(s) == simdjson::SUCCESS) {
        l.set(static_cast<lead_field>(f), s);
      } else {
        l.set(static_cast<lead_field>(f), simdjson::minify(v.value_unsafe()));
      }
    }
    object custom;
    if (o["custom_fields"].get_object().get(custom) == simdjson::SUCCESS) {
      for (auto [key, value] : custom) {
        std::string_view s;
        if (value.is_null()) continue;
        const std::string text = value.get_string().get(s) == simdjson::SUCCESS
                                     ? std::string(s)
                                     : simdjson::minify(value);
        l.set_custom(key, text);
      }
    }
    object unsub_map;
    if (o["unsubscribed_client_id_map"].get_object().get(unsub_map) == simdjson::SUCCESS) {
      l.unsubscribed_client_id_map = simdjson::minify(unsub_map);
    }
    if (st.find_account(l.account_id) == nullptr) return fail(at + ".account_id", "unknown account");
    if (st.add_lead(std::move(l)) == nullptr) return fail(at, "lead id or email used twice");
    return true;
  }

  bool read_membership(state& st, object o, const std::string& at) {
    std::int64_t campaign_id = 0;
    std::int64_t lead_id = 0;
    std::int64_t map_id = 0;
    std::string email;
    std::string status = "STARTED";
    if (!get_int(o, "campaign_id", campaign_id, at) || !get_int(o, "lead_id", lead_id, at) ||
        !get_int(o, "id", map_id, at) || !get_string(o, "email", email, at) ||
        !get_string(o, "status", status, at)) {
      return false;
    }
    campaign* c = st.find_campaign(campaign_id);
    if (c == nullptr) return fail(at + ".campaign_id", "unknown campaign");
    lead* l = lead_id != 0 ? st.find_lead(lead_id) : st.find_lead_by_key(c->account_id, email_key(email));
    if (l == nullptr || l->account_id != c->account_id) {
      return fail(at, "unknown lead (give lead_id or email of a lead of the campaign's account)");
    }
    if (st.find_membership(*c, l->id) != nullptr) return fail(at, "lead is already a member");
    auto s = parse_member_status(status);
    if (!s) return fail(at + ".status", fmt::format("unknown lead status '{}'", status));
    std::int64_t created = 0;
    if (!get_time(o, "created_at", created, at)) return false;
    membership& m = st.attach(*c, *l, created, map_id);
    m.status = *s;
    if (!opt_int(o, "lead_category_id", m.category_id, at) ||
        !get_bool(o, "unsubscribed", m.unsubscribed, at)) {
      return false;
    }
    auto seed = std::make_shared<member_seed>();
    array list;
    if (o["history"].get_array().get(list) == simdjson::SUCCESS) {
      for (element item : list) {
        history_item h;
        h.raw_json = simdjson::minify(item);
        std::string_view text;
        h.is_sent = item["type"].get_string().get(text) == simdjson::SUCCESS && text == "SENT";
        if (item["time"].get_string().get(text) == simdjson::SUCCESS) {
          h.time_ms = parse_iso8601(text).value_or(0);
        }
        seed->history.push_back(std::move(h));
      }
    }
    if (o["email_statuses"].get_array().get(list) == simdjson::SUCCESS) {
      for (element item : list) {
        std::string_view text;
        if (item.get_string().get(text) == simdjson::SUCCESS) seed->email_statuses.emplace_back(text);
      }
    }
    if (!seed->history.empty() || !seed->email_statuses.empty()) m.seed = std::move(seed);
    return true;
  }

  bool read_block(state& st, object o, const std::string& at) {
    std::int64_t account_id = default_account;
    std::int64_t id = 0;
    std::string value;
    std::string source = "manual";
    std::optional<std::int64_t> client_id;
    std::int64_t created = 0;
    if (!get_int(o, "account_id", account_id, at) || !get_int(o, "id", id, at) ||
        !get_string(o, "email_or_domain", value, at) || !get_string(o, "source", source, at) ||
        !opt_int(o, "client_id", client_id, at) || !get_time(o, "created_at", created, at)) {
      return false;
    }
    const std::string_view v = contract_trim(value);
    const bool ok = v.find('@') != std::string_view::npos ? is_contract_email(v) : is_contract_domain(v);
    if (!ok) return fail(at + ".email_or_domain", "is not a valid address or domain");
    if (st.find_account(account_id) == nullptr) return fail(at + ".account_id", "unknown account");
    st.add_block(account_id, v, client_id, source, created, id);
    return true;
  }

  bool read_unsubscribed(state& st, object o, const std::string& at) {
    std::int64_t account_id = default_account;
    std::string email;
    if (!get_int(o, "account_id", account_id, at) || !get_string(o, "email", email, at)) return false;
    if (!is_contract_email(contract_trim(email))) return fail(at + ".email", "is not a valid address");
    lead* l = st.find_lead_by_key(account_id, email_key(email));
    if (l == nullptr) {
      lead fresh;
      fresh.account_id = account_id;
      fresh.email.assign(contract_trim(email));
      fresh.created_at_ms = now_ms;
      l = st.add_lead(std::move(fresh));
    }
    l->is_unsubscribed = true;
    return true;
  }

  bool read_all(sim_config& cfg, object root, std::string_view api_key) {
    std::int64_t id_start = kDefaultIdStart;
    if (!get_int(root, "id_start", id_start, "id_start")) return false;
    cfg.initial_state = state(id_start);
    state& st = cfg.initial_state;
    st.stamp_categories(now_ms);
    const auto bind = [&](auto member) {
      return [this, &st, member](object o, const std::string& at) { return (this->*member)(st, o, at); };
    };
    if (!each(root, "accounts", bind(&loader::read_account))) return false;
    if (st.accounts().empty()) {
      account a;
      a.id = 1;
      a.api_keys.emplace_back(api_key);
      st.add_account(std::move(a));
    }
    default_account = st.accounts().front().id;
    if (!each(root, "campaigns", bind(&loader::read_campaign)) ||
        !each(root, "leads", bind(&loader::read_lead_record)) ||
        !each(root, "memberships", bind(&loader::read_membership)) ||
        !each(root, "block_list", bind(&loader::read_block)) ||
        !each(root, "unsubscribed", bind(&loader::read_unsubscribed))) {
      return false;
    }
    const bool categories_ok = each(root, "categories", [&](object o, const std::string& at) {
      category c;
      c.created_at_ms = 0;
      return get_int(o, "id", c.id, at) && get_string(o, "name", c.name, at) &&
             get_string(o, "sentiment_type", c.sentiment, at) &&
             (st.add_category(std::move(c)), true);
    });
    return categories_ok && read_settings(cfg, root);
  }

  bool read_settings(sim_config& cfg, object root) {
    array list;
    if (root["community_bounce_set"].get_array().get(list) == simdjson::SUCCESS) {
      for (element b : list) {
        std::string_view s;
        if (b.get_string().get(s) != simdjson::SUCCESS) return fail("community_bounce_set", "must hold strings");
        cfg.initial_state.add_bounce(s);
      }
    }
    object opts;
    if (root["options"].get_object().get(opts) == simdjson::SUCCESS) {
      for (auto [name, value] : opts) {
        std::string_view s;
        const std::string text = value.get_string().get(s) == simdjson::SUCCESS ? std::string(s)
                                                                                : simdjson::minify(value);
        std::string msg;
        if (!set_option(cfg.options, name, text, &msg)) return fail(fmt::format("options.{}", name), msg);
      }
    }
    if (root["faults"].get_array().get(list) == simdjson::SUCCESS) {
      for (element f : list) {
        std::string_view s;
        std::string msg;
        if (f.get_string().get(s) != simdjson::SUCCESS) return fail("faults", "must hold strings");
        auto rule = parse_fault(s, &msg);
        if (!rule) return fail("faults", msg);
        cfg.faults.push_back(std::move(*rule));
      }
    }
    std::uint64_t seed = 0;
    if (root["fault_seed"].get_uint64().get(seed) == simdjson::SUCCESS) cfg.fault_seed = seed;
    return true;
  }
};

}  // namespace

boost::system::result<sim_config> load_fixture(std::string_view json, std::string_view origin,
                                               std::string_view api_key, std::int64_t now_ms,
                                               std::string* message) {
  const auto fail = [&](std::string msg) -> boost::system::result<sim_config> {
    if (message != nullptr) *message = std::move(msg);
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  };
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  element root;
  if (auto err = parser.parse(padded).get(root); err != simdjson::SUCCESS) {
    return fail(fmt::format("{}: not valid JSON ({})", origin, simdjson::error_message(err)));
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return fail(fmt::format("{}: the fixture must be a JSON object", origin));
  }
  sim_config cfg;
  loader l;
  l.now_ms = now_ms;
  if (!l.read_all(cfg, obj, api_key)) return fail(fmt::format("{}: {}: {}", origin, l.where, l.why));
  return cfg;
}

boost::system::result<sim_config> load_fixture_file(const std::string& path,
                                                    std::string_view api_key,
                                                    std::int64_t now_ms, std::string* message) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (message != nullptr) *message = fmt::format("{}: cannot open the fixture file", path);
    return boost::system::errc::make_error_code(boost::system::errc::no_such_file_or_directory);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_fixture(text.str(), path, api_key, now_ms, message);
}

}  // namespace leadpipe::sim
