#include "leadpipe/mapping.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/system/errc.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include "leadpipe/ascii.hpp"
#include "leadpipe/output_file.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe {
namespace {

constexpr std::array<std::string_view, lead_field_count> kFieldNames = {
    "email",        "first_name", "last_name",        "phone_number", "company_name",
    "website",      "location",   "linkedin_profile", "company_url",
};

// Header spellings seen in exports of the big lead databases and CRMs (Apollo, ZoomInfo,
// HubSpot, Salesforce, LinkedIn Sales Navigator, Lusha, Hunter...), normalised, best first.
// A column matches the field whose list holds its name; among several columns for one field the
// one with the earlier synonym wins, then the leftmost.
struct synonyms {
  lead_field field;
  std::vector<std::string_view> names;
};

const std::vector<synonyms>& synonym_table() {
  static const std::vector<synonyms> table = {
      {lead_field::email,
       {"email", "emailaddress", "workemail", "businessemail", "workemailaddress",
        "businessemailaddress", "emailid", "emailaddr", "primaryemail", "contactemail",
        "personemail", "corporateemail", "professionalemail", "directemail", "mail", "emails",
        // Contact apps (Google's "E-mail 1 - Value", Outlook's numbered addresses) and localised
        // exports (German, French, Spanish, Dutch, Italian).
        "email1", "emailaddress1", "email1value", "email1address", "emailadresse", "mailadresse",
        "emailadres", "courriel", "adresseemail", "adressecourriel", "correo", "correoelectrónico",
        "correoelectronico", "indirizzoemail",
        // Outlook's French and Spanish contact exports; Pipedrive's "Person - Email - Work".
        "adressedemessagerie", "direccióndecorreoelectrónico", "direcciondecorreoelectronico",
        "personemailwork", "personemailhome", "personemailother",
        // Close's lead export; then a personal address, only when nothing better is there
        // (Seamless.AI's "Personal Email" beside its validated "Email 1").
        "primarycontactprimaryemail", "personalemail", "email2", "emailaddress2"}},
      {lead_field::first_name,
       {"firstname", "givenname", "first", "fname", "forename", "contactfirstname",
        "personfirstname", "leadfirstname", "vorname", "prénom", "prenom", "voornaam"}},
      {lead_field::last_name,
       {"lastname", "surname", "familyname", "last", "lname", "contactlastname", "personlastname",
        "leadlastname", "nachname", "familienname", "nomdefamille", "apellido", "apellidos",
        "achternaam", "cognome"}},
      {lead_field::phone_number,
       {"phonenumber", "phone", "mobilephone", "mobile", "mobilenumber", "cellphone", "cell",
        "directphone", "directdial", "workphone", "workdirectphone", "corporatephone", "telephone",
        "tel", "phoneno", "contactphone", "personphone", "homephone", "otherphone", "companyphone",
        "businessphone", "phone1value", "telefon", "telefonnummer", "téléphone", "teléfono",
        "telefono", "mobiltelefon", "telefoonnummer", "personphonework", "personphonemobile",
        // Lusha, Seamless.AI and Close.
        "phone1", "contactphone1", "contactmobilephone", "primaryphone",
        "primarycontactprimaryphone",
        // HubSpot's own labels.
        "mobilephonenumber", "phonenumber1"}},
      {lead_field::company_name,
       // Apollo's "Company Name for Emails" is the name cleaned for use in emails ("Acme"
       // beside "Acme, Inc."): made for {{company_name}}.
       {"companynameforemails", "companyname", "company", "organization", "organisation",
        "organizationname", "organisationname", "accountname", "account", "employer", "business",
        "businessname",    "organization1name", "firma",        "firmenname",
        "unternehmen",       "entreprise",        "société",      "societe",
        "empresa",           "bedrijf",           "azienda",      "company/account",
        "associatedcompany", "personorganization"}},
      {lead_field::website,
       {"website", "companywebsite", "websiteurl", "web", "companydomain", "domain",
        "websitedomain", "homepage", "url", "companyweb", "webseite", "siteweb", "sitioweb",
        "webpage", "website1value", "companydomainname"}},
      {lead_field::location,
       {"businesscity",   "location",    "city",     "personcity",  "contactcity", "town",
        "personlocation", "companycity", "region",   "state",       "country",     "personcountry",
        "stadt",          "ort",         "ville",    "ciudad",      "città",       "citta",
        "plaats",         "mailingcity", "homecity", "address1city"}},
      {lead_field::linkedin_profile,
       {"linkedinprofile", "personlinkedinurl", "linkedinurl", "linkedin", "linkedinprofileurl",
        "linkedinlink", "contactlinkedinurl", "profileurl", "linkedinprofilelink",
        // ZoomInfo and Seamless.AI.
        "linkedincontactprofileurl", "contactliprofileurl", "liprofileurl"}},
      {lead_field::company_url,
       {"companyurl", "companylink", "companyhomepage", "organizationurl", "organisationurl",
        "accounturl"}},
  };
  return table;
}

boost::system::result<column_mapping> fail(std::string* message, std::string text) {
  if (message != nullptr) *message = std::move(text);
  return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
}

using ascii::trim_blanks;

// Finds the column whose header is `want`: exactly first, then ignoring ASCII case and
// surrounding blanks. Returns column_mapping::none when absent.
std::uint32_t find_header(const std::vector<std::string>& header, std::string_view want) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == want) return static_cast<std::uint32_t>(i);
  }
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (ascii::iequals(utf8::trim_space(header[i]), utf8::trim_space(want))) {
      return static_cast<std::uint32_t>(i);
    }
  }
  return column_mapping::none;
}

}  // namespace

std::string_view name(lead_field f) noexcept { return kFieldNames[static_cast<std::size_t>(f)]; }

std::optional<lead_field> lead_field_from_name(std::string_view n) noexcept {
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == n) return static_cast<lead_field>(i);
  }
  return std::nullopt;
}

std::string normalise_header(std::string_view h) {
  std::string out;
  out.reserve(h.size());
  for (std::size_t i = 0; i < h.size();) {
    const char c = h[i];
    if (static_cast<unsigned char>(c) >= 0x80U) {
      // A no-break or zero-width space pasted from a web page separates like a space.
      const std::size_t n = utf8::sequence_length(h, i);
      if (n == 0 || !utf8::is_space_like(utf8::decode(h, i, n))) {
        out.append(h.substr(i, n == 0 ? 1 : n));
      }
      i += n == 0 ? 1 : n;
      continue;
    }
    ++i;
    if (c == ' ' || c == '_' || c == '-' || c == '.' || c == '\t') continue;
    out.push_back(ascii::lower(c));
  }
  return out;
}

boost::system::result<column_mapping> map_columns(const std::vector<std::string>& raw_header,
                                                  const mapping_options& opts,
                                                  std::string* message) {
  column_mapping m;
  // Names are taken without the blanks around them (" Title " from "Email, Title "), no-break
  // and zero-width spaces included, so that custom-field keys match the template variables
  // written without them. Bytes that are not UTF-8 (a windows-1252 header read as UTF-8) are
  // replaced by U+FFFD, as in cells, and the warning says what to do.
  m.header.reserve(raw_header.size());
  std::size_t repaired = 0;
  for (const auto& h : raw_header) {
    if (utf8::is_valid(h)) {
      m.header.emplace_back(utf8::trim_space(h));
      continue;
    }
    std::string fixed;
    utf8::append_repaired(fixed, h);
    m.header.emplace_back(utf8::trim_space(fixed));
    ++repaired;
  }
  if (repaired != 0) {
    m.warnings.push_back(fmt::format(
        "{} header names held bytes that are not UTF-8 (replaced by U+FFFD); if the file was "
        "saved by a Windows spreadsheet, --encoding windows-1252 or --encoding auto reads it as "
        "such",
        repaired));
  }
  const std::vector<std::string>& header = m.header;
  m.field_column.fill(column_mapping::none);

  boost::unordered_flat_map<std::string_view, std::uint32_t> seen;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i].empty()) continue;
    auto [it, fresh] = seen.emplace(header[i], static_cast<std::uint32_t>(i));
    if (!fresh) {
      return fail(message, fmt::format("duplicate header name '{}' in columns {} and {}",
                                       header[i], it->second + 1, i + 1));
    }
  }

  std::vector<bool> taken(header.size(), false);
  std::array<bool, lead_field_count> fixed{};
  for (const auto& [field, want] : opts.overrides) {
    const auto fi = static_cast<std::size_t>(field);
    fixed[fi] = true;
    if (want.empty()) continue;
    const std::uint32_t col = find_header(header, want);
    if (col == column_mapping::none) {
      return fail(message, fmt::format("--map {}={}: no such column in the header", name(field),
                                       want));
    }
    if (taken[col]) {
      return fail(message, fmt::format("--map {}={}: that column is already mapped to another "
                                       "field", name(field), want));
    }
    m.field_column[fi] = col;
    taken[col] = true;
  }

  std::vector<std::string> normalised;
  normalised.reserve(header.size());
  for (const auto& h : header) normalised.push_back(normalise_header(h));
  m.phone_like.reserve(header.size());
  for (const auto& n : normalised) {
    m.phone_like.push_back(n.find("phone") != std::string::npos ||
                           n.find("mobile") != std::string::npos ||
                           n.find("fax") != std::string::npos || n.starts_with("tel") ||
                           n == "cell" || n == "cellular");
  }
  // LinkedIn's Connections export names each person's profile just "URL", beside "Connected
  // On"; anywhere else a bare URL is a website.
  if (const auto fi = static_cast<std::size_t>(lead_field::linkedin_profile); !fixed[fi]) {
    const auto url = std::find(normalised.begin(), normalised.end(), "url");
    if (url != normalised.end() && !taken[static_cast<std::size_t>(url - normalised.begin())] &&
        std::find(normalised.begin(), normalised.end(), "connectedon") != normalised.end()) {
      const auto col = static_cast<std::uint32_t>(url - normalised.begin());
      m.field_column[fi] = col;
      taken[col] = true;
    }
  }
  for (const auto& syn : synonym_table()) {
    const auto fi = static_cast<std::size_t>(syn.field);
    if (fixed[fi]) continue;
    for (std::string_view want : syn.names) {
      const std::string want_norm = normalise_header(want);
      auto hit = std::find_if(normalised.begin(), normalised.end(), [&](const std::string& n) {
        const auto col = static_cast<std::size_t>(&n - normalised.data());
        return !taken[col] && n == want_norm;
      });
      if (hit != normalised.end()) {
        const auto col = static_cast<std::uint32_t>(hit - normalised.begin());
        m.field_column[fi] = col;
        taken[col] = true;
        break;
      }
    }
  }
  // Spanish "Nombre" and French "Nom" are the first and the last name beside "Apellidos" and
  // "Prénom", but may hold the whole name alone.
  const auto paired = [&](lead_field field, lead_field partner, std::string_view want) {
    const auto fi = static_cast<std::size_t>(field);
    if (fixed[fi] || m.field_column[fi] != column_mapping::none ||
        m.column(partner) == column_mapping::none) {
      return;
    }
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (!taken[i] && normalised[i] == want) {
        m.field_column[fi] = static_cast<std::uint32_t>(i);
        taken[i] = true;
        return;
      }
    }
  };
  paired(lead_field::first_name, lead_field::last_name, "nombre");
  paired(lead_field::last_name, lead_field::first_name, "nom");
  // CRM exports carry their opt-out flags as columns (Salesforce's "Email Opt Out", HubSpot's
  // "Unsubscribed from all email"): leadpipe does not read them, and a row flagged there would
  // be imported all the same. Said once, naming the column.
  static constexpr std::array<std::string_view, 9> opt_outs = {
      "emailoptout",        "optout",        "donotemail",
      "hasoptedoutofemail", "emailoptedout", "unsubscribedfromallemail",
      "unsubscribed",       "donotcontact",  "optedout"};
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (std::find(opt_outs.begin(), opt_outs.end(), normalised[i]) == opt_outs.end()) continue;
    m.warnings.push_back(fmt::format(
        "column '{}' looks like an opt-out flag, which leadpipe does not read: rows marked "
        "there are imported like the others; filter them out first, or give their addresses "
        "with --unsubscribed",
        header[i]));
  }
  // Only a whole-name column (Close's "name", a scraper's "Full Name"): {{first_name}} would be
  // blank in every email. Said, with the way to use it anyway.
  if (m.column(lead_field::first_name) == column_mapping::none &&
      m.column(lead_field::last_name) == column_mapping::none &&
      !fixed[static_cast<std::size_t>(lead_field::first_name)]) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      const std::string& n = normalised[i];
      if (taken[i] || (n != "name" && n != "fullname" && n != "contactname" &&
                       n != "personname" && n != "leadname")) {
        continue;
      }
      m.warnings.push_back(fmt::format(
          "no first or last name column, only '{}', which holds whole names: it is kept as a "
          "custom field and {{{{first_name}}}} stays empty (--map first_name='{}' sends the "
          "whole name as the first name)",
          header[i], header[i]));
      break;
    }
  }
  if (const std::uint32_t used = m.column(lead_field::email);
      used != column_mapping::none && !fixed[static_cast<std::size_t>(lead_field::email)]) {
    // Exports with a work and a personal address, or numbered ones: the choice is a guess worth
    // naming, with the way to make another.
    const auto& names = synonym_table().front().names;
    // Further addresses of the same person, which no export means as the one to mail first.
    static constexpr std::array<std::string_view, 14> secondary = {
        "secondaryemail",   "tertiaryemail",  "otheremail",       "supplementalemail",
        "alternateemail",   "alternativeemail", "additionalemail", "email2value",
        "email2address",    "email3",         "email3value",      "email3address",
        "emailaddress3",    "secondemail"};
    const auto is_address_name = [&](const std::string& n) {
      return std::any_of(names.begin(), names.end(),
                         [&](std::string_view w) { return normalise_header(w) == n; }) ||
             std::find(secondary.begin(), secondary.end(), n) != secondary.end();
    };
    std::string others;
    for (std::size_t i = 0; i < header.size(); ++i) {
      // A column named exactly "email" beside the one used has a warning of its own below.
      if (taken[i] || header[i] == name(lead_field::email) || !is_address_name(normalised[i])) {
        continue;
      }
      others += fmt::format("{}'{}'", others.empty() ? "" : ", ", header[i]);
    }
    if (!others.empty()) {
      m.warnings.push_back(fmt::format(
          "the email is read from '{}'; {} also hold{} addresses (kept as custom fields): "
          "--map email=HEADER reads another",
          header[used], others, others.find(',') == std::string::npos ? "s" : ""));
    }
  }
  if (m.column(lead_field::email) == column_mapping::none) {
    // Every other byte NUL: UTF-16 text without a byte-order mark, read as UTF-8.
    const bool nul = std::any_of(header.begin(), header.end(), [](const std::string& h) {
      return h.find('\0') != std::string::npos;
    });
    std::string text =
        nul ? "no email column: the header holds NUL bytes, so the file looks like UTF-16 "
              "without a byte-order mark; try --encoding auto (or utf-16le, utf-16be)"
            : "no email column: the header has none of the usual names (Email, E-mail Address, "
              "Work Email, ...); name it with --map email=HEADER";
    if (opts.delimiter != 0) {
      // The header as it was split: a wrong delimiter ("Email;Company, Inc" read with commas)
      // is then plain to see.
      std::string columns;
      for (std::size_t i = 0; i < raw_header.size() && i < 30; ++i) {
        columns += fmt::format("{}'{}'", i == 0 ? "" : ", ", utf8::printable(raw_header[i], 40));
      }
      if (raw_header.size() > 30) columns += ", ...";
      text += fmt::format(
          " (the header line, split at '{}', gives {} columns: {}; --delimiter chooses another)",
          opts.delimiter == '\t' ? std::string("tab") : std::string(1, opts.delimiter),
          raw_header.size(), columns);
    }
    return fail(message, std::move(text));
  }

  std::vector<bool> wanted(header.size(), opts.only_custom.empty());
  for (const auto& want : opts.only_custom) {
    const std::uint32_t col = find_header(header, want);
    if (col == column_mapping::none) {
      return fail(message, fmt::format("--custom-field {}: no such column in the header", want));
    }
    wanted[col] = true;
    if (taken[col]) {
      // Kept only as its lead field: say so, or a {{City}} template stays blank unexplained.
      std::string_view field = "a lead field";
      for (std::size_t f = 0; f < lead_field_count; ++f) {
        if (m.field_column[f] == col) field = name(static_cast<lead_field>(f));
      }
      m.warnings.push_back(fmt::format(
          "--custom-field {}: that column is imported as the lead field {}, not as a custom "
          "field (--map {}= leaves the field unmapped, so the column becomes a custom field)",
          want, field, field));
    }
  }
  // A campaign's lead export (`leads export`, SmartLead's own) names the lead's place in that
  // campaign beside its fields: sent again, those would become custom fields of the new
  // campaign's leads, stale from the start. Left out unless asked for by --custom-field.
  static constexpr std::array<std::string_view, 17> bookkeeping = {
      "campaignleadmapid", "leadid", "status", "leadcategoryid", "isunsubscribed", "createdat",
      "id",
      // SmartLead's own export also has the lead's activity in that campaign.
      "category", "isinterested", "opencount", "clickcount", "replycount",
      "lastemailsequencesent", "unsubscribedclientidmap", "leadcategory", "emailstatus",
      "lastemailedat"};
  std::vector<bool> export_column(header.size(), false);
  if (std::find(normalised.begin(), normalised.end(), "campaignleadmapid") != normalised.end()) {
    m.guarded_cells = true;
    std::string left;
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (taken[i] || !opts.only_custom.empty() ||
          std::find(bookkeeping.begin(), bookkeeping.end(), normalised[i]) == bookkeeping.end()) {
        continue;
      }
      export_column[i] = true;
      if (normalised[i] == "isunsubscribed") m.unsubscribed_column = static_cast<std::uint32_t>(i);
      left += fmt::format("{}'{}'", left.empty() ? "" : ", ", header[i]);
    }
    if (!left.empty()) {
      m.warnings.push_back(fmt::format(
          "this is a campaign's lead export: {} describe the leads in that campaign and are not "
          "sent (--custom-field NAME keeps one)",
          left));
    }
  }
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (taken[i]) continue;
    const auto col = static_cast<std::uint32_t>(i);
    if (opts.no_custom_fields || !wanted[i] || export_column[i]) {
      m.ignored_columns.push_back(col);
    } else if (trim_blanks(header[i]).empty()) {
      m.ignored_columns.push_back(col);
      m.warnings.push_back(fmt::format("column {} has no header name: ignored", i + 1));
    } else if (const auto f = lead_field_from_name(header[i]);
               f && name(*f) == header[i] &&
               m.field_column[static_cast<std::size_t>(*f)] != column_mapping::none) {
      // "email" next to the "Email" that is mapped: a custom field named exactly like a lead
      // field would be shadowed by it ({{email}} is the lead field) and would repeat that name
      // in --out's header, which no CSV reader can then tell apart.
      m.ignored_columns.push_back(col);
      m.warnings.push_back(fmt::format(
          "column {} '{}' is named like the lead field {}, which column {} '{}' fills: ignored "
          "(--map {}={} takes this one instead)",
          i + 1, header[i], name(*f), m.field_column[static_cast<std::size_t>(*f)] + 1,
          header[m.field_column[static_cast<std::size_t>(*f)]], name(*f), header[i]));
    } else {
      // Every other column is a custom field; the API's limit of max_custom_fields is per lead,
      // on its non-empty cells, and lead_mapper::map() keeps to it.
      m.custom_columns.push_back(col);
      if (normalised[i] == "customfields" && m.json_custom_column == column_mapping::none) {
        m.json_custom_column = col;
      }
    }
  }
  return m;
}

std::string column_mapping::describe() const {
  std::string out;
  for (std::size_t f = 0; f < lead_field_count; ++f) {
    const std::uint32_t col = field_column[f];
    if (col == none) continue;
    out += fmt::format("  {:<16} <- {}\n", kFieldNames[f], header[col]);
  }
  if (!custom_columns.empty()) {
    out += "  custom_fields    <- ";
    for (std::size_t i = 0; i < custom_columns.size(); ++i) {
      if (i != 0) out += ", ";
      out += header[custom_columns[i]];
      if (custom_columns[i] == json_custom_column) out += " (its JSON object's members)";
    }
    out += "\n";
  }
  if (!ignored_columns.empty()) {
    out += "  ignored          :  ";
    for (std::size_t i = 0; i < ignored_columns.size(); ++i) {
      if (i != 0) out += ", ";
      out += header[ignored_columns[i]].empty() ? fmt::format("(column {})", ignored_columns[i] + 1)
                                                : header[ignored_columns[i]];
    }
    out += "\n";
  }
  return out;
}

lead_mapper::lead_mapper(column_mapping m) : mapping_(std::move(m)) {
  scratch_.resize(lead_field_count + mapping_.custom_columns.size());
}

// Kept small so it inlines into map(); the rare repair is a call of its own.
inline std::string_view lead_mapper::clean(std::string_view v, bool clean_text, bool& repaired) {
  v = trim_blanks(v);
  if (clean_text || utf8::is_text(v)) return v;
  return repair(v, repaired);
}

std::string_view lead_mapper::repair(std::string_view v, bool& repaired) {
  std::string& buf = scratch();
  utf8::append_text(buf, v);
  repaired = true;
  return buf;
}

// A cleared string of the scratch buffer, valid until the next map().
std::string& lead_mapper::scratch() {
  if (scratch_used_ == scratch_.size()) scratch_.emplace_back();
  std::string& buf = scratch_[scratch_used_++];
  buf.clear();
  return buf;
}

// The members of a custom_fields cell (a JSON object) as custom fields; false when the text is
// no JSON object. Names and values are copied to the scratch buffer: the parser is the thread's.
bool lead_mapper::unpack_json(std::string_view text, lead_view& out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(text.data(), text.size()).get(object) != simdjson::SUCCESS) return false;
  const std::size_t first = out.custom.size();
  for (const auto field : object) {
    const std::string_view key = field.key;
    if (trim_blanks(key).empty()) continue;
    std::string_view value;
    switch (field.value.type()) {
      case simdjson::dom::element_type::NULL_VALUE:
        continue;
      case simdjson::dom::element_type::STRING:
        value = trim_blanks(field.value.get_string().value_unsafe());
        break;
      default: {
        std::string& buf = scratch();
        buf = simdjson::minify(field.value);
        value = buf;
      }
    }
    if (value.empty()) continue;
    const auto same_key = [&](const custom_value& c) { return c.key == key; };
    const auto col_named = [&](std::uint32_t col) { return mapping_.header[col] == key; };
    if (std::any_of(out.custom.begin() + static_cast<std::ptrdiff_t>(first), out.custom.end(),
                    same_key) ||
        std::any_of(mapping_.custom_columns.begin(), mapping_.custom_columns.end(), col_named)) {
      continue;
    }
    if (out.custom.size() == max_custom_fields) {
      ++out.custom_dropped;
      continue;
    }
    std::string& k = scratch();
    k.assign(key);
    std::string& v = scratch();
    v.assign(value);
    out.custom.push_back({k, v, true});
  }
  return true;
}

void lead_mapper::map(std::span<const std::string_view> fields, lead_view& out, bool clean_text) {
  scratch_used_ = 0;
  out.repaired_encoding = false;
  out.custom.clear();
  const bool guarded = mapping_.guarded_cells;
  const auto cell = [&](std::uint32_t col) -> std::string_view {
    if (col >= fields.size()) return {};
    return guarded ? unguard_cell(fields[col]) : fields[col];
  };
  for (std::size_t f = 0; f < lead_field_count; ++f) {
    const std::uint32_t col = mapping_.field_column[f];
    if (col == column_mapping::none) {
      out.field[f] = {};
    } else if (f == static_cast<std::size_t>(lead_field::email)) {
      out.field[f] = cell(col);
    } else {
      out.field[f] = field_value(static_cast<lead_field>(f),
                                 clean(cell(col), clean_text, out.repaired_encoding));
    }
  }
  out.custom_dropped = 0;
  out.custom_json_bad = false;
  for (std::uint32_t col : mapping_.custom_columns) {
    std::string_view v = clean(cell(col), clean_text, out.repaired_encoding);
    if (v.empty()) continue;
    if (col == mapping_.json_custom_column) [[unlikely]] {
      if (unpack_json(v, out)) continue;
      out.custom_json_bad = true;
    }
    if (col < mapping_.phone_like.size() && mapping_.phone_like[col]) v = phone_value(v);
    if (out.custom.size() == max_custom_fields) {
      ++out.custom_dropped;  // the API takes max_custom_fields per lead: the first ones are kept
      continue;
    }
    out.custom.push_back({mapping_.header[col], v});
  }
}

}  // namespace leadpipe
