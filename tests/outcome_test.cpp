#include "leadpipe/outcome.hpp"

#include <set>

#include <doctest/doctest.h>

using namespace leadpipe;

TEST_CASE("outcome names are unique and round-trip") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < outcome_count; ++i) {
    const auto o = static_cast<outcome>(i);
    CHECK(names.insert(name(o)).second);
    CHECK(outcome_from_name(name(o)) == o);
  }
  CHECK(name(outcome::duplicate_in_file) == "duplicate_in_file");
  CHECK(name(outcome::not_imported_lead_credit) == "not_imported_lead_credit");
  CHECK_FALSE(outcome_from_name("nope").has_value());
}

TEST_CASE("outcome_counts adds up") {
  outcome_counts c;
  c.add(outcome::accepted, 3);
  c.add(outcome::blocked);
  CHECK(c[outcome::accepted] == 3);
  CHECK(c.total() == 4);
}
