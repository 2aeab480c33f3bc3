#include "leadgen_data.hpp"

#include <array>
#include <charconv>

namespace leadpipe::leadgen {
namespace {

using sv = std::string_view;

// Slugs never contain digits: the generated local parts end in the row number, and that is what
// keeps every generated address distinct (see leadgen_row.cpp).
constexpr std::array<name_entry, 48> ascii_first{{
    {"James", "james"},     {"Mary", "mary"},
    {"Robert", "robert"},   {"Patricia", "patricia"},
    {"John", "john"},       {"Jennifer", "jennifer"},
    {"Michael", "michael"}, {"Linda", "linda"},
    {"David", "david"},     {"Elizabeth", "elizabeth"},
    {"William", "william"}, {"Barbara", "barbara"},
    {"Richard", "richard"}, {"Susan", "susan"},
    {"Joseph", "joseph"},   {"Jessica", "jessica"},
    {"Thomas", "thomas"},   {"Sarah", "sarah"},
    {"Daniel", "daniel"},   {"Karen", "karen"},
    {"Matthew", "matthew"}, {"Nancy", "nancy"},
    {"Anthony", "anthony"}, {"Lisa", "lisa"},
    {"Mark", "mark"},       {"Betty", "betty"},
    {"Steven", "steven"},   {"Sandra", "sandra"},
    {"Andrew", "andrew"},   {"Ashley", "ashley"},
    {"Kevin", "kevin"},     {"Emily", "emily"},
    {"Brian", "brian"},     {"Michelle", "michelle"},
    {"George", "george"},   {"Amanda", "amanda"},
    {"Ana", "ana"},         {"Priya", "priya"},
    {"Wei", "wei"},         {"Fatima", "fatima"},
    {"Lukas", "lukas"},     {"Sofia", "sofia"},
    {"Mateo", "mateo"},     {"Aisha", "aisha"},
    {"Kenji", "kenji"},     {"Olga", "olga"},
    {"Diego", "diego"},     {"Ingrid", "ingrid"},
}};

constexpr std::array<name_entry, 48> ascii_last{{
    {"Smith", "smith"},
    {"Johnson", "johnson"},
    {"Williams", "williams"},
    {"Brown", "brown"},
    {"Jones", "jones"},
    {"Miller", "miller"},
    {"Davis", "davis"},
    {"Wilson", "wilson"},
    {"Anderson", "anderson"},
    {"Taylor", "taylor"},
    {"Thomas", "thomas"},
    {"Moore", "moore"},
    {"Jackson", "jackson"},
    {"Martin", "martin"},
    {"Lee", "lee"},
    {"Thompson", "thompson"},
    {"White", "white"},
    {"Harris", "harris"},
    {"Clark", "clark"},
    {"Lewis", "lewis"},
    {"Robinson", "robinson"},
    {"Walker", "walker"},
    {"Young", "young"},
    {"Allen", "allen"},
    {"King", "king"},
    {"Wright", "wright"},
    {"Scott", "scott"},
    {"Hill", "hill"},
    {"Green", "green"},
    {"Adams", "adams"},
    {"Baker", "baker"},
    {"Nelson", "nelson"},
    {"O'Brien", "obrien"},
    {"Van der Berg", "vanderberg"},
    {"Smith-Jones", "smithjones"},
    {"Patel", "patel"},
    {"Nguyen", "nguyen"},
    {"Kim", "kim"},
    {"Silva", "silva"},
    {"Rossi", "rossi"},
    {"Novak", "novak"},
    {"Schmidt", "schmidt"},
    {"Tanaka", "tanaka"},
    {"Okafor", "okafor"},
    {"Kowalski", "kowalski"},
    {"Haddad", "haddad"},
    {"Larsen", "larsen"},
    {"McDonald", "mcdonald"},
}};

constexpr std::array<name_entry, 20> unicode_first{{
    {"José", "jose"},           {"François", "francois"}, {"Zoë", "zoe"},     {"Søren", "soren"},
    {"Łukasz", "lukasz"},       {"Björn", "bjorn"},       {"Renée", "renee"}, {"Çağla", "cagla"},
    {"Jürgen", "jurgen"},       {"Ákos", "akos"},         {"Miloš", "milos"}, {"Inès", "ines"},
    {"Sébastien", "sebastien"}, {"Åsa", "asa"},           {"Jiří", "jiri"},   {"Noémie", "noemie"},
    {"Ελένη", "eleni"},         {"Дмитрий", "dmitry"},    {"翔太", "shota"},  {"Zoltán", "zoltan"},
}};

constexpr std::array<name_entry, 20> unicode_last{{
    {"Müller", "muller"},       {"García", "garcia"},       {"Wróbel", "wrobel"},
    {"Dvořák", "dvorak"},       {"Øvergaard", "overgaard"}, {"Jönsson", "jonsson"},
    {"Lefèvre", "lefevre"},     {"Pérez", "perez"},         {"Çelik", "celik"},
    {"Kovačević", "kovacevic"}, {"Schäfer", "schafer"},     {"Gonçalves", "goncalves"},
    {"Håkansson", "hakansson"}, {"Núñez", "nunez"},         {"Šimek", "simek"},
    {"Özdemir", "ozdemir"},     {"Fernández", "fernandez"}, {"Strauß", "strauss"},
    {"佐藤", "sato"},           {"Иванова", "ivanova"},
}};

constexpr std::array<place_entry, 24> ascii_places{{
    {"New York", "NY", "United States", "+1"},
    {"San Francisco", "CA", "United States", "+1"},
    {"Austin", "TX", "United States", "+1"},
    {"Chicago", "IL", "United States", "+1"},
    {"Boston", "MA", "United States", "+1"},
    {"Seattle", "WA", "United States", "+1"},
    {"Denver", "CO", "United States", "+1"},
    {"Atlanta", "GA", "United States", "+1"},
    {"Miami", "FL", "United States", "+1"},
    {"Toronto", "ON", "Canada", "+1"},
    {"Vancouver", "BC", "Canada", "+1"},
    {"London", "England", "United Kingdom", "+44"},
    {"Manchester", "England", "United Kingdom", "+44"},
    {"Dublin", "Leinster", "Ireland", "+353"},
    {"Berlin", "Berlin", "Germany", "+49"},
    {"Hamburg", "Hamburg", "Germany", "+49"},
    {"Amsterdam", "North Holland", "Netherlands", "+31"},
    {"Paris", "Ile-de-France", "France", "+33"},
    {"Madrid", "Madrid", "Spain", "+34"},
    {"Lisbon", "Lisbon", "Portugal", "+351"},
    {"Stockholm", "Stockholm", "Sweden", "+46"},
    {"Sydney", "NSW", "Australia", "+61"},
    {"Singapore", "", "Singapore", "+65"},
    {"Bangalore", "Karnataka", "India", "+91"},
}};

constexpr std::array<place_entry, 14> unicode_places{{
    {"München", "Bayern", "Germany", "+49"},
    {"Zürich", "Zürich", "Switzerland", "+41"},
    {"São Paulo", "São Paulo", "Brazil", "+55"},
    {"Kraków", "Małopolskie", "Poland", "+48"},
    {"Malmö", "Skåne", "Sweden", "+46"},
    {"Montréal", "Québec", "Canada", "+1"},
    {"Reykjavík", "Höfuðborgarsvæðið", "Iceland", "+354"},
    {"Düsseldorf", "Nordrhein-Westfalen", "Germany", "+49"},
    {"Córdoba", "Córdoba", "Argentina", "+54"},
    {"Genève", "Genève", "Switzerland", "+41"},
    {"Łódź", "Łódzkie", "Poland", "+48"},
    {"İstanbul", "İstanbul", "Türkiye", "+90"},
    {"東京", "東京都", "Japan", "+81"},
    {"Αθήνα", "Αττική", "Greece", "+30"},
}};

constexpr std::array<title_entry, 24> title_table{{
    {"Chief Executive Officer", "C-Suite"},
    {"Chief Technology Officer", "C-Suite"},
    {"Chief Financial Officer", "C-Suite"},
    {"Founder & CEO", "Founder"},
    {"Co-Founder", "Founder"},
    {"VP of Sales", "VP"},
    {"VP, Marketing", "VP"},
    {"VP of Engineering", "VP"},
    {"Head of Growth", "Head"},
    {"Head of People", "Head"},
    {"Director of Operations", "Director"},
    {"Director, Business Development", "Director"},
    {"IT Director", "Director"},
    {"Sales Manager", "Manager"},
    {"Marketing Manager", "Manager"},
    {"Product Manager", "Manager"},
    {"Procurement Manager", "Manager"},
    {"Senior Account Executive", "Senior"},
    {"Senior Software Engineer", "Senior"},
    {"Account Executive", "Entry"},
    {"Sales Development Representative", "Entry"},
    {"Data Analyst", "Entry"},
    {"Owner", "Owner"},
    {"Partner", "Partner"},
}};

constexpr std::array<sv, 20> industry_table{"Computer Software",
                                            "Information Technology & Services",
                                            "Marketing & Advertising",
                                            "Financial Services",
                                            "Hospital & Health Care",
                                            "Logistics & Supply Chain",
                                            "Retail",
                                            "Construction",
                                            "Real Estate",
                                            "Education Management",
                                            "Insurance",
                                            "Food & Beverages",
                                            "Automotive",
                                            "Telecommunications",
                                            "Biotechnology",
                                            "Management Consulting",
                                            "Renewables & Environment",
                                            "Internet",
                                            "Staffing & Recruiting",
                                            "Apparel & Fashion"};

constexpr std::array<sv, 10> single_notes{"",
                                          "",
                                          "",
                                          "Warm lead",
                                          "Referred by a partner",
                                          "Downloaded the pricing guide",
                                          "Webinar attendee, 2024",
                                          "Prefers email",
                                          "Asked for a demo",
                                          "Met at trade show"};

constexpr std::array<sv, 3> multi_notes{
    "Met at \"SaaStr\" booth, asked for pricing;\nfollow up in Q3 | budget approved\tper CFO",
    "Call notes:\r\n- wants \"enterprise\" tier, 50 seats; trial first\r\n- decision by Friday | "
    "ping\tTom",
    "Replied \"not now\", revisit next quarter;\nprefers email | no calls\tbefore 10am\n"
    "-- SDR team"};

constexpr std::array<sv, 10> custom_table{"Tier A",   "Tier B",     "Tier C",           "Inbound",
                                          "Outbound", "Trade show", "Partner referral", "Webinar",
                                          "42",       "87"};

constexpr std::array<sv, 6> freemail_table{"gmail.com",   "outlook.com", "yahoo.com",
                                           "hotmail.com", "icloud.com",  "protonmail.com"};

constexpr std::array<sv, 10> idn_table{"bücher.ch",
                                       "müller.de",
                                       "bäckerei-schön.de",
                                       "café-crème.fr",
                                       "zürich-immobilien.ch",
                                       "köln-beratung.de",
                                       "españa-ventas.es",
                                       "øresund-data.dk",
                                       "malmö-teknik.se",
                                       "łódź-soft.pl"};

constexpr std::array<sv, 8> disposable_table{
    "mailinator.com",  "guerrillamail.com", "10minutemail.com", "yopmail.com",
    "sharklasers.com", "trashmail.com",     "dispostable.com",  "maildrop.cc"};

constexpr std::array<sv, 14> role_table{"info",    "sales",     "contact", "support",  "hello",
                                        "admin",   "marketing", "office",  "team",     "hr",
                                        "billing", "careers",   "press",   "enquiries"};

constexpr std::array<sv, 8> placeholder_table{"test",    "noemail", "none",     "null",
                                              "unknown", "nobody",  "no-email", "testing"};

constexpr std::array<sv, 26> invalid_table{
    "{l}.{d}",                                     // no @
    "{l}@mail@{d}",                                // two @
    "{f}..{s}@{d}",                                // doubled dot in the local part
    "{l}@-{d}",                                    // label starts with a hyphen
    "{l}@{c}",                                     // no TLD
    "{f}(at){c}.com",                              // obfuscated @
    "{l}@{d}.",                                    // trailing dot
    "=HYPERLINK(\"mailto:{l}@{d}\",\"{l}@{d}\")",  // spreadsheet formula
    "{f} {s}@{d}",                                 // space in the local part
    "{l}@{c}_group.com",                           // underscore in the domain
    ".{l}@{d}",                                    // leading dot
    "{l}.@{d}",                                    // dot before @
    "@{d}",                                        // empty local part
    "{l}@",                                        // empty domain
    "{l}@{c}..com",                                // empty label
    "{l}%40{d}",                                   // URL-encoded @
    "{l}@{d}, {f}@{d}",                            // two addresses in one cell
    "{l}@[192.168.0.1]",                           // address literal
    "{l}@localhost",                               // reserved single label
    "<{l}@{d}",                                    // unbalanced bracket
    "\"{l}\"@{d}",                                 // quoted local part
    "{l}@{d};",                                    // trailing semicolon
    "{l}&#64;{d}",                                 // HTML entity
    "{l}@{c}-.com",                                // label ends with a hyphen
    "{l} at {d}",                                  // spelled-out @
    "{l}@{d} (work)",                              // comment after the address
};

// Company names are prefix + suffix; their domains are both words run together, lower-cased.
constexpr std::array<sv, 48> company_prefix{
    "Northwind", "Bluepeak",   "Ironbridge", "Silverline", "Redwood",  "Brightpath", "Clearwater",
    "Summit",    "Granite",    "Harborview", "Evergreen",  "Keystone", "Lakeshore",  "Maplecrest",
    "Oakridge",  "Pinnacle",   "Quantum",    "Riverbend",  "Sterling", "Trident",    "Vantage",
    "Westfield", "Crescent",   "Horizon",    "Meridian",   "Nimbus",   "Orchid",     "Polaris",
    "Sapphire",  "Timberline", "Unity",      "Vertex",     "Willow",   "Zenith",     "Alder",
    "Beacon",    "Cobalt",     "Deltaview",  "Ember",      "Falcon",   "Glacier",    "Helix",
    "Juniper",   "Kestrel",    "Lumen",      "Mosaic",     "Novara",   "Onyx"};

constexpr std::array<sv, 40> company_suffix{
    "Logistics", "Analytics", "Systems",   "Health",    "Capital",  "Labs",       "Software",
    "Foods",     "Energy",    "Robotics",  "Media",     "Partners", "Consulting", "Networks",
    "Dynamics",  "Ventures",  "Solutions", "Pharma",    "Security", "Studios",    "Industries",
    "Biotech",   "Retail",    "Insurance", "Financial", "Motors",   "Apparel",    "Learning",
    "Realty",    "Aerospace", "Telecom",   "Brewing",   "Outdoors", "Genomics",   "Payments",
    "Freight",   "Textiles",  "Interiors", "Marine",    "Holdings"};

constexpr std::array<sv, 6> company_tlds{"com", "com", "com", "io", "co", "net"};

}  // namespace

std::span<const name_entry> first_names(bool unicode) noexcept {
  if (unicode) return unicode_first;
  return ascii_first;
}
std::span<const name_entry> last_names(bool unicode) noexcept {
  if (unicode) return unicode_last;
  return ascii_last;
}
std::span<const place_entry> places(bool unicode) noexcept {
  if (unicode) return unicode_places;
  return ascii_places;
}
std::span<const title_entry> titles() noexcept { return title_table; }
std::span<const std::string_view> industries() noexcept { return industry_table; }
std::span<const std::string_view> notes_single_line() noexcept { return single_notes; }
std::span<const std::string_view> notes_multiline() noexcept { return multi_notes; }
std::span<const std::string_view> custom_values() noexcept { return custom_table; }
std::span<const std::string_view> freemail_domains() noexcept { return freemail_table; }
std::span<const std::string_view> idn_domains() noexcept { return idn_table; }
std::span<const std::string_view> disposable_domains() noexcept { return disposable_table; }
std::span<const std::string_view> role_locals() noexcept { return role_table; }
std::span<const std::string_view> placeholder_locals() noexcept { return placeholder_table; }
std::span<const std::string_view> invalid_templates() noexcept { return invalid_table; }

std::uint32_t company_count() noexcept {
  return static_cast<std::uint32_t>(company_prefix.size() * company_suffix.size());
}

void append_company_name(std::string& out, std::uint32_t company) {
  out.append(company_prefix[company % company_prefix.size()]);
  out.push_back(' ');
  out.append(company_suffix[company / company_prefix.size()]);
}

void append_company_slug(std::string& out, std::uint32_t company) {
  append_lower_ascii(out, company_prefix[company % company_prefix.size()]);
  append_lower_ascii(out, company_suffix[company / company_prefix.size()]);
}

std::string_view company_tld(std::uint32_t company) noexcept {
  return company_tlds[(company * 7U + company / 5U) % company_tlds.size()];
}

void append_decimal(std::string& out, std::uint64_t n, int min_width) {
  char digits[24];
  const auto res = std::to_chars(digits, digits + sizeof digits, n);
  for (auto len = static_cast<int>(res.ptr - digits); len < min_width; ++len) out.push_back('0');
  out.append(digits, res.ptr);
}

void append_lower_ascii(std::string& out, std::string_view s) {
  for (char ch : s) {
    out.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
  }
}

void append_company_domain(std::string& out, std::uint32_t company) {
  append_company_slug(out, company);
  out.push_back('.');
  out.append(company_tld(company));
}

}  // namespace leadpipe::leadgen
