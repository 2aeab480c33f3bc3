#include "sim/model.hpp"

#include <algorithm>
#include <cstring>

#include <xxhash.h>

#include "leadpipe/contract_email.hpp"

namespace leadpipe::sim {
namespace {

constexpr std::array<std::string_view, 6> kCampaignWords = {"DRAFTED", "ACTIVE",    "PAUSED",
                                                            "STOPPED", "COMPLETED", "ARCHIVED"};
constexpr std::array<std::string_view, 6> kMemberWords = {"STARTED", "INPROGRESS", "COMPLETED",
                                                          "PAUSED",  "STOPPED",    "BLOCKED"};

template <typename Enum, std::size_t N>
std::optional<Enum> parse_word(const std::array<std::string_view, N>& words, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i) {
    if (words[i] == s) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(campaign_status s) noexcept {
  return kCampaignWords[static_cast<std::size_t>(s)];
}
std::string_view to_string(member_status s) noexcept {
  return kMemberWords[static_cast<std::size_t>(s)];
}
std::optional<campaign_status> parse_campaign_status(std::string_view s) noexcept {
  return parse_word<campaign_status>(kCampaignWords, s);
}
std::optional<member_status> parse_member_status(std::string_view s) noexcept {
  return parse_word<member_status>(kMemberWords, s);
}
std::optional<lead_field> parse_lead_field(std::string_view name) noexcept {
  return parse_word<lead_field>(kLeadFieldNames, name);
}

std::string email_key(std::string_view email) {
  std::string key;
  append_ascii_lower(key, contract_trim(email));
  return key;
}

bool account::has_client(std::int64_t client_id) const noexcept {
  return std::any_of(clients.begin(), clients.end(),
                     [&](const client& c) { return c.id == client_id; });
}

std::size_t string_hash::operator()(std::string_view s) const noexcept {
  return static_cast<std::size_t>(XXH3_64bits(s.data(), s.size()));
}

namespace {

constexpr std::size_t kArenaBlock = 64 * 1024;

void put_entry_part(std::string& out, std::string_view s) {
  const auto n = static_cast<std::uint32_t>(s.size());
  char len[sizeof n];
  std::memcpy(len, &n, sizeof n);
  out.append(len, sizeof n);
  out.append(s);
}

}  // namespace

void id_directory::set(std::int64_t id, std::size_t pos) {
  // Ids far above what was handed out (seeded by a fixture) go to the hash map, so a stray big
  // id cannot blow up the dense array.
  const std::int64_t off = id - base_;
  const bool dense = off >= 0 && pos < kNone &&
                     static_cast<std::uint64_t>(off) < dense_.size() + (std::uint64_t{1} << 20U);
  if (!dense) {
    sparse_[id] = pos;
    return;
  }
  const auto i = static_cast<std::size_t>(off);
  if (i >= dense_.size()) dense_.resize(std::max(i + 1, dense_.size() * 2), kNone);
  dense_[i] = static_cast<std::uint32_t>(pos);
}

std::optional<std::size_t> id_directory::find(std::int64_t id) const {
  const std::int64_t off = id - base_;
  if (off >= 0 && static_cast<std::uint64_t>(off) < dense_.size() &&
      dense_[static_cast<std::size_t>(off)] != kNone) {
    return dense_[static_cast<std::size_t>(off)];
  }
  if (sparse_.empty()) return std::nullopt;
  auto it = sparse_.find(id);
  if (it == sparse_.end()) return std::nullopt;
  return it->second;
}

key_index::key_index(const key_index& other) { *this = other; }

key_index& key_index::operator=(const key_index& other) {
  if (this == &other) return *this;
  blocks_.clear();
  used_ = 0;
  map_.clear();
  map_.reserve(other.map_.size());
  for (const auto& [key, pos] : other.map_) map_.emplace(stored_key{store(key.text), key.hash}, pos);
  return *this;
}

std::string_view key_index::store(std::string_view key) {
  if (key.size() > kArenaBlock) {  // an oversized key gets a block of its own
    char* own = blocks_.emplace_back(std::make_unique<char[]>(key.size())).get();
    std::memcpy(own, key.data(), key.size());
    used_ = kArenaBlock;  // the next key starts a fresh block
    return {own, key.size()};
  }
  if (blocks_.empty() || used_ + key.size() > kArenaBlock) {
    blocks_.push_back(std::make_unique<char[]>(kArenaBlock));
    used_ = 0;
  }
  char* at = blocks_.back().get() + used_;
  std::memcpy(at, key.data(), key.size());
  used_ += key.size();
  return {at, key.size()};
}

bool key_index::insert(std::string_view key, std::size_t pos) {
  // One probe: callers add keys they just failed to find, so a refused insert (whose arena
  // bytes stay unused until the next copy) is the rare case.
  const std::size_t hash = string_hash{}(key);
  return map_.emplace(stored_key{store(key), hash}, pos).second;
}

std::optional<std::size_t> key_index::find(std::string_view key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void key_index::erase(std::string_view key) {
  auto it = map_.find(key);
  if (it != map_.end()) map_.erase(it);
}

std::string_view lead::read(std::size_t& pos) const {
  std::uint32_t n = 0;
  std::memcpy(&n, data_.data() + pos, sizeof n);
  const std::string_view out(data_.data() + pos + sizeof n, n);
  pos += sizeof n + n;
  return out;
}

void lead::set_custom(std::string_view key, std::optional<std::string_view> value) {
  std::size_t pos = field_end_.back();
  while (pos < data_.size()) {
    const std::size_t start = pos;
    const std::string_view k = read(pos);
    read(pos);
    if (k != key) continue;
    std::string entry;
    if (value) {
      put_entry_part(entry, key);
      put_entry_part(entry, *value);
    }
    data_.replace(start, pos - start, entry);
    return;
  }
  if (value) {
    put_entry_part(data_, key);
    put_entry_part(data_, *value);
  }
}

bool lead::has(lead_field f) const noexcept {
  return (present_ & (1U << static_cast<unsigned>(f))) != 0;
}

std::string_view lead::get(lead_field f) const noexcept {
  const auto i = static_cast<std::size_t>(f);
  const std::uint32_t begin = i == 0 ? 0 : field_end_[i - 1];
  return std::string_view(data_).substr(begin, field_end_[i] - begin);
}

void lead::set(lead_field f, std::string_view v) {
  std::array<std::string_view, kLeadFieldCount> values{};
  values[static_cast<std::size_t>(f)] = v;
  set_fields(values, static_cast<std::uint16_t>(1U << static_cast<unsigned>(f)));
}

void lead::set_fields(const std::array<std::string_view, kLeadFieldCount>& values,
                      std::uint16_t mask, std::size_t spare) {
  if (mask == 0 && spare == 0) return;
  std::array<std::string_view, kLeadFieldCount> next{};
  std::size_t total = 0;
  for (std::size_t i = 0; i < kLeadFieldCount; ++i) {
    next[i] = (mask & (1U << i)) != 0 ? values[i] : get(static_cast<lead_field>(i));
    total += next[i].size();
  }
  const std::string_view custom = std::string_view(data_).substr(field_end_.back());
  std::string data;
  data.reserve(total + custom.size() + spare);
  for (std::size_t i = 0; i < kLeadFieldCount; ++i) {
    data.append(next[i]);
    field_end_[i] = static_cast<std::uint32_t>(data.size());
  }
  data.append(custom);
  data_ = std::move(data);
  present_ = static_cast<std::uint16_t>(present_ | mask);
}

state::state(std::int64_t id_start)
    : id_start_(id_start), next_id_(id_start), lead_pos_(id_start), member_pos_(id_start) {
  // Seeded categories of §4 (ids documented, sentiments assumed).
  categories_ = {{1, "Interested", "positive", 0},
                 {2, "Meeting Request", "positive", 0},
                 {3, "Not Interested", "negative", 0},
                 {4, "Do Not Contact", "negative", 0},
                 {5, "Information Request", "neutral", 0}};
}

std::int64_t state::allocate_id() { return next_id_++; }

void state::reserve_id(std::int64_t id) {
  if (id >= id_start_ && id >= next_id_) next_id_ = id + 1;
}

account& state::add_account(account a) {
  accounts_.push_back(std::move(a));
  for (const auto& key : accounts_.back().api_keys) key_index_[key] = accounts_.size() - 1;
  return accounts_.back();
}

const account* state::account_by_key(std::string_view key) const {
  auto it = key_index_.find(key);
  return it == key_index_.end() ? nullptr : &accounts_[it->second];
}

account* state::find_account(std::int64_t id) {
  for (auto& a : accounts_) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

campaign* state::add_campaign(campaign c) {
  if (c.id == 0) c.id = allocate_id();
  if (campaign_pos_.contains(c.id)) return nullptr;
  reserve_id(c.id);
  campaign_pos_[c.id] = campaigns_.size();
  campaigns_.push_back(std::move(c));
  return &campaigns_.back();
}

campaign* state::find_campaign(std::int64_t id) {
  auto it = campaign_pos_.find(id);
  return it == campaign_pos_.end() ? nullptr : &campaigns_[it->second];
}
const campaign* state::find_campaign(std::int64_t id) const {
  auto it = campaign_pos_.find(id);
  return it == campaign_pos_.end() ? nullptr : &campaigns_[it->second];
}

lead* state::add_lead(lead l) {
  const std::string key = email_key(l.email);
  return add_lead(std::move(l), key);
}

lead* state::add_lead(lead l, std::string_view key) {
  if (l.id == 0) l.id = allocate_id();
  if (lead_pos_.contains(l.id)) return nullptr;
  if (!lead_index_[l.account_id].insert(key, leads_.size())) return nullptr;
  reserve_id(l.id);
  lead_pos_.set(l.id, leads_.size());
  return &leads_.push_back(std::move(l));
}

lead* state::find_lead(std::int64_t id) {
  const auto pos = lead_pos_.find(id);
  return pos ? &leads_[*pos] : nullptr;
}
const lead* state::find_lead(std::int64_t id) const {
  const auto pos = lead_pos_.find(id);
  return pos ? &leads_[*pos] : nullptr;
}

const lead* state::find_lead_by_key(std::int64_t account_id, std::string_view key) const {
  auto idx = lead_index_.find(account_id);
  if (idx == lead_index_.end()) return nullptr;
  const auto pos = idx->second.find(key);
  return pos ? &leads_[*pos] : nullptr;
}
lead* state::find_lead_by_key(std::int64_t account_id, std::string_view key) {
  return const_cast<lead*>(std::as_const(*this).find_lead_by_key(account_id, key));
}

bool state::change_email(lead& l, std::string_view new_email) {
  const std::string old_key = email_key(l.email);
  const std::string new_key = email_key(new_email);
  auto& index = lead_index_[l.account_id];
  if (new_key != old_key) {
    const auto pos = index.find(old_key);
    if (!pos || !index.insert(new_key, *pos)) return false;
    index.erase(old_key);
  }
  l.email.assign(contract_trim(new_email));
  return true;
}

membership& state::attach(campaign& c, lead& l, std::int64_t now_ms, std::int64_t map_id) {
  membership m;
  m.map_id = map_id == 0 ? allocate_id() : map_id;
  reserve_id(m.map_id);
  m.campaign_id = c.id;
  m.lead_id = l.id;
  m.created_at_ms = now_ms;
  const std::size_t pos = members_.size();
  member_pos_.set(m.map_id, pos);
  membership& stored = members_.push_back(std::move(m));
  c.members.push_back(pos);
  ++c.live_members;
  l.memberships.emplace_back(c.id, pos);
  return stored;
}

membership* state::find_membership(const campaign& c, std::int64_t lead_id) {
  return const_cast<membership*>(std::as_const(*this).find_membership(c, lead_id));
}

const membership* state::find_membership(const campaign& c, std::int64_t lead_id) const {
  const lead* l = find_lead(lead_id);
  if (l == nullptr) return nullptr;
  for (const auto& [campaign_id, pos] : l->memberships) {
    if (campaign_id == c.id) return &members_[pos];
  }
  return nullptr;
}

membership* state::find_membership_by_map_id(std::int64_t map_id) {
  const auto pos = member_pos_.find(map_id);
  if (!pos || members_[*pos].removed) return nullptr;
  return &members_[*pos];
}

void state::detach(campaign& c, membership& m) {
  m.removed = true;
  --c.live_members;
  if (lead* l = find_lead(m.lead_id)) {
    auto& list = l->memberships;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const auto& entry) { return entry.first == c.id; }),
               list.end());
  }
}

block_entry& state::add_block(std::int64_t account_id, std::string_view value,
                              std::optional<std::int64_t> client_id, std::string_view source,
                              std::int64_t now_ms, std::int64_t id) {
  const std::string key = email_key(value);
  auto& bucket = block_index_[key];
  for (const std::size_t pos : bucket) {
    block_entry& e = blocks_[pos];
    if (!e.removed && e.account_id == account_id && e.client_id == client_id) return e;
  }
  block_entry e;
  e.id = id == 0 ? allocate_id() : id;
  reserve_id(e.id);
  e.account_id = account_id;
  e.value = key;
  e.client_id = client_id;
  e.source.assign(source);
  e.created_at_ms = now_ms;
  bucket.push_back(blocks_.size());
  block_pos_[e.id] = blocks_.size();
  blocks_.push_back(std::move(e));
  return blocks_.back();
}

block_entry* state::find_block(std::int64_t id) {
  auto it = block_pos_.find(id);
  if (it == block_pos_.end() || blocks_[it->second].removed) return nullptr;
  return &blocks_[it->second];
}

void state::remove_block(block_entry& e) { e.removed = true; }

bool state::is_blocked(std::int64_t account_id, std::optional<std::int64_t> client_id,
                       std::string_view key) const {
  if (block_index_.empty()) return false;
  const auto matches = [&](std::string_view value) {
    auto it = block_index_.find(value);
    if (it == block_index_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [&](std::size_t pos) {
      const block_entry& e = blocks_[pos];
      return !e.removed && e.account_id == account_id && e.client_id == client_id;
    });
  };
  return matches(key) || matches(email_domain(key));
}

const category* state::find_category(std::int64_t id) const {
  for (const auto& c : categories_) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

void state::add_category(category c) {
  auto it = std::find_if(categories_.begin(), categories_.end(),
                         [&](const category& x) { return x.id == c.id; });
  if (it != categories_.end()) {
    *it = std::move(c);
  } else {
    categories_.push_back(std::move(c));
  }
  std::sort(categories_.begin(), categories_.end(),
            [](const category& a, const category& b) { return a.id < b.id; });
}

void state::stamp_categories(std::int64_t now_ms) {
  for (auto& c : categories_) c.created_at_ms = now_ms;
}

void state::add_bounce(std::string_view address) { bounces_.insert(email_key(address)); }

}  // namespace leadpipe::sim
