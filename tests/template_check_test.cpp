#include "leadpipe/template_check.hpp"

#include <doctest/doctest.h>

using namespace leadpipe;

TEST_CASE("variables are found in order of first use, with fallbacks and spaces") {
  const auto v = parse_template(
      "Hi {{first_name}}, {{ Company }} {{first_name}} {{City|there}} {{ }} {{a{{b}} {{open");
  REQUIRE(v.size() == 4);
  CHECK(v[0].name == "first_name");
  CHECK(v[0].uses == 2);
  CHECK(v[1].name == "Company");
  CHECK(v[2].name == "City");
  CHECK(v[2].has_fallback);
  CHECK(v[3].name == "b");
  CHECK(parse_template("no variables here").empty());
}

TEST_CASE("variables resolve to lead fields, exact custom fields, or missing with a near miss") {
  mapping_options o;
  std::string msg;
  auto m = map_columns({"Email", "First Name", "company", "Tier"}, o, &msg).value();
  auto first = resolve_variable(m, "first_name");
  CHECK(first.from == variable_source::kind::lead_field);
  CHECK(first.column == 1);
  auto tier = resolve_variable(m, "Tier");
  CHECK(tier.from == variable_source::kind::custom_field);
  CHECK(tier.column == 3);
  auto wrong_case = resolve_variable(m, "tier");
  CHECK(wrong_case.from == variable_source::kind::missing);
  CHECK(wrong_case.near_miss == "Tier");
  auto unmapped_field = resolve_variable(m, "last_name");
  CHECK(unmapped_field.from == variable_source::kind::missing);
  CHECK(resolve_variable(m, "nothing").near_miss.empty());
  // Spelt another way: a mapped lead field's variable, or a custom column.
  auto camel = resolve_variable(m, "firstName");
  CHECK(camel.from == variable_source::kind::missing);
  CHECK(camel.near_miss == "first_name");
  auto spaced = resolve_variable(m, "Company Name");  // "company" maps to company_name
  CHECK(spaced.near_miss == "company_name");
  CHECK(resolve_variable(m, "t_i_e_r").near_miss == "Tier");
  // A campaign export's custom_fields column: any other name may be one of its members.
  auto exported = map_columns({"email", "Tier", "custom_fields"}, o, &msg).value();
  CHECK(resolve_variable(exported, "Tier").from == variable_source::kind::custom_field);
  auto member = resolve_variable(exported, "role");
  CHECK(member.from == variable_source::kind::json_member);
  CHECK(member.column == 2);
}

TEST_CASE("a variable named after a column that went to a lead field points at that field") {
  mapping_options o;
  std::string msg;
  auto m = map_columns({"Email", "City", "Tier", "Notes"}, o, &msg).value();
  for (const char* v : {"City", "city", "CITY"}) {
    CAPTURE(v);
    auto city = resolve_variable(m, v);
    CHECK(city.from == variable_source::kind::missing);
    CHECK(city.near_miss == "location");
    CHECK(city.hint == "the column 'City' is imported as the lead field location");
  }
  CHECK(resolve_variable(m, "Email").near_miss == "email");
  CHECK(resolve_variable(m, "tier").hint == "SmartLead matches custom fields case-sensitively");
  // A column left out of the custom fields is named, with no field to suggest.
  o.only_custom = {"Tier"};
  auto narrow = map_columns({"Email", "City", "Tier", "Notes"}, o, &msg).value();
  auto notes = resolve_variable(narrow, "Notes");
  CHECK(notes.from == variable_source::kind::missing);
  CHECK(notes.near_miss.empty());
  CHECK(notes.hint.starts_with("the column 'Notes' is not imported"));
  CHECK(resolve_variable(narrow, "nothing").hint.empty());
}

TEST_CASE("text meant as a variable that is none is named with its line") {
  const std::string text = "Hi {{first_name,\n{{}} and {{ |x}} ok {{company_name}}\n{{a}} }}\n";
  CHECK(template_syntax_problems(text) ==
        std::vector<std::string>{"line 1: '{{first_name,' has no closing }}",
                                 "line 2: '{{}}' names no variable",
                                 "line 2: '{{ |x}}' names no variable"});
  CHECK(template_syntax_problems("Hi {{first_name|there}},\n{{ Title }}").empty());
  CHECK(template_syntax_problems("").empty());
  // The innermost opening is the variable, as parse_template reads it.
  CHECK(template_syntax_problems("{{a{{b}}").empty());
}
