#include "leadpipe/net/sync_job.hpp"

#include <optional>

#include <fmt/format.h>
#include <simdjson.h>

#include "leadpipe/json_read.hpp"
#include "leadpipe/json_writer.hpp"
#include "leadpipe/paging.hpp"
#include "leadpipe/server_sets.hpp"

namespace leadpipe::net {

namespace http = boost::beast::http;
namespace dom = simdjson::dom;

namespace {

constexpr std::uint64_t kMemberPage = 100;   // §6.2: limit 1..100
constexpr std::uint64_t kBlockPage = 1000;   // §6.10: limit 1..1000

class fetcher {
 public:
  fetcher(api_session& api, const email_validator& v, progress_mode mode)
      : api_(api), keys_(v), progress_(mode) {}
  ~fetcher() { progress_.clear(); }
  fetcher(const fetcher&) = delete;
  fetcher& operator=(const fetcher&) = delete;

  dom::element get(const std::string& path, std::string_view what, fetch_stats& st) {
    answer_ = api_.call_ok(http::verb::get, path, {}, what).body;
    ++st.requests;
    dom::element doc;
    if (parser_.parse(answer_).get(doc) != simdjson::SUCCESS) {
      throw api_error(fmt::format("{}: the answer is not json", path), 200);
    }
    return doc;
  }

  // Every page of a campaign's members (§6.2), each lead handed to `on_lead(email, unsub)`.
  template <class F>
  void members(std::int64_t campaign, std::string_view filter, fetch_stats& st, F&& on_lead) {
    for (page_walk walk;;) {
      const std::string path = fmt::format("/campaigns/{}/leads?offset={}&limit={}{}", campaign,
                                           walk.offset(), kMemberPage, filter);
      const dom::element doc = get(path, "the campaign", st);
      dom::object o;
      dom::array data;
      if (doc.get_object().get(o) != simdjson::SUCCESS ||
          o.at_key("data").get_array().get(data) != simdjson::SUCCESS) {
        throw api_error(fmt::format("{}: the answer has no data array", path), 200);
      }
      std::uint64_t n = 0;
      for (dom::element item : data) {
        ++n;
        ++st.server_entries;
        dom::object lead;
        std::string_view email;
        if (item.at_key("lead").get_object().get(lead) != simdjson::SUCCESS ||
            lead.at_key("email").get_string().get(email) != simdjson::SUCCESS) {
          ++st.unusable;
          continue;
        }
        bool unsub = false;
        if (lead.at_key("is_unsubscribed").get_bool().get(unsub) != simdjson::SUCCESS) unsub = false;
        on_lead(email, unsub);
      }
      const auto total = json_int_at(o, "total_leads");
      const bool last = walk.last(n, total);
      draw(fmt::format("sync: campaign {} members {}{}", campaign, walk.offset(),
                       total ? fmt::format(" of {}", *total) : std::string()));
      if (last) break;
    }
  }

  // The campaign's member count (§6.2's total_leads) from one request of one member.
  std::optional<std::int64_t> member_total(std::int64_t campaign, fetch_stats& st) {
    const std::string path = fmt::format("/campaigns/{}/leads?offset=0&limit=1", campaign);
    const dom::element doc = get(path, "the campaign", st);
    dom::object o;
    if (doc.get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
    return json_int_at(o, "total_leads");
  }

  void draw(const std::string& text) { progress_.update(text); }
  entry_keyer& keys() { return keys_; }

 private:
  api_session& api_;
  entry_keyer keys_;
  progress_line progress_;
  dom::parser parser_;
  std::string answer_;
};

struct campaign_info {
  std::optional<std::int64_t> client_id;
  std::int64_t user_id = 0;
};

campaign_info fetch_campaign(fetcher& f, std::int64_t campaign, fetch_stats& st) {
  const std::string path = fmt::format("/campaigns/{}", campaign);
  const dom::element doc = f.get(path, fmt::format("campaign {}", campaign), st);
  dom::object o;
  if (doc.get_object().get(o) != simdjson::SUCCESS) {
    throw api_error(fmt::format("{}: the answer is not a campaign object", path), 200);
  }
  campaign_info c;
  c.client_id = json_int_at(o, "client_id");
  c.user_id = json_int_at(o, "user_id").value_or(0);
  return c;
}

void fetch_block_list(fetcher& f, const campaign_info& c, sync_cache& cache, fetch_stats& st) {
  key_set emails;
  key_set domains;
  // A campaign of a client needs only that client's entries; one without a client needs the
  // entries without one, which no filter selects, so all are read and scoped here (§6.10).
  const std::string filter =
      c.client_id ? fmt::format("&filter_client_id={}", *c.client_id) : std::string();
  for (page_walk walk;;) {
    const std::string path = fmt::format("/leads/get-domain-block-list?offset={}&limit={}{}",
                                         walk.offset(), kBlockPage, filter);
    const dom::element doc = f.get(path, "the block list", st);
    dom::array page;
    if (doc.get_array().get(page) != simdjson::SUCCESS) {
      throw api_error(fmt::format("{}: the answer is not an array", path), 200);
    }
    std::uint64_t n = 0;
    for (dom::element item : page) {
      ++n;
      ++st.server_entries;
      dom::object e;
      std::string_view value;
      if (item.get_object().get(e) != simdjson::SUCCESS ||
          e.at_key("email_or_domain").get_string().get(value) != simdjson::SUCCESS) {
        ++st.unusable;
        continue;
      }
      if (json_int_at(e, "client_id") != c.client_id) {
        ++st.out_of_scope;
        continue;
      }
      const bool is_domain = value.find('@') == std::string_view::npos;
      const auto key = is_domain ? f.keys().domain(value) : f.keys().email(value);
      if (!key) {
        ++st.unusable;
        continue;
      }
      (is_domain ? domains : emails).insert(*key);
    }
    const bool last = walk.last(n);
    f.draw(fmt::format("sync: block list {}", walk.offset()));
    if (last) break;
  }
  st.kept = emails.size() + domains.size();
  cache[cache_set::blocked_emails].keys = std::move(emails);
  cache[cache_set::blocked_domains].keys = std::move(domains);
}

std::vector<std::int64_t> other_campaign_ids(fetcher& f, std::int64_t campaign, fetch_stats& st) {
  const dom::element doc = f.get("/campaigns/", "the campaign list", st);
  dom::array list;
  if (doc.get_array().get(list) != simdjson::SUCCESS) {
    throw api_error("/campaigns/: the answer is not an array", 200);
  }
  std::vector<std::int64_t> ids;
  for (dom::element item : list) {
    dom::object o;
    if (item.get_object().get(o) != simdjson::SUCCESS) continue;
    const auto id = json_int_at(o, "id");
    if (id && *id != campaign) ids.push_back(*id);
  }
  return ids;
}

bool stale(const cached_set& s, const cache_policy& p, std::int64_t now_ms) {
  if (p.refresh || !s.fetched()) return true;
  const auto age = s.age_seconds(now_ms);
  return *age > static_cast<double>(p.max_age.count());
}

// Pages of `page` entries for a listing of `entries` (a last short or empty page ends it).
std::uint64_t pages_of(std::uint64_t entries, std::uint64_t page) { return entries / page + 1; }

// What a real run would fetch (see cache_outcome::would_fetch), from the sizes of last time.
void estimate_sync(const sync_cache& cache, bool block, bool members, bool unsub, bool others,
                   cache_outcome& out) {
  std::uint64_t n = 1;  // the campaign
  const auto size = [&](cache_set s) {
    if (!cache[s].fetched()) out.estimate_floor = true;
    return cache[s].server_entries;
  };
  if (block) {
    out.would_fetch.emplace_back("block_list");
    n += pages_of(size(cache_set::blocked_emails), kBlockPage);
  }
  if (members) {
    // The count check, then (when the campaign holds members the cache does not) every page:
    // as many as the cache knows of, with the leads its imports added.
    out.would_fetch.emplace_back("members");
    const cached_set& m = cache[cache_set::existing];
    if (m.fetched()) out.estimate_ceiling = true;
    n += 1 +
         pages_of(std::max<std::uint64_t>(size(cache_set::existing), m.keys.size()), kMemberPage);
  }
  if (unsub || others) ++n;  // the campaign list
  if (unsub) {
    out.would_fetch.emplace_back("unsubscribed");
    n += pages_of(size(cache_set::unsubscribed), kMemberPage);
  }
  if (others) {
    out.would_fetch.emplace_back("other_campaigns");
    n += pages_of(size(cache_set::other_campaigns), kMemberPage);
  }
  out.estimated_requests = n;
}

}  // namespace

sync_cache prepare_cache(api_session& api, const email_validator& validator,
                         std::int64_t campaign_id, const sync_needs& needs,
                         const cache_policy& policy, report& rep, cache_outcome& out) {
  const std::string dir = policy.dir.empty() ? default_cache_dir() : policy.dir;
  // Keys folded for --fold-provider-aliases do not match unfolded ones: each kind has its file.
  out.path = cache_path(dir, api.base_url(), api.account_id(), campaign_id,
                        validator.folds_provider_aliases());
  sync_cache cache;
  auto loaded = read_cache(out.path, api.base_url(), api.account_id(), campaign_id);
  if (loaded) {
    cache = std::move(*loaded);
    out.loaded = "read";
  } else {
    out.loaded = loaded.error().message();
    if (loaded.error() != make_error_code(cache_errc::missing)) {
      rep.warnings.push_back(fmt::format("{}: {}; it is rebuilt", out.path, out.loaded));
    }
    cache.base_url = api.base_url();
    cache.account_id = api.account_id();
    cache.campaign_id = campaign_id;
  }
  const std::int64_t now = epoch_now_ms();
  const bool want_block =
      needs.block_list && (stale(cache[cache_set::blocked_emails], policy, now) ||
                           stale(cache[cache_set::blocked_domains], policy, now));
  bool want_members = needs.members && stale(cache[cache_set::existing], policy, now);
  const bool want_unsub = needs.unsubscribed && stale(cache[cache_set::unsubscribed], policy, now);
  const bool want_others =
      needs.other_campaigns && stale(cache[cache_set::other_campaigns], policy, now);
  if (policy.no_sync) {
    if (want_block || want_members || want_unsub || want_others)
      estimate_sync(cache, want_block, want_members, want_unsub, want_others, out);
    return cache;
  }
  if (!(want_block || want_members || want_unsub || want_others)) return cache;

  fetcher f(api, validator, policy.progress);
  fetch_stats camp{"campaign"};
  const campaign_info info = fetch_campaign(f, campaign_id, camp);
  out.fetched.push_back(camp);
  if (cache.client_id != info.client_id || cache.user_id != info.user_id) {
    // The campaign moved to another client: the block list's scope changed.
    cache[cache_set::blocked_emails] = {};
    cache[cache_set::blocked_domains] = {};
  }
  cache.client_id = info.client_id;
  cache.user_id = info.user_id;

  if (want_block || (needs.block_list && !cache[cache_set::blocked_emails].fetched())) {
    fetch_stats st{"block_list"};
    fetch_block_list(f, info, cache, st);
    for (auto s : {cache_set::blocked_emails, cache_set::blocked_domains}) {
      cache[s].fetched_at_ms = epoch_now_ms();
      cache[s].server_entries = st.server_entries;
    }
    out.fetched.push_back(st);
  }
  key_set unsub;
  if (want_members && cache[cache_set::existing].fetched() && !policy.refresh) {
    // The member list grows mostly by this campaign's own imports, whose leads the cache
    // learned as they were added: when the campaign holds as many members as the cache does,
    // it is taken as current, for one request instead of one per 100 members (QA: 18,133
    // requests on the second night of a 1.8M-lead campaign). --refresh reads every page.
    fetch_stats st{"members_count"};
    const auto total = f.member_total(campaign_id, st);
    const std::size_t held = cache[cache_set::existing].keys.size();
    if (total && *total >= 0 && static_cast<std::uint64_t>(*total) == held) {
      cache[cache_set::existing].fetched_at_ms = epoch_now_ms();
      st.kept = held;
      want_members = false;
    }
    out.fetched.push_back(st);
  }
  if (want_members) {
    fetch_stats st{"members"};
    key_set members;
    f.members(campaign_id, "", st, [&](std::string_view email, bool is_unsub) {
      const auto k = f.keys().email(email);
      if (!k) {
        ++st.unusable;
        return;
      }
      members.insert(*k);
      if (is_unsub) unsub.insert(*k);
    });
    st.kept = members.size();
    cache[cache_set::existing].keys = std::move(members);
    cache[cache_set::existing].fetched_at_ms = epoch_now_ms();
    cache[cache_set::existing].server_entries = st.server_entries;
    out.fetched.push_back(st);
  }
  if (want_unsub || want_others) {
    fetch_stats list_st{"campaign_list"};
    const std::vector<std::int64_t> others = other_campaign_ids(f, campaign_id, list_st);
    out.fetched.push_back(list_st);
    fetch_stats unsub_st{"unsubscribed"};
    fetch_stats others_st{"other_campaigns"};
    key_set other_members;
    const auto add_unsub = [&](std::string_view email, bool is_unsub) {
      // The emailStatus filter also returns campaign-level unsubscribes; only a lead's global
      // flag makes the server skip it in another campaign (§7.2 step 5).
      if (!is_unsub) return;
      if (const auto k = f.keys().email(email)) unsub.insert(*k);
    };
    if (want_unsub && !want_members) {
      f.members(campaign_id, "&emailStatus=is_unsubscribed", unsub_st, add_unsub);
    }
    for (const std::int64_t id : others) {
      if (want_others) {
        // Every member is read anyway: its unsubscribed flag comes with it.
        f.members(id, "", others_st, [&](std::string_view email, bool is_unsub) {
          const auto k = f.keys().email(email);
          if (!k) {
            ++others_st.unusable;
            return;
          }
          other_members.insert(*k);
          if (is_unsub) unsub.insert(*k);
        });
      } else {
        f.members(id, "&emailStatus=is_unsubscribed", unsub_st, add_unsub);
      }
    }
    if (want_others) {
      others_st.kept = other_members.size();
      cache[cache_set::other_campaigns].keys = std::move(other_members);
      cache[cache_set::other_campaigns].fetched_at_ms = epoch_now_ms();
      cache[cache_set::other_campaigns].server_entries = others_st.server_entries;
      out.fetched.push_back(others_st);
    }
    if (want_unsub) {
      // Unsubscribes the cache learned from the server's skips stay: the API lists only those
      // of members, and a global unsubscribe is not undone (QA: 9,597 learned ones were sent
      // again every night after the refresh dropped them).
      for (const fingerprint& k : cache[cache_set::unsubscribed].keys) unsub.insert(k);
      unsub_st.kept = unsub.size();
      cache[cache_set::unsubscribed].keys = std::move(unsub);
      cache[cache_set::unsubscribed].fetched_at_ms = epoch_now_ms();
      cache[cache_set::unsubscribed].server_entries = unsub_st.server_entries;
      out.fetched.push_back(unsub_st);
    }
  }
  write_cache(out.path, cache);
  out.written = true;
  return cache;
}

void describe_cache(const sync_cache& cache, const sync_needs& needs, const cache_outcome& out,
                    report& rep) {
  const std::int64_t now = epoch_now_ms();
  const auto add = [&](std::string_view name, std::initializer_list<cache_set> parts) {
    set_stats s;
    s.name = std::string(name);
    s.source = "cache";
    std::optional<double> age;
    for (const cache_set p : parts) {
      const cached_set& c = cache[p];
      s.entries += c.keys.size();
      if (p == cache_set::blocked_domains) s.domains = c.keys.size();
      s.bytes += table_bytes(c.keys);
      const auto a = c.age_seconds(now);
      if (a && (!age || *a > *age)) age = a;
    }
    s.age_seconds = age;
    rep.sets.push_back(std::move(s));
  };
  (void)out;
  if (needs.members) add("existing", {cache_set::existing});
  if (needs.block_list) add("block_list", {cache_set::blocked_emails, cache_set::blocked_domains});
  if (needs.unsubscribed) add("unsubscribed", {cache_set::unsubscribed});
  if (needs.other_campaigns) add("other_campaigns", {cache_set::other_campaigns});
}

std::string sync_section_json(const cache_outcome& out) {
  std::string s;
  json_writer w(s);
  w.begin_object();
  w.key("cache").value(out.path);
  w.key("loaded").value(out.loaded);
  w.key("written").value(out.written);
  w.key("fetched").begin_array();
  for (const fetch_stats& f : out.fetched) {
    w.begin_object();
    w.key("group").value(f.group);
    w.key("requests").value(f.requests);
    w.key("server_entries").value(f.server_entries);
    w.key("kept").value(f.kept);
    w.key("out_of_scope").value(f.out_of_scope);
    w.key("unusable").value(f.unusable);
    w.end_object();
  }
  w.end_array();
  if (!out.would_fetch.empty()) {
    w.key("would_fetch").begin_array();
    for (const auto& g : out.would_fetch) w.value(g);
    w.end_array();
    w.key("estimated_requests").value(out.estimated_requests);
    w.key("estimate_is_lower_bound").value(out.estimate_floor);
    w.key("estimate_is_upper_bound").value(out.estimate_ceiling && !out.estimate_floor);
  }
  w.end_object();
  return s;
}

}  // namespace leadpipe::net
