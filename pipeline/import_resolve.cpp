// resolve_leads and the outcome words of import_response.hpp: from an add-leads answer to one
// outcome per lead of the batch.
#include "leadpipe/import_response.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include <boost/unordered/unordered_flat_map.hpp>

#include "leadpipe/contract_email.hpp"

namespace leadpipe {
namespace {

constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

constexpr std::array<std::string_view, 11> words = {
    "added",        "invalid_email", "duplicate_in_request", "already_in_campaign",  "blocked",
    "unsubscribed", "bounced",       "in_other_campaign",    "lead_limit_exhausted", "other_reason",
    "unknown_skip"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Addresses compare ASCII case-insensitively (contract §4).
struct caseless_hash {
  std::size_t operator()(std::string_view s) const noexcept {
    std::uint64_t h = 14695981039346656037ULL;  // FNV-1a
    for (const char c : s) {
      h ^= static_cast<unsigned char>(lower(c));
      h *= 1099511628211ULL;
    }
    return static_cast<std::size_t>(h);
  }
};

struct caseless_equal {
  bool operator()(std::string_view a, std::string_view b) const noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  }
};

// The batch's leads by address: each address's occurrences in request order, and which leads
// already have an outcome.
class batch_index {
 public:
  explicit batch_index(std::span<const std::string_view> emails)
      : next_(emails.size(), none), repeat_(emails.size(), false), done_(emails.size(), false) {
    std::vector<std::uint32_t> last(emails.size(), none);
    for (std::uint32_t i = 0; i < emails.size(); ++i) {
      const auto [it, fresh] = first_.try_emplace(contract_trim(emails[i]), i);
      if (!fresh) {
        repeat_[i] = true;
        next_[last[it->second]] = i;
      }
      last[it->second] = i;
    }
  }

  // The first lead with `email` that has no outcome yet (a repeat of an earlier address when
  // `repeat_only`); marks it done. `none` when there is no such lead.
  std::uint32_t take(std::string_view email, bool repeat_only) {
    const auto it = first_.find(contract_trim(email));
    if (it == first_.end()) return none;
    for (std::uint32_t i = it->second; i != none; i = next_[i]) {
      if (!done_[i] && (!repeat_only || repeat_[i])) {
        done_[i] = true;
        return i;
      }
    }
    return none;
  }

  void mark(std::uint32_t i) { done_[i] = true; }
  [[nodiscard]] bool done(std::uint32_t i) const { return done_[i]; }
  [[nodiscard]] bool repeat(std::uint32_t i) const { return repeat_[i]; }

 private:
  boost::unordered_flat_map<std::string_view, std::uint32_t, caseless_hash, caseless_equal> first_;
  std::vector<std::uint32_t> next_;
  std::vector<bool> repeat_;
  std::vector<bool> done_;
};

constexpr std::size_t category_count = static_cast<std::size_t>(lead_result::other_reason);

class resolver {
 public:
  resolver(const import_response& r, std::span<const std::string_view> emails)
      : response_(r), index_(emails) {
    out_.leads.resize(emails.size());
  }

  void name_from_skipped_leads() {
    for (const auto& lead : response_.skipped_leads)
      name(lead.email, lead.reason, lead.reason_text);
    for (std::uint32_t i = 0; i < out_.leads.size(); ++i) {
      if (!index_.done(i)) out_.leads[i] = {lead_result::added, false, false, {}};
    }
  }

  void name_from_lists() {
    for (const auto& e : response_.invalid_emails) name(e, lead_result::invalid_email, {});
    for (const auto& e : response_.unsubscribed_leads) name(e, lead_result::unsubscribed, {});
    for (const auto& e : response_.newly_added) name(e.email, lead_result::added, {});
    for (const auto& e : response_.existing) name(e.email, lead_result::already_in_campaign, {});
    for (const auto& e : response_.existing_in_other_campaigns) {
      name(e.email, lead_result::in_other_campaign, {});
    }
    // A repeat of an earlier address in the batch can only be the request's duplicate (§7.2
    // step 2); the invalid ones were named above.
    std::int64_t left = response_.duplicate_count - named(lead_result::duplicate_in_request);
    for (std::uint32_t i = 0; i < out_.leads.size() && left > 0; ++i) {
      if (index_.done(i) || !index_.repeat(i)) continue;
      index_.mark(i);
      give(i, lead_result::duplicate_in_request, {});
      --left;
    }
  }

  void attribute_by_counters(bool resent) {
    std::vector<reason_count> residual;
    const auto add = [&](lead_result r, std::int64_t counter, text_ref why = {}) {
      if (counter - named(r) > 0) residual.push_back({r, why, counter - named(r)});
    };
    std::int64_t already = response_.already_added_to_campaign;
    std::int64_t added = response_.added.value_or(0);
    if (resent) {  // the lost attempt's leads, reported again as members, count as added
      added += already - named(lead_result::already_in_campaign);
      already = named(lead_result::already_in_campaign);
    }
    add(lead_result::added, added);
    add(lead_result::invalid_email, response_.invalid_email_count);
    add(lead_result::duplicate_in_request, response_.duplicate_count);
    add(lead_result::already_in_campaign, already);
    add(lead_result::blocked, response_.block_count);
    add(lead_result::unsubscribed, response_.unsubscribed_count);
    add(lead_result::bounced, response_.bounce_count);
    add(lead_result::in_other_campaign, response_.skipped_in_other_campaign_count);
    add(lead_result::lead_limit_exhausted, response_.lead_import_stopped_count);
    for (const auto& extra : response_.extra_counts) {
      if (extra.count > 0) residual.push_back({lead_result::other_reason, extra.name, extra.count});
    }

    std::vector<std::uint32_t> rest;
    for (std::uint32_t i = 0; i < out_.leads.size(); ++i) {
      if (!index_.done(i)) rest.push_back(i);
    }
    if (rest.empty()) return;
    const auto size = static_cast<std::int64_t>(rest.size());
    std::int64_t given = 0;
    if (residual.size() == 1) {
      const reason_count& only = residual.front();
      const bool exact = only.count >= size;
      for (; given < std::min(only.count, size); ++given) {
        out_.leads[rest[static_cast<std::size_t>(given)]] = {only.reason, !exact, false,
                                                             only.reason_text};
      }
    } else if (!residual.empty()) {
      const bool has_added = residual.front().reason == lead_result::added;
      const std::int64_t added_left = has_added ? residual.front().count : 0;
      for (; given < std::min(added_left, size); ++given) {
        out_.leads[rest[static_cast<std::size_t>(given)]] = {lead_result::added, true, false, {}};
      }
      split_unattributed(residual, has_added ? 1 : 0, size - given);
    }
    // Leads no counter can pin. When some of them were stopped for lead credit, they all are
    // taken as such: --resume sends them again once there is credit, and a lead of the other
    // kinds (bounced, say) is then only skipped once more; taken as skipped, a credit-stopped
    // lead would be lost.
    const bool credit = std::any_of(residual.begin(), residual.end(), [](const reason_count& r) {
      return r.reason == lead_result::lead_limit_exhausted;
    });
    for (; given < size; ++given) {
      out_.leads[rest[static_cast<std::size_t>(given)]] = {
          credit ? lead_result::lead_limit_exhausted : lead_result::unknown_skip, true, false, {}};
    }
  }

  resolved_batch finish(bool resent) {
    if (resent) {
      for (auto& lead : out_.leads) {
        if (lead.result == lead_result::already_in_campaign) {
          lead.result = lead_result::added;
          lead.confirmed_on_retry = true;
        }
      }
    }
    return std::move(out_);
  }

 private:
  // The skip residuals from `first` on, as the split of the `leads` left unknown_skip. Counters
  // that claim more skips than there are leads (a server whose counters disagree with its own
  // batch) are cut, in residual order, so the report never counts more leads than were sent.
  void split_unattributed(const std::vector<reason_count>& residual, std::size_t first,
                          std::int64_t leads) {
    for (std::size_t i = first; i < residual.size() && leads > 0; ++i) {
      reason_count r = residual[i];
      r.count = std::min(r.count, leads);
      leads -= r.count;
      out_.unattributed.push_back(r);
    }
  }

  void name(text_ref email, lead_result r, text_ref why) {
    const std::uint32_t i =
        index_.take(response_.view(email), r == lead_result::duplicate_in_request);
    if (i == none) {
      ++out_.unmatched;
      return;
    }
    give(i, r, why);
  }

  void give(std::uint32_t i, lead_result r, text_ref why) {
    out_.leads[i] = {r, false, false, why};
    if (static_cast<std::size_t>(r) < category_count) ++named_[static_cast<std::size_t>(r)];
  }

  [[nodiscard]] std::int64_t named(lead_result r) const {
    return named_[static_cast<std::size_t>(r)];
  }

  const import_response& response_;
  batch_index index_;
  resolved_batch out_;
  std::array<std::int64_t, category_count> named_{};
};

}  // namespace

std::string_view to_string(lead_result r) noexcept { return words[static_cast<std::size_t>(r)]; }

std::optional<lead_result> lead_result_from_reason(std::string_view word) noexcept {
  // Only the skip words of §11.1 are reasons: not "added", "other_reason" or "unknown_skip".
  for (std::size_t i = 1; i < category_count; ++i) {
    if (words[i] == word) return static_cast<lead_result>(i);
  }
  return std::nullopt;
}

resolved_batch resolve_leads(const import_response& response,
                             std::span<const std::string_view> emails, bool resent) {
  if (!response.ok) {
    // A refused call wrote nothing (§6.1): the whole batch shares the refusal.
    resolved_batch out;
    const lead_result r = response.is_lead_limit_exhausted ? lead_result::lead_limit_exhausted
                                                           : lead_result::unknown_skip;
    out.leads.assign(emails.size(), lead_outcome{r, false, false, {}});
    return out;
  }
  resolver r(response, emails);
  if (response.has_skipped_leads) {
    r.name_from_skipped_leads();
  } else {
    r.name_from_lists();
    r.attribute_by_counters(resent);
  }
  return r.finish(resent);
}

}  // namespace leadpipe
