#pragma once
// The simulator's state (contract §4): accounts, clients, campaigns, leads, memberships, block
// list, categories, the community bounce set and id allocation. Pure data plus indexes; the HTTP
// layer and the import classifier read and change it. No locking inside: the owner serialises.

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/chunked.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

namespace leadpipe::sim {

/// First id handed out when nothing else is said (contract §1: ids above 3e9 catch 32-bit bugs).
inline constexpr std::int64_t kDefaultIdStart = 3'000'000'001;

enum class campaign_status : std::uint8_t { drafted, active, paused, stopped, completed, archived };
enum class member_status : std::uint8_t { started, inprogress, completed, paused, stopped, blocked };

[[nodiscard]] std::string_view to_string(campaign_status s) noexcept;
[[nodiscard]] std::string_view to_string(member_status s) noexcept;
/// Upper-case contract words ("ACTIVE", "STARTED"); nothing for anything else.
[[nodiscard]] std::optional<campaign_status> parse_campaign_status(std::string_view s) noexcept;
[[nodiscard]] std::optional<member_status> parse_member_status(std::string_view s) noexcept;

/// The standard lead fields of §4, in the order the API lists them.
enum class lead_field : std::uint8_t {
  first_name, last_name, phone_number, company_name, website, location, linkedin_profile,
  company_url
};
inline constexpr std::size_t kLeadFieldCount = 8;
inline constexpr std::array<std::string_view, kLeadFieldCount> kLeadFieldNames = {
    "first_name", "last_name", "phone_number", "company_name",
    "website", "location", "linkedin_profile", "company_url"};
/// The field called `name`, or nothing.
[[nodiscard]] std::optional<lead_field> parse_lead_field(std::string_view name) noexcept;

/// Transparent XXH3 hashing so string-keyed indexes can be probed with a string_view.
struct string_hash {
  using is_transparent = void;
  using is_avalanching = void;  ///< XXH3 mixes well: the table need not mix again
  [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept;
};
using string_set = boost::unordered_flat_set<std::string, string_hash, std::equal_to<>>;

/// An id -> position map: a dense array for ids handed out from `base` upwards (the common
/// case: no hashing, 4 bytes per id), a hash map for any other id. Not thread-safe.
class id_directory {
 public:
  explicit id_directory(std::int64_t base = kDefaultIdStart) : base_(base) {}
  void set(std::int64_t id, std::size_t pos);
  [[nodiscard]] std::optional<std::size_t> find(std::int64_t id) const;
  [[nodiscard]] bool contains(std::int64_t id) const { return find(id).has_value(); }

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFU;
  std::int64_t base_;
  std::vector<std::uint32_t> dense_;
  boost::unordered_flat_map<std::int64_t, std::size_t> sparse_;
};

/// A string -> position index whose keys live in an append-only arena (no heap block per key).
/// Copies rebuild the arena, so a copy never points into the original. Not thread-safe.
class key_index {
 public:
  key_index() = default;
  key_index(const key_index& other);
  key_index& operator=(const key_index& other);
  key_index(key_index&&) noexcept = default;
  key_index& operator=(key_index&&) noexcept = default;
  ~key_index() = default;

  /// Adds `key` -> `pos`; false (nothing changed) when `key` is present.
  bool insert(std::string_view key, std::size_t pos);
  /// The position stored for `key`, or nothing.
  [[nodiscard]] std::optional<std::size_t> find(std::string_view key) const;
  /// Removes `key` (its arena bytes stay until the index is copied or destroyed).
  void erase(std::string_view key);
  [[nodiscard]] bool contains(std::string_view key) const { return map_.contains(key); }

 private:
  std::string_view store(std::string_view key);
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t used_ = 0;  ///< bytes used in the last block
  // Keys carry their hash so that growing the table never reads the arena again.
  struct stored_key {
    std::string_view text;
    std::size_t hash = 0;
  };
  struct stored_key_hash {
    using is_transparent = void;
    using is_avalanching = void;
    std::size_t operator()(const stored_key& k) const noexcept { return k.hash; }
    std::size_t operator()(std::string_view s) const noexcept { return string_hash{}(s); }
  };
  struct stored_key_eq {
    using is_transparent = void;
    static std::string_view text(const stored_key& k) noexcept { return k.text; }
    static std::string_view text(std::string_view s) noexcept { return s; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const noexcept {
      return text(a) == text(b);
    }
  };
  boost::unordered_flat_map<stored_key, std::size_t, stored_key_hash, stored_key_eq> map_;
};

struct client {
  std::int64_t id = 0;
  std::string name;
  std::string email;
};

struct account {
  std::int64_t id = 0;
  std::vector<std::string> api_keys;
  std::optional<std::int64_t> lead_credit_remaining;  ///< nothing = unlimited
  std::vector<client> clients;
  [[nodiscard]] bool has_client(std::int64_t client_id) const noexcept;
};

/// One lead record. Standard and custom fields share one buffer, so a new lead costs two heap
/// blocks (address and fields) whatever its field count: the simulator holds millions.
struct lead {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string email;  ///< trimmed original spelling at creation
  std::string unsubscribed_client_id_map;  ///< raw JSON object; empty means null
  std::int64_t created_at_ms = 0;
  /// Live memberships as (campaign id, position in state::memberships()), oldest first. Kept on
  /// the lead because a lead is in few campaigns while a campaign may hold millions of leads.
  boost::container::small_vector<std::pair<std::int64_t, std::size_t>, 1> memberships;
  bool is_unsubscribed = false;

  [[nodiscard]] bool has(lead_field f) const noexcept;
  /// The field's text (empty when null).
  [[nodiscard]] std::string_view get(lead_field f) const noexcept;
  void set(lead_field f, std::string_view v);
  /// Overwrites, in one pass, every field whose bit (1 << field) is set in `mask`.
  /// `spare` bytes are reserved on top for custom fields set next.
  void set_fields(const std::array<std::string_view, kLeadFieldCount>& values, std::uint16_t mask,
                  std::size_t spare = 0);

  /// Sets custom field `key` (replacing its value, keeping its place) or, with `value` absent,
  /// removes it.
  void set_custom(std::string_view key, std::optional<std::string_view> value);
  /// Calls fn(key, value) for each custom field in insertion order.
  template <typename Fn>
  void for_each_custom(Fn&& fn) const {
    std::size_t pos = field_end_.back();
    while (pos < data_.size()) {
      const std::string_view key = read(pos);
      const std::string_view value = read(pos);
      fn(key, value);
    }
  }

 private:
  std::string_view read(std::size_t& pos) const;
  /// Standard fields concatenated in field order, then custom entries, each a 4-byte key
  /// length, the key, a 4-byte value length and the value.
  std::string data_;
  std::array<std::uint32_t, kLeadFieldCount> field_end_{};
  std::uint16_t present_ = 0;
};

struct history_item {
  std::string raw_json;  ///< the seeded object as given
  bool is_sent = false;
  std::int64_t time_ms = 0;
};

/// Activity only a fixture can give a membership (the simulator sends no email). Immutable once
/// built, so copies of the state share it.
struct member_seed {
  std::vector<history_item> history;
  std::vector<std::string> email_statuses;  ///< emailStatus flags (is_bounced, ...)
};

struct membership {
  std::int64_t map_id = 0;
  std::int64_t campaign_id = 0;
  std::int64_t lead_id = 0;
  std::optional<std::int64_t> category_id;
  std::int64_t created_at_ms = 0;
  std::shared_ptr<const member_seed> seed;  ///< null for memberships made by the API
  member_status status = member_status::started;
  bool unsubscribed = false;
  bool removed = false;
};

struct campaign_tag {
  std::int64_t id = 0;
  std::string name;
  std::string color;
};

struct campaign {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string name;
  campaign_status status = campaign_status::drafted;
  std::optional<std::int64_t> client_id;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  /// Passive settings of §6.11 as (name, raw JSON value), defaults first, fixture overrides.
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<campaign_tag> tags;
  /// Indexes into state::memberships() in ascending map id; removed ones stay (flagged).
  std::vector<std::size_t> members;
  std::size_t live_members = 0;
};

struct block_entry {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string value;  ///< lower-case address or domain
  std::optional<std::int64_t> client_id;
  std::string source = "manual";
  std::int64_t created_at_ms = 0;
  bool removed = false;
};

struct category {
  std::int64_t id = 0;
  std::string name;
  std::string sentiment;
  std::int64_t created_at_ms = 0;
};

/// All simulator data. Copyable (the simulator keeps the start-up copy for /_sim/reset).
/// References returned stay valid until the state is destroyed (deque storage), except as noted.
/// Not thread-safe.
class state {
 public:
  explicit state(std::int64_t id_start = kDefaultIdStart);

  /// Next unused id (leads, memberships, block entries, campaigns created by the API).
  [[nodiscard]] std::int64_t allocate_id();
  /// Makes later allocate_id() calls return ids above `id` when it lies in their range.
  void reserve_id(std::int64_t id);
  [[nodiscard]] std::int64_t id_start() const noexcept { return id_start_; }

  account& add_account(account a);
  [[nodiscard]] const account* account_by_key(std::string_view key) const;
  [[nodiscard]] account* find_account(std::int64_t id);
  [[nodiscard]] const std::deque<account>& accounts() const noexcept { return accounts_; }

  /// Adds a campaign; id 0 allocates one. Fails (returns nullptr) on a duplicate id.
  campaign* add_campaign(campaign c);
  [[nodiscard]] campaign* find_campaign(std::int64_t id);
  [[nodiscard]] const campaign* find_campaign(std::int64_t id) const;
  [[nodiscard]] const std::deque<campaign>& campaigns() const noexcept { return campaigns_; }

  /// Adds a lead; id 0 allocates one. Returns nullptr when the id or the account's normalised
  /// address is taken. The second form takes the index key (email_key of the address) as known.
  lead* add_lead(lead l);
  lead* add_lead(lead l, std::string_view key);
  [[nodiscard]] lead* find_lead(std::int64_t id);
  [[nodiscard]] const lead* find_lead(std::int64_t id) const;
  /// Lookup by the ASCII-lower-cased trimmed address.
  [[nodiscard]] const lead* find_lead_by_key(std::int64_t account_id, std::string_view key) const;
  [[nodiscard]] lead* find_lead_by_key(std::int64_t account_id, std::string_view key);
  /// Changes a lead's address and its index entry; false when another lead owns the new one.
  bool change_email(lead& l, std::string_view new_email);
  [[nodiscard]] const chunked_vector<lead>& leads() const noexcept { return leads_; }

  /// Creates a live membership of `l` in `c`; map_id 0 allocates one.
  membership& attach(campaign& c, lead& l, std::int64_t now_ms, std::int64_t map_id = 0);
  /// The live membership of lead `lead_id` in `c`, or nullptr.
  [[nodiscard]] membership* find_membership(const campaign& c, std::int64_t lead_id);
  [[nodiscard]] const membership* find_membership(const campaign& c, std::int64_t lead_id) const;
  [[nodiscard]] membership* find_membership_by_map_id(std::int64_t map_id);
  /// Removes a membership (the lead record survives).
  void detach(campaign& c, membership& m);
  [[nodiscard]] const chunked_vector<membership>& memberships() const noexcept { return members_; }

  /// Adds a block entry unless the same (account, value, client) is present; returns it either way.
  block_entry& add_block(std::int64_t account_id, std::string_view value,
                         std::optional<std::int64_t> client_id, std::string_view source,
                         std::int64_t now_ms, std::int64_t id = 0);
  [[nodiscard]] block_entry* find_block(std::int64_t id);
  void remove_block(block_entry& e);
  /// §6.10 matching: an address entry equal to `key`, or a domain entry equal to its domain,
  /// of the same account and the same client id (null equals null).
  [[nodiscard]] bool is_blocked(std::int64_t account_id, std::optional<std::int64_t> client_id,
                                std::string_view key) const;
  [[nodiscard]] const std::deque<block_entry>& block_list() const noexcept { return blocks_; }

  [[nodiscard]] const std::vector<category>& categories() const noexcept { return categories_; }
  [[nodiscard]] const category* find_category(std::int64_t id) const;
  void add_category(category c);
  /// Stamps every category's created_at (the seeded ones exist "since start-up").
  void stamp_categories(std::int64_t now_ms);

  /// The community bounce set, lower-case addresses.
  [[nodiscard]] const string_set& bounce_set() const noexcept { return bounces_; }
  void add_bounce(std::string_view address);
  void clear_bounces() { bounces_.clear(); }

 private:
  std::int64_t id_start_;
  std::int64_t next_id_;
  std::deque<account> accounts_;
  boost::unordered_flat_map<std::string, std::size_t, string_hash, std::equal_to<>> key_index_;
  std::deque<campaign> campaigns_;
  boost::unordered_flat_map<std::int64_t, std::size_t> campaign_pos_;
  chunked_vector<lead> leads_;
  id_directory lead_pos_;
  boost::unordered_flat_map<std::int64_t, key_index> lead_index_;
  chunked_vector<membership> members_;
  id_directory member_pos_;
  std::deque<block_entry> blocks_;
  boost::unordered_flat_map<std::int64_t, std::size_t> block_pos_;
  boost::unordered_flat_map<std::string, std::vector<std::size_t>, string_hash, std::equal_to<>>
      block_index_;
  std::vector<category> categories_;
  string_set bounces_;
};

/// The ASCII-lower-cased form of an address, the key of every address index.
[[nodiscard]] std::string email_key(std::string_view email);

}  // namespace leadpipe::sim
