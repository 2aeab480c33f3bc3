#include "leadpipe/batch.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

using namespace leadpipe;

namespace {
lead_view make_lead(std::string_view first, std::vector<custom_value> custom = {}) {
  lead_view v;
  v.field[static_cast<std::size_t>(lead_field::first_name)] = first;
  v.custom = std::move(custom);
  return v;
}
}  // namespace

TEST_CASE("a lead serialises to the contract's shape with escaping") {
  std::string out;
  append_lead_json(out, "Ana@acme.io",
                   make_lead("An\"a", {{"Tier", "A"}, {"note", "line1\nline2"}}));
  CHECK(out ==
        R"({"email":"Ana@acme.io","first_name":"An\"a","custom_fields":{"Tier":"A","note":"line1\nline2"}})");
}

TEST_CASE("bodies parse as JSON and carry explicit settings") {
  batch_builder b({});
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(b.add(static_cast<std::uint64_t>(i + 2), "x" + std::to_string(i) + "@acme.io", make_lead("X")));
  }
  batch full = b.finish();
  REQUIRE(full.size() == 3);
  CHECK(full.id == 1);
  import_settings s;
  s.ignore_duplicate_leads_in_other_campaign = true;
  const std::string body = full.body(s);
  simdjson::dom::parser p;
  simdjson::dom::element doc = p.parse(body);
  CHECK(doc["lead_list"].get_array().size() == 3);
  CHECK(std::string_view(doc["lead_list"].at(1)["email"]) == "x1@acme.io");
  CHECK(bool(doc["settings"]["ignore_duplicate_leads_in_other_campaign"]) == true);
  CHECK(bool(doc["settings"]["ignore_global_block_list"]) == false);
  CHECK(bool(doc["settings"]["return_lead_ids"]) == true);
  const std::size_t pick[] = {2, 0};
  simdjson::dom::element part = p.parse(full.body(s, pick));
  CHECK(std::string_view(part["lead_list"].at(0)["email"]) == "x2@acme.io");
  batch sub = full.subset(pick);
  CHECK(sub.size() == 2);
  CHECK(sub.leads[1].line == 2);
  CHECK(sub.body(s) == full.body(s, pick));
}

TEST_CASE("batches close at the lead cap") {
  batch_builder b({});
  int ready = 0;
  for (int i = 0; i < 1000; ++i) {
    if (b.add(static_cast<std::uint64_t>(i), "a@b.io", make_lead("A"))) {
      batch t = b.take();
      CHECK(t.size() == max_batch_leads);
      ++ready;
    }
  }
  CHECK(ready == 2);
  batch rest = b.finish();
  CHECK(rest.size() == 200);
  CHECK(rest.id == 3);
  CHECK(b.finish().size() == 0);
}

TEST_CASE("batches close before the byte cap and an oversized lead travels alone") {
  batch_options o;
  o.max_body_bytes = 2000;
  batch_builder b(o);
  const std::string big(300, 'n');
  std::vector<batch> out;
  for (int i = 0; i < 20; ++i) {
    if (b.add(static_cast<std::uint64_t>(i), "a@b.io", make_lead(big))) out.push_back(b.take());
  }
  out.push_back(b.finish());
  std::size_t total = 0;
  import_settings s;
  for (const auto& bt : out) {
    CHECK(bt.body(s).size() <= o.max_body_bytes);
    total += bt.size();
  }
  CHECK(total == 20);
  batch_builder tiny({400, 100});
  CHECK_FALSE(tiny.add(1, "a@b.io", make_lead(big)));
  CHECK(tiny.add(2, "c@d.io", make_lead(big)));  // closes the first, oversized, batch
  CHECK(tiny.take().size() == 1);
}

TEST_CASE("shrink_to lowers the cap for later batches") {
  batch_builder b({});
  b.shrink_to(50);
  int n = 0;
  while (!b.add(static_cast<std::uint64_t>(n), "a@b.io", make_lead("A"))) ++n;
  CHECK(b.take().size() == 50);
}
