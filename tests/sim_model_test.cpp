// The simulator's state module: storage, indexes, lead fields, memberships, block matching.
#include "sim/model.hpp"

#include <doctest/doctest.h>

#include "sim/clock.hpp"

using namespace leadpipe::sim;

namespace {

lead make_lead(std::int64_t account, std::string email) {
  lead l;
  l.account_id = account;
  l.email = std::move(email);
  return l;
}

state two_campaigns() {
  state st;
  account a;
  a.id = 1;
  a.api_keys = {"k1", "k1b"};
  a.clients = {{7, "Client", ""}};
  st.add_account(a);
  campaign c1;
  c1.id = 1;
  c1.account_id = 1;
  st.add_campaign(c1);
  campaign c2;
  c2.id = 2;
  c2.account_id = 1;
  c2.client_id = 7;
  st.add_campaign(c2);
  return st;
}

}  // namespace

TEST_CASE("chunked_vector keeps addresses stable and copies deeply") {
  chunked_vector<int, 4> v;
  int* first = &v.push_back(10);
  for (int i = 1; i < 10; ++i) v.push_back(10 + i);
  CHECK(first == &v[0]);
  CHECK(v.size() == 10);
  CHECK(v[9] == 19);
  chunked_vector<int, 4> copy = v;
  copy[0] = 99;
  CHECK(v[0] == 10);
  int sum = 0;
  for (int x : copy) sum += x;
  CHECK(sum == 99 + 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19);
  CHECK(*v.rbegin() == 19);
}

TEST_CASE("key_index: insert, find, erase, independent copies") {
  key_index idx;
  CHECK(idx.insert("ana@example.org", 3));
  CHECK_FALSE(idx.insert("ana@example.org", 4));
  CHECK(idx.find("ana@example.org") == 3U);
  CHECK_FALSE(idx.find("bo@example.org"));
  key_index copy = idx;
  idx.erase("ana@example.org");
  CHECK_FALSE(idx.find("ana@example.org"));
  CHECK(copy.find("ana@example.org") == 3U);
  const std::string big(70'000, 'k');  // larger than an arena block
  CHECK(copy.insert(big, 5));
  CHECK(copy.find(big) == 5U);
  for (std::size_t i = 0; i < 5000; ++i) CHECK(copy.insert("k" + std::to_string(i), i));
  CHECK(copy.find("k4999") == 4999U);
  CHECK(copy.find(big) == 5U);
}

TEST_CASE("id_directory: dense ids from the base, sparse ids elsewhere") {
  id_directory d(3'000'000'001);
  d.set(3'000'000'001, 0);
  d.set(3'000'000'500, 1);
  d.set(42, 2);                  // below the base (fixture id)
  d.set(9'000'000'000'000, 3);   // far above
  CHECK(d.find(3'000'000'001) == 0U);
  CHECK(d.find(3'000'000'500) == 1U);
  CHECK(d.find(42) == 2U);
  CHECK(d.find(9'000'000'000'000) == 3U);
  CHECK_FALSE(d.find(3'000'000'002));
  CHECK_FALSE(d.contains(43));
}

TEST_CASE("lead fields: standard fields and custom fields share one buffer") {
  lead l;
  CHECK_FALSE(l.has(lead_field::first_name));
  l.set(lead_field::last_name, "Silva");
  l.set_custom("role", "CFO");
  l.set_custom("tier", "A");
  l.set(lead_field::first_name, "Ana");
  CHECK(l.get(lead_field::first_name) == "Ana");
  CHECK(l.get(lead_field::last_name) == "Silva");
  CHECK_FALSE(l.has(lead_field::website));
  l.set_custom("role", "CEO");       // replaced in place
  l.set_custom("tier", std::nullopt);  // removed
  l.set_custom("new", "x");
  std::string seen;
  l.for_each_custom([&](std::string_view k, std::string_view v) {
    seen += std::string(k) + "=" + std::string(v) + ";";
  });
  CHECK(seen == "role=CEO;new=x;");
  std::array<std::string_view, kLeadFieldCount> values{};
  values[static_cast<std::size_t>(lead_field::website)] = "example.org";
  values[static_cast<std::size_t>(lead_field::first_name)] = "Ann";
  l.set_fields(values, (1U << static_cast<unsigned>(lead_field::website)) |
                           (1U << static_cast<unsigned>(lead_field::first_name)));
  CHECK(l.get(lead_field::first_name) == "Ann");
  CHECK(l.get(lead_field::last_name) == "Silva");
  CHECK(l.get(lead_field::website) == "example.org");
  seen.clear();
  l.for_each_custom([&](std::string_view k, std::string_view) { seen += std::string(k); });
  CHECK(seen == "rolenew");
}

TEST_CASE("ids start above 3e9 and skip ids already used") {
  state st;
  CHECK(st.allocate_id() == 3'000'000'001);
  st.reserve_id(3'000'000'010);
  CHECK(st.allocate_id() == 3'000'000'011);
  st.reserve_id(5);  // below the range: no effect
  CHECK(st.allocate_id() == 3'000'000'012);
}

TEST_CASE("leads are found by id and by normalised address, per account") {
  state st = two_campaigns();
  account other;
  other.id = 2;
  other.api_keys = {"k2"};
  st.add_account(other);
  lead* a = st.add_lead(make_lead(1, "Ana@Example.org"));
  REQUIRE(a != nullptr);
  CHECK(a->id > 3'000'000'000);
  CHECK(st.add_lead(make_lead(1, "ana@example.ORG")) == nullptr);  // same address, same account
  CHECK(st.add_lead(make_lead(2, "ana@example.org")) != nullptr);  // other account
  CHECK(st.find_lead_by_key(1, "ana@example.org") == a);
  CHECK(st.find_lead(a->id) == a);
  CHECK(st.account_by_key("k1b")->id == 1);
  CHECK(st.account_by_key("nope") == nullptr);
  lead* b = st.add_lead(make_lead(1, "bo@example.org"));
  CHECK_FALSE(st.change_email(*b, "ANA@example.org"));
  CHECK(st.change_email(*b, "Bob@Example.org"));
  CHECK(st.find_lead_by_key(1, "bob@example.org") == b);
  CHECK(st.find_lead_by_key(1, "bo@example.org") == nullptr);
  CHECK(b->email == "Bob@Example.org");
}

TEST_CASE("memberships: attach, find, detach keeps the lead") {
  state st = two_campaigns();
  lead* l = st.add_lead(make_lead(1, "ana@example.org"));
  campaign* c1 = st.find_campaign(1);
  membership& m = st.attach(*c1, *l, 1000);
  CHECK(m.status == member_status::started);
  CHECK(m.map_id > 3'000'000'000);
  CHECK(st.find_membership(*c1, l->id) == &m);
  CHECK(st.find_membership_by_map_id(m.map_id) == &m);
  CHECK(st.find_membership(*st.find_campaign(2), l->id) == nullptr);
  CHECK(c1->live_members == 1);
  st.detach(*c1, m);
  CHECK(st.find_membership(*c1, l->id) == nullptr);
  CHECK(st.find_membership_by_map_id(m.map_id) == nullptr);
  CHECK(c1->live_members == 0);
  CHECK(st.find_lead(l->id) == l);
  CHECK(l->memberships.empty());
}

TEST_CASE("block matching: exact address, exact domain, same client id") {
  state st = two_campaigns();
  st.add_block(1, " Rival.Example ", std::nullopt, "manual", 0);
  st.add_block(1, "ceo@other.example", std::nullopt, "manual", 0);
  st.add_block(1, "client.example", 7, "manual", 0);
  CHECK(st.is_blocked(1, std::nullopt, "x@rival.example"));
  CHECK_FALSE(st.is_blocked(1, std::nullopt, "x@sub.rival.example"));  // no sub-domains
  CHECK(st.is_blocked(1, std::nullopt, "ceo@other.example"));
  CHECK_FALSE(st.is_blocked(1, std::nullopt, "cfo@other.example"));
  CHECK_FALSE(st.is_blocked(1, 7, "x@rival.example"));   // entry client null != 7
  CHECK(st.is_blocked(1, 7, "x@client.example"));
  CHECK_FALSE(st.is_blocked(1, std::nullopt, "x@client.example"));
  CHECK_FALSE(st.is_blocked(2, std::nullopt, "x@rival.example"));  // other account
  block_entry& again = st.add_block(1, "rival.example", std::nullopt, "manual", 5);
  CHECK(again.created_at_ms == 0);  // re-adding is a no-op
  st.remove_block(again);
  CHECK_FALSE(st.is_blocked(1, std::nullopt, "x@rival.example"));
}

TEST_CASE("a copied state is independent (what /_sim/reset relies on)") {
  state st = two_campaigns();
  lead* l = st.add_lead(make_lead(1, "ana@example.org"));
  st.attach(*st.find_campaign(1), *l, 0);
  state copy = st;
  lead* l2 = st.add_lead(make_lead(1, "bo@example.org"));
  st.attach(*st.find_campaign(1), *l2, 0);
  CHECK(copy.leads().size() == 1);
  CHECK(copy.find_lead_by_key(1, "bo@example.org") == nullptr);
  CHECK(copy.find_lead_by_key(1, "ana@example.org") != nullptr);
  CHECK(copy.find_campaign(1)->live_members == 1);
}

TEST_CASE("status words and ISO-8601 time stamps") {
  CHECK(parse_campaign_status("ACTIVE") == campaign_status::active);
  CHECK_FALSE(parse_campaign_status("active"));
  CHECK(to_string(member_status::inprogress) == "INPROGRESS");
  CHECK(format_iso8601(1'767'605'400'000) == "2026-01-05T09:30:00.000Z");
  CHECK(format_iso8601(1'767'605'400'123) == "2026-01-05T09:30:00.123Z");
  CHECK(parse_iso8601("2026-01-05T09:30:00.123Z") == 1'767'605'400'123);
  CHECK(parse_iso8601("2026-01-05T09:30:00Z") == 1'767'605'400'000);
  CHECK(parse_iso8601("2026-01-05") == 1'767'571'200'000);
  CHECK(parse_iso8601("1999-12-31T23:59:59.999Z") == 946'684'799'999);
  CHECK_FALSE(parse_iso8601("2026-13-01"));
  CHECK_FALSE(parse_iso8601("yesterday"));
  CHECK_FALSE(parse_iso8601("2026-01-05T09:30:00.Z"));
}
