#include "leadpipe/mapping.hpp"

#include <doctest/doctest.h>

using namespace leadpipe;

namespace {
column_mapping must_map(const std::vector<std::string>& header, const mapping_options& o = {}) {
  std::string msg;
  auto r = map_columns(header, o, &msg);
  INFO(msg);
  REQUIRE(r.has_value());
  return *r;
}
std::string mapped(const column_mapping& m, lead_field f) {
  return m.column(f) == column_mapping::none ? std::string("-") : m.header[m.column(f)];
}
}  // namespace

TEST_CASE("apollo-style export headers are auto-detected") {
  auto m = must_map({"First Name", "Last Name", "Title", "Company Name", "Email", "Email Status",
                     "Mobile Phone", "Person Linkedin Url", "Website", "City", "State",
                     "Country", "Company Linkedin Url"});
  CHECK(mapped(m, lead_field::email) == "Email");
  CHECK(mapped(m, lead_field::first_name) == "First Name");
  CHECK(mapped(m, lead_field::last_name) == "Last Name");
  CHECK(mapped(m, lead_field::company_name) == "Company Name");
  CHECK(mapped(m, lead_field::phone_number) == "Mobile Phone");
  CHECK(mapped(m, lead_field::linkedin_profile) == "Person Linkedin Url");
  CHECK(mapped(m, lead_field::website) == "Website");
  CHECK(mapped(m, lead_field::location) == "City");
  CHECK(mapped(m, lead_field::company_url) == "-");
  std::vector<std::string> custom;
  for (auto c : m.custom_columns) custom.push_back(m.header[c]);
  CHECK(custom == std::vector<std::string>{"Title", "Email Status", "State", "Country",
                                           "Company Linkedin Url"});
  // Apollo's name cleaned for emails wins over its legal name.
  auto cleaned = must_map({"Email", "Company", "Company Name for Emails"});
  CHECK(mapped(cleaned, lead_field::company_name) == "Company Name for Emails");
}

TEST_CASE("contact-app and localised exports are auto-detected") {
  // Google Contacts.
  auto g = must_map({"Name", "Given Name", "Family Name", "E-mail 1 - Type", "E-mail 1 - Value",
                     "Phone 1 - Value", "Organization 1 - Name"});
  CHECK(mapped(g, lead_field::email) == "E-mail 1 - Value");
  CHECK(mapped(g, lead_field::first_name) == "Given Name");
  CHECK(mapped(g, lead_field::last_name) == "Family Name");
  CHECK(mapped(g, lead_field::phone_number) == "Phone 1 - Value");
  CHECK(mapped(g, lead_field::company_name) == "Organization 1 - Name");
  // Salesforce lead reports and HubSpot contact exports.
  CHECK(mapped(must_map({"Email", "Company / Account"}), lead_field::company_name) ==
        "Company / Account");
  CHECK(mapped(must_map({"Email", "Associated Company"}), lead_field::company_name) ==
        "Associated Company");
  // A German CRM export.
  auto de = must_map({"Vorname", "Nachname", "E-Mail-Adresse", "Firma", "Telefon", "Webseite",
                      "Ort", "Position"});
  CHECK(mapped(de, lead_field::email) == "E-Mail-Adresse");
  CHECK(mapped(de, lead_field::first_name) == "Vorname");
  CHECK(mapped(de, lead_field::last_name) == "Nachname");
  CHECK(mapped(de, lead_field::company_name) == "Firma");
  CHECK(mapped(de, lead_field::phone_number) == "Telefon");
  CHECK(mapped(de, lead_field::website) == "Webseite");
  CHECK(mapped(de, lead_field::location) == "Ort");
  // French and Spanish.
  auto fr = must_map({"Prénom", "Nom de famille", "Courriel", "Société", "Ville"});
  CHECK(mapped(fr, lead_field::email) == "Courriel");
  CHECK(mapped(fr, lead_field::first_name) == "Prénom");
  CHECK(mapped(fr, lead_field::last_name) == "Nom de famille");
  CHECK(mapped(fr, lead_field::company_name) == "Société");
  CHECK(mapped(fr, lead_field::location) == "Ville");
  auto es = must_map({"Nombre", "Apellidos", "Correo electrónico", "Empresa", "Ciudad"});
  CHECK(mapped(es, lead_field::email) == "Correo electrónico");
  CHECK(mapped(es, lead_field::last_name) == "Apellidos");
  // "Nombre" beside "Apellidos" is the first name, "Nom" beside "Prénom" the last name; alone
  // either may hold the whole name.
  CHECK(mapped(es, lead_field::first_name) == "Nombre");
  CHECK(mapped(must_map({"Nombre", "Correo"}), lead_field::first_name) == "-");
  CHECK(mapped(must_map({"Prénom", "Nom", "Courriel"}), lead_field::last_name) == "Nom");
  CHECK(mapped(must_map({"Nom", "Courriel"}), lead_field::last_name) == "-");
  // An English name still wins over a numbered or localised one.
  CHECK(mapped(must_map({"Email 1", "Email"}), lead_field::email) == "Email");
  // Outlook's French and Spanish contact exports, Outlook's English business fields, Pipedrive.
  CHECK(mapped(must_map({"Prénom", "Nom", "Adresse de messagerie"}), lead_field::email) ==
        "Adresse de messagerie");
  CHECK(mapped(must_map({"Nombre", "Dirección de correo electrónico"}), lead_field::email) ==
        "Dirección de correo electrónico");
  auto ol = must_map({"First Name", "E-mail Address", "Web Page", "Business City"});
  CHECK(mapped(ol, lead_field::website) == "Web Page");
  CHECK(mapped(ol, lead_field::location) == "Business City");
  auto pd = must_map(
      {"Person - Name", "Person - Email - Work", "Person - Phone - Work", "Organization - Name"});
  CHECK(mapped(pd, lead_field::email) == "Person - Email - Work");
  CHECK(mapped(pd, lead_field::phone_number) == "Person - Phone - Work");
  CHECK(mapped(pd, lead_field::company_name) == "Organization - Name");
}

TEST_CASE("synonyms ignore case, spaces, underscores and dashes") {
  auto m = must_map({"E-mail Address", "GIVEN_NAME", "surname", "Organization",
                     "company-website", "mobile phone"});
  CHECK(mapped(m, lead_field::email) == "E-mail Address");
  CHECK(mapped(m, lead_field::first_name) == "GIVEN_NAME");
  CHECK(mapped(m, lead_field::last_name) == "surname");
  CHECK(mapped(m, lead_field::company_name) == "Organization");
  CHECK(mapped(m, lead_field::website) == "company-website");
  CHECK(mapped(m, lead_field::phone_number) == "mobile phone");
  CHECK(must_map({"Work Email"}).column(lead_field::email) == 0);
  CHECK(must_map({"x", "email_address"}).column(lead_field::email) == 1);
}

TEST_CASE("the better synonym wins over the leftmost column") {
  auto m = must_map({"Personal Email", "Email", "Phone", "Mobile Phone"});
  CHECK(mapped(m, lead_field::email) == "Email");
  CHECK(mapped(m, lead_field::phone_number) == "Phone");
  std::vector<std::string> custom;
  for (auto c : m.custom_columns) custom.push_back(m.header[c]);
  CHECK(custom == std::vector<std::string>{"Personal Email", "Mobile Phone"});
}

TEST_CASE("--map overrides, and an empty override unmaps a field") {
  mapping_options o;
  o.overrides = {{lead_field::email, "Contact"}, {lead_field::location, ""}};
  auto m = must_map({"Email", "Contact", "City"}, o);
  CHECK(mapped(m, lead_field::email) == "Contact");
  CHECK(mapped(m, lead_field::location) == "-");
  CHECK(m.custom_columns.size() == 2);  // Email and City become custom fields
  o.overrides = {{lead_field::email, "contact"}};  // case-insensitive fallback
  CHECK(mapped(must_map({"Contact"}, o), lead_field::email) == "Contact");
}

TEST_CASE("mapping errors name the problem") {
  std::string msg;
  CHECK_FALSE(map_columns({"Name", "Company"}, {}, &msg).has_value());
  CHECK(msg.find("no email column") != std::string::npos);
  CHECK_FALSE(map_columns({"Email", "Note", "Note"}, {}, &msg).has_value());
  CHECK(msg.find("duplicate header name 'Note'") != std::string::npos);
  mapping_options o;
  o.overrides = {{lead_field::first_name, "Nope"}};
  CHECK_FALSE(map_columns({"Email"}, o, &msg).has_value());
  CHECK(msg.find("--map first_name=Nope") != std::string::npos);
  mapping_options c;
  c.only_custom = {"Missing"};
  CHECK_FALSE(map_columns({"Email"}, c, &msg).has_value());
  CHECK(msg.find("--custom-field Missing") != std::string::npos);
}

TEST_CASE("custom field selection") {
  mapping_options none;
  none.no_custom_fields = true;
  auto m = must_map({"Email", "Title", "Tier"}, none);
  CHECK(m.custom_columns.empty());
  CHECK(m.ignored_columns.size() == 2);
  mapping_options only;
  only.only_custom = {"Tier"};
  auto m2 = must_map({"Email", "Title", "Tier"}, only);
  REQUIRE(m2.custom_columns.size() == 1);
  CHECK(m2.header[m2.custom_columns[0]] == "Tier");
  // A column that went to a lead field is not a custom field too: the warning says so.
  mapping_options city;
  city.only_custom = {"City", "Tier"};
  auto m3 = must_map({"Email", "City", "Tier"}, city);
  REQUIRE(m3.custom_columns.size() == 1);
  REQUIRE(m3.warnings.size() == 1);
  CHECK(m3.warnings[0].find("--custom-field City: that column is imported as the lead field "
                            "location") != std::string::npos);
}

TEST_CASE("header names lose the blanks around them; case and inner spaces stay") {
  // "Email, First Name, Title " as a hand-edited file writes it.
  auto m = must_map({"Email", " First Name", "\tJob Title ", " tier"});
  CHECK(m.header == std::vector<std::string>{"Email", "First Name", "Job Title", "tier"});
  CHECK(mapped(m, lead_field::first_name) == "First Name");
  REQUIRE(m.custom_columns.size() == 2);
  CHECK(m.header[m.custom_columns[0]] == "Job Title");
  mapping_options only;
  only.only_custom = {"Job Title"};
  CHECK(must_map({"Email", " Job Title "}, only).custom_columns.size() == 1);
  std::string msg;
  CHECK_FALSE(map_columns({"Email", "Title", " Title"}, {}, &msg).has_value());
  CHECK(msg == "duplicate header name 'Title' in columns 2 and 3");
}

// The API's limit of 200 custom fields is per lead, on its non-empty cells: every column is
// kept, and a lead keeps its first 200 filled ones (a sparse 300-column export loses nothing).
TEST_CASE("blank header names are ignored; the custom field cap is per lead") {
  std::vector<std::string> header{"Email", ""};
  for (int i = 0; i < 205; ++i) header.push_back("c" + std::to_string(i));
  auto m = must_map(header);
  CHECK(m.custom_columns.size() == 205);
  CHECK(m.ignored_columns.size() == 1);
  CHECK(m.warnings.size() == 1);
  lead_mapper mapper(m);
  lead_view v;
  std::vector<std::string_view> sparse(header.size());
  sparse[0] = "a@x.io";
  sparse[200] = "x";
  sparse[206] = "y";  // columns past the 200th are kept while the lead has room
  mapper.map(sparse, v);
  REQUIRE(v.custom.size() == 2);
  CHECK(v.custom[1].key == "c204");
  CHECK(v.custom_dropped == 0);
  std::vector<std::string_view> full(header.size(), "v");
  full[1] = {};
  mapper.map(full, v);
  CHECK(v.custom.size() == max_custom_fields);
  CHECK(v.custom.back().key == "c199");
  CHECK(v.custom_dropped == 5);
}

TEST_CASE("a column named exactly like a lead field that another column fills is ignored") {
  auto m = must_map({"Email", "email", "First Name", "first_name", "Notes"});
  CHECK(mapped(m, lead_field::email) == "Email");
  CHECK(mapped(m, lead_field::first_name) == "First Name");
  REQUIRE(m.custom_columns.size() == 1);
  CHECK(m.header[m.custom_columns[0]] == "Notes");
  CHECK(m.ignored_columns.size() == 2);
  REQUIRE(m.warnings.size() == 2);
  CHECK(m.warnings[0] ==
        "column 2 'email' is named like the lead field email, which column 1 "
        "'Email' fills: ignored (--map email=email takes this one instead)");
  // Unmapped on purpose: the column is then an ordinary custom field.
  mapping_options o;
  o.overrides.emplace_back(lead_field::first_name, "");
  auto u = must_map({"Email", "first_name"}, o);
  REQUIRE(u.custom_columns.size() == 1);
}

TEST_CASE("lead_mapper keeps the email raw, trims and repairs others, drops empty customs") {
  auto m = must_map({"Email", "First Name", "Title", "Notes"});
  lead_mapper mapper(m);
  lead_view v;
  std::vector<std::string_view> row{"  Ana@X.io ", " Ana ", "", "caf\xE9"};
  mapper.map(row, v);
  CHECK(v.get(lead_field::email) == "  Ana@X.io ");
  CHECK(v.get(lead_field::first_name) == "Ana");
  CHECK(v.repaired_encoding);
  REQUIRE(v.custom.size() == 1);
  CHECK(v.custom[0].key == "Notes");
  CHECK(v.custom[0].value == "caf\xEF\xBF\xBD");
  std::vector<std::string_view> short_row{"b@y.io"};
  mapper.map(short_row, v);
  CHECK(v.get(lead_field::first_name).empty());
  CHECK(v.custom.empty());
  CHECK_FALSE(v.repaired_encoding);
}

TEST_CASE(
    "a campaign export: custom_fields' JSON members are the custom fields; bookkeeping is left") {
  auto m =
      must_map({"campaign_lead_map_id", "lead_id", "email", "first_name", "status",
                "lead_category_id", "is_unsubscribed", "created_at", "Title", "custom_fields"});
  CHECK(m.json_custom_column == 9);
  CHECK(m.custom_columns == std::vector<std::uint32_t>{8, 9});
  CHECK(m.ignored_columns == std::vector<std::uint32_t>{0, 1, 4, 5, 6, 7});
  REQUIRE(m.warnings.size() == 1);
  CHECK(m.warnings[0].starts_with("this is a campaign's lead export: 'campaign_lead_map_id'"));
  CHECK(m.describe().find("custom_fields (its JSON object's members)") != std::string::npos);
  // Without the export's own column, "status" and "id" are ordinary custom fields.
  auto plain = must_map({"Email", "status", "id", "custom_fields"});
  CHECK(plain.custom_columns == std::vector<std::uint32_t>{1, 2, 3});
  CHECK(plain.json_custom_column == 3);
  // --custom-field keeps what it names.
  mapping_options keep;
  keep.only_custom = {"status", "custom_fields"};
  auto kept = must_map({"campaign_lead_map_id", "email", "status", "custom_fields"}, keep);
  CHECK(kept.custom_columns == std::vector<std::uint32_t>{2, 3});

  lead_mapper mapper(m);
  lead_view v;
  const std::string json =
      R"({"role":"CFO","n":3,"ok":true,"none":null,"blank":" ","o":{"a":[1,2]},"Title":"x",)"
      R"("role":"again","q":"say \"hi\", caf\u00e9","":"nameless"})";
  std::vector<std::string_view> row{"1", "2",     "a@x.io", "Ann", "STARTED",
                                    "",  "false", "t",      "CEO", json};
  mapper.map(row, v);
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& c : v.custom) got.emplace_back(std::string(c.key), std::string(c.value));
  const std::vector<std::pair<std::string, std::string>> want = {
      {"Title", "CEO"}, {"role", "CFO"},         {"n", "3"},
      {"ok", "true"},   {"o", R"({"a":[1,2]})"}, {"q", "say \"hi\", caf\xC3\xA9"}};
  CHECK(got == want);
  CHECK(v.custom[1].from_json);
  CHECK_FALSE(v.custom[0].from_json);
  CHECK_FALSE(v.custom_json_bad);
  // Not an object: the text, as one custom field named like the column.
  for (const std::string_view bad : {"not json", "[1,2]", "\"text\"", "{\"a\":"}) {
    CAPTURE(bad);
    row[9] = bad;
    mapper.map(row, v);
    REQUIRE(v.custom.size() == 2);
    CHECK(v.custom[1].key == "custom_fields");
    CHECK(v.custom[1].value == bad);
    CHECK(v.custom_json_bad);
  }
  // Empty objects and cells give nothing; the cap counts members too.
  row[9] = "{}";
  mapper.map(row, v);
  CHECK(v.custom.size() == 1);
  CHECK_FALSE(v.custom_json_bad);
  std::string many = "{";
  for (int i = 0; i < 205; ++i) many += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":\"v\"";
  many += "}";
  row[9] = many;
  mapper.map(row, v);
  CHECK(v.custom.size() == max_custom_fields);
  CHECK(v.custom_dropped == 6);
  // Invalid UTF-8 in the cell is repaired first, then read.
  row[9] = "{\"a\":\"caf\xE9\"}";
  mapper.map(row, v);
  REQUIRE(v.custom.size() == 2);
  CHECK(v.custom[1].value == "caf\xEF\xBF\xBD");
  CHECK(v.repaired_encoding);
}

// A NUL byte in a lead field would reach the API's JSON as \u0000, which the database behind
// it refuses for the whole batch; it is repaired like a byte that is not UTF-8.
TEST_CASE("lead_mapper replaces NUL bytes in fields other than the email") {
  using namespace std::string_view_literals;
  auto m = must_map({"Email", "First Name", "Notes"});
  lead_mapper mapper(m);
  lead_view v;
  std::vector<std::string_view> row{"a@x.io", "An\0n"sv, "\0"sv};
  mapper.map(row, v);
  CHECK(v.get(lead_field::first_name) == "An\xEF\xBF\xBDn");
  REQUIRE(v.custom.size() == 1);
  CHECK(v.custom[0].value == "\xEF\xBF\xBD");
  CHECK(v.repaired_encoding);
}

TEST_CASE("lead_mapper with fields known to be valid UTF-8 maps them the same") {
  auto m = must_map({"Email", "First Name", "Notes"});
  lead_mapper mapper(m);
  lead_view checked;
  lead_view trusted;
  std::vector<std::string_view> row{"a@x.io", " Zo\xC3\xAB ", "\tcaf\xC3\xA9 "};
  mapper.map(row, checked);
  const std::string first(checked.get(lead_field::first_name));
  const std::string notes(checked.custom.at(0).value);
  mapper.map(row, trusted, true);
  CHECK(trusted.get(lead_field::first_name) == first);
  CHECK(first == "Zo\xC3\xAB");
  REQUIRE(trusted.custom.size() == 1);
  CHECK(trusted.custom[0].value == notes);
  CHECK_FALSE(trusted.repaired_encoding);
}

// Seamless.AI writes a validated "Email 1" and a "Personal Email"; Close nests its contact's
// address; vendors name LinkedIn and phone columns their own way. When several columns hold
// addresses, the one read is named with the way to read another.
TEST_CASE("vendor exports: the work address over a personal one, and the choice is named") {
  auto seamless = must_map({"First Name", "Personal Email", "Email 1", "Contact LI Profile URL",
                            "Contact Mobile Phone", "Company"});
  CHECK(mapped(seamless, lead_field::email) == "Email 1");
  CHECK(mapped(seamless, lead_field::linkedin_profile) == "Contact LI Profile URL");
  CHECK(mapped(seamless, lead_field::phone_number) == "Contact Mobile Phone");
  REQUIRE(seamless.warnings.size() == 1);
  CHECK(seamless.warnings[0] ==
        "the email is read from 'Email 1'; 'Personal Email' also holds addresses (kept as "
        "custom fields): --map email=HEADER reads another");
  CHECK(mapped(must_map({"lead_name", "primary_contact_primary_email"}), lead_field::email) ==
        "primary_contact_primary_email");
  CHECK(mapped(must_map({"Email", "LinkedIn Contact Profile URL"}), lead_field::linkedin_profile) ==
        "LinkedIn Contact Profile URL");
  CHECK(mapped(must_map({"Person - Name", "Person - Email - Work", "Person - Organization"}),
               lead_field::company_name) == "Person - Organization");
  auto google = must_map({"E-mail 1 - Value", "Address 1 - City", "Website 1 - Value"});
  CHECK(mapped(google, lead_field::location) == "Address 1 - City");
  CHECK(mapped(google, lead_field::website) == "Website 1 - Value");
  // One address column: nothing to say.
  CHECK(must_map({"Email", "First Name"}).warnings.empty());
  // LinkedIn's Connections export: its "URL" is the person's profile; elsewhere a website.
  auto li = must_map(
      {"First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"});
  CHECK(mapped(li, lead_field::linkedin_profile) == "URL");
  CHECK(li.column(lead_field::website) == column_mapping::none);
  CHECK(mapped(must_map({"Email", "URL"}), lead_field::website) == "URL");
  // Outlook's Location is a meeting-room note beside its Business City.
  CHECK(mapped(must_map({"E-mail Address", "Location", "Business City"}), lead_field::location) ==
        "Business City");
  // Apollo's phones carry a spreadsheet's apostrophe; a whole-name column alone is named.
  CHECK(phone_value("'+1 415 555 0100") == "+1 415 555 0100");
  CHECK(phone_value("'0612") == "0612");
  CHECK(phone_value("'n/a") == "'n/a");
  CHECK(phone_value("'") == "'");
  // Apollo's other phone columns, custom fields, lose it too; a note does not.
  auto apollo = must_map({"Email", "Mobile Phone", "Work Direct Phone", "Corporate Phone", "Notes",
                          "Fax"});
  lead_mapper ph(apollo);
  lead_view pv;
  std::vector<std::string_view> prow{"a@x.io", "'+33 1", "'+1 415-555-0101", "'(415) 555", "'+1 note",
                                     "'+1 2"};
  ph.map(prow, pv);
  CHECK(pv.get(lead_field::phone_number) == "+33 1");
  REQUIRE(pv.custom.size() == 4);
  CHECK(pv.custom[0].value == "+1 415-555-0101");
  CHECK(pv.custom[1].value == "(415) 555");
  CHECK(pv.custom[2].value == "'+1 note");
  CHECK(pv.custom[3].value == "+1 2");
  // HubSpot's own labels.
  auto hs = must_map({"Email", "Mobile Phone Number", "Company Domain Name"});
  CHECK(mapped(hs, lead_field::phone_number) == "Mobile Phone Number");
  CHECK(mapped(hs, lead_field::website) == "Company Domain Name");
  // Secondary address columns are named in the warning about the address read.
  auto sec = must_map({"Email", "Secondary Email", "E-mail 2 - Value", "Other Email"});
  REQUIRE(sec.warnings.size() == 1);
  CHECK(sec.warnings[0].find("'Secondary Email', 'E-mail 2 - Value', 'Other Email' also hold") !=
        std::string::npos);
  auto close = must_map({"name", "primary_contact_primary_email"});
  REQUIRE(close.warnings.size() == 1);
  CHECK(close.warnings[0].starts_with("no first or last name column, only 'name'"));
  CHECK(close.warnings[0].find("{{first_name}} stays empty") != std::string::npos);
  // An opt-out column is named: leadpipe does not filter on it.
  auto sf = must_map({"Email", "Email Opt Out"});
  REQUIRE(sf.warnings.size() == 1);
  CHECK(sf.warnings[0].starts_with("column 'Email Opt Out' looks like an opt-out flag"));
}

TEST_CASE("describe lists the mapping") {
  auto m = must_map({"Email", "Title"});
  CHECK(m.describe().find("email            <- Email") != std::string::npos);
  CHECK(m.describe().find("custom_fields    <- Title") != std::string::npos);
}
