// The API's listing, lookup and history answers turned into CSV rows and text (workflow.hpp).
#include "leadpipe/workflow.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/system/errc.hpp>

#include "leadpipe/ascii.hpp"
#include "leadpipe/json_read.hpp"
#include "leadpipe/output_file.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe::workflow {
namespace {

namespace dom = simdjson::dom;

boost::system::error_code bad(std::string* message, std::string_view why) {
  if (message != nullptr) *message = std::string(why);
  return make_error_code(boost::system::errc::bad_message);
}

std::string_view string_at(dom::object o, std::string_view key) {
  std::string_view s;
  if (o.at_key(key).get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

// One CSV cell from any JSON value: null and absent are empty, objects and arrays their JSON.
void append_value_cell(std::string& out, dom::object o, std::string_view key, std::string& tmp) {
  dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS || e.is_null()) return;
  std::string_view s;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  bool b = false;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    append_csv_cell(out, s);
    return;
  }
  if (e.get_int64().get(i) == simdjson::SUCCESS) {
    tmp = fmt::format("{}", i);
  } else if (e.get_uint64().get(u) == simdjson::SUCCESS) {
    tmp = fmt::format("{}", u);
  } else if (e.get_double().get(d) == simdjson::SUCCESS) {
    tmp = fmt::format("{}", d);
  } else if (e.get_bool().get(b) == simdjson::SUCCESS) {
    tmp = b ? "true" : "false";
  } else {
    tmp = simdjson::minify(e);
  }
  append_csv_cell(out, tmp);
}

void append_printable(std::string& out, std::string_view s) {
  // Control characters (ESC above all) would let a message body drive the terminal.
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) out.push_back(c);
  }
}

}  // namespace

struct page_reader::state {
  dom::parser parser;
  std::string tmp;

  // The answer's object and its array member `key`; false when the body has no such shape.
  bool object_with_array(std::string_view body, std::string_view key, dom::object& root,
                         dom::array& list) {
    return parser.parse(body.data(), body.size()).get_object().get(root) == simdjson::SUCCESS &&
           root.at_key(key).get_array().get(list) == simdjson::SUCCESS;
  }
};

page_reader::page_reader() : state_(std::make_unique<state>()) {}
page_reader::~page_reader() = default;

boost::system::result<std::uint64_t> page_reader::append_block_rows(std::string_view body,
                                                                    std::string& csv,
                                                                    std::string* message) {
  dom::array page;
  if (state_->parser.parse(body.data(), body.size()).get_array().get(page) != simdjson::SUCCESS) {
    return bad(message, "the block-list answer is not a json array");
  }
  std::uint64_t n = 0;
  for (dom::element item : page) {
    dom::object o;
    if (item.get_object().get(o) != simdjson::SUCCESS) {
      return bad(message, "a block-list entry is not a json object");
    }
    for (const std::string_view key : {"id", "email_or_domain", "client_id", "source"}) {
      append_value_cell(csv, o, key, state_->tmp);
      csv.push_back(',');
    }
    append_value_cell(csv, o, "created_at", state_->tmp);
    csv.push_back('\n');
    ++n;
  }
  return n;
}

boost::system::result<lead_page> page_reader::append_lead_rows(
    std::string_view body, std::string& csv, boost::unordered_flat_set<std::int64_t>* seen,
    std::string* message) {
  dom::object root;
  dom::array data;
  if (!state_->object_with_array(body, "data", root, data)) {
    return bad(message, "the listing answer has no data array");
  }
  static constexpr std::array<std::string_view, 9> lead_keys = {
      "email",   "first_name", "last_name",        "phone_number", "company_name",
      "website", "location",   "linkedin_profile", "company_url"};
  lead_page page;
  page.total = json_int_at(root, "total_leads");
  std::string& tmp = state_->tmp;
  for (dom::element item : data) {
    ++page.items;
    dom::object m;
    if (item.get_object().get(m) != simdjson::SUCCESS) {
      return bad(message, "a listed member is not a json object");
    }
    const auto map_id = json_int_at(m, "campaign_lead_map_id");
    if (seen != nullptr && map_id && !seen->insert(*map_id).second) continue;
    dom::object lead;
    if (m.at_key("lead").get_object().get(lead) != simdjson::SUCCESS) lead = {};
    append_value_cell(csv, m, "campaign_lead_map_id", tmp);
    csv.push_back(',');
    append_value_cell(csv, lead, "id", tmp);
    for (const std::string_view key : lead_keys) {
      csv.push_back(',');
      append_value_cell(csv, lead, key, tmp);
    }
    for (const std::string_view key : {"status", "lead_category_id"}) {
      csv.push_back(',');
      append_value_cell(csv, m, key, tmp);
    }
    csv.push_back(',');
    append_value_cell(csv, lead, "is_unsubscribed", tmp);
    csv.push_back(',');
    append_value_cell(csv, m, "created_at", tmp);
    csv.push_back(',');
    append_value_cell(csv, lead, "custom_fields", tmp);
    csv.push_back('\n');
    ++page.written;
  }
  return page;
}

boost::system::result<lead_lookup> page_reader::read_lookup(std::string_view body,
                                                            std::string* message) {
  dom::object o;
  if (state_->parser.parse(body.data(), body.size()).get_object().get(o) != simdjson::SUCCESS) {
    return bad(message, "the lookup answer is not a json object");
  }
  lead_lookup out;
  if (o.size() == 0) return out;  // `{}`: no such lead (§6.3)
  const auto id = json_int_at(o, "id");
  if (!id) return bad(message, "the lookup answer has no numeric lead id");
  out.found = true;
  out.lead_id = *id;
  out.email = std::string(string_at(o, "email"));
  dom::array list;
  if (o.at_key("lead_campaign_data").get_array().get(list) == simdjson::SUCCESS) {
    for (dom::element item : list) {
      dom::object c;
      if (item.get_object().get(c) != simdjson::SUCCESS) continue;
      const auto cid = json_int_at(c, "campaign_id");
      if (cid) out.campaigns.emplace_back(*cid, json_int_at(c, "campaign_lead_map_id").value_or(0));
    }
  }
  return out;
}

boost::system::result<std::uint64_t> page_reader::append_history_text(std::string_view body,
                                                                      std::size_t max_body,
                                                                      std::string& out,
                                                                      std::string* message) {
  dom::object root;
  dom::array history;
  if (!state_->object_with_array(body, "history", root, history)) {
    return bad(message, "the message-history answer has no history array");
  }
  std::uint64_t n = 0;
  std::string& text = state_->tmp;
  for (dom::element item : history) {
    dom::object h;
    if (item.get_object().get(h) != simdjson::SUCCESS) continue;
    ++n;
    out += fmt::format("[{}] ", n);
    append_printable(out, string_at(h, "time"));
    out.push_back(' ');
    append_printable(out, string_at(h, "type"));
    if (const auto step = json_int_at(h, "email_seq_number")) out += fmt::format(" (step {})", *step);
    out += "\n    from: ";
    append_printable(out, string_at(h, "from"));
    out += " -> to: ";
    append_printable(out, string_at(h, "to"));
    out += "\n    subject: ";
    append_printable(out, string_at(h, "subject"));
    out.push_back('\n');
    text.clear();
    append_plain_text(text, string_at(h, "email_body"), max_body);
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = std::min(text.find('\n', start), text.size());
      out += end == start ? "    |" : "    | ";  // no trailing blank on empty lines
      out.append(text, start, end - start);
      out.push_back('\n');
      start = end + 1;
    }
    out.push_back('\n');
  }
  return n;
}

namespace {

// Collects text with HTML's white-space folding: runs of blanks become one space, line breaks
// at most one blank line, nothing at either end.
class text_builder {
 public:
  explicit text_builder(std::string& out) : out_(out), start_(out.size()) {}
  void space() { space_ = true; }
  void line_break() { ++breaks_; }
  void text(std::string_view s) {
    if (out_.size() > start_) {
      if (breaks_ > 0) {
        out_.append(std::min<std::size_t>(breaks_, 2), '\n');
      } else if (space_) {
        out_.push_back(' ');
      }
    }
    breaks_ = 0;
    space_ = false;
    append_printable(out_, s);
  }
  [[nodiscard]] std::size_t size() const { return out_.size() - start_; }

 private:
  std::string& out_;
  std::size_t start_;
  bool space_ = false;
  std::size_t breaks_ = 0;
};

// The 252 named character references of HTML 4.01 (the ones mail bodies use: &eacute;,
// &hellip;, &rsquo;, &nbsp;, ...), sorted by name for a binary search. Generated from Python's
// html.entities.name2codepoint.
struct named_entity {
  std::string_view name;
  char32_t cp;
};
constexpr std::array<named_entity, 252> kNamedEntities = {{
    {"AElig", 0xC6},     {"Aacute", 0xC1},    {"Acirc", 0xC2},    {"Agrave", 0xC0},
    {"Alpha", 0x391},    {"Aring", 0xC5},     {"Atilde", 0xC3},   {"Auml", 0xC4},
    {"Beta", 0x392},     {"Ccedil", 0xC7},    {"Chi", 0x3A7},     {"Dagger", 0x2021},
    {"Delta", 0x394},    {"ETH", 0xD0},       {"Eacute", 0xC9},   {"Ecirc", 0xCA},
    {"Egrave", 0xC8},    {"Epsilon", 0x395},  {"Eta", 0x397},     {"Euml", 0xCB},
    {"Gamma", 0x393},    {"Iacute", 0xCD},    {"Icirc", 0xCE},    {"Igrave", 0xCC},
    {"Iota", 0x399},     {"Iuml", 0xCF},      {"Kappa", 0x39A},   {"Lambda", 0x39B},
    {"Mu", 0x39C},       {"Ntilde", 0xD1},    {"Nu", 0x39D},      {"OElig", 0x152},
    {"Oacute", 0xD3},    {"Ocirc", 0xD4},     {"Ograve", 0xD2},   {"Omega", 0x3A9},
    {"Omicron", 0x39F},  {"Oslash", 0xD8},    {"Otilde", 0xD5},   {"Ouml", 0xD6},
    {"Phi", 0x3A6},      {"Pi", 0x3A0},       {"Prime", 0x2033},  {"Psi", 0x3A8},
    {"Rho", 0x3A1},      {"Scaron", 0x160},   {"Sigma", 0x3A3},   {"THORN", 0xDE},
    {"Tau", 0x3A4},      {"Theta", 0x398},    {"Uacute", 0xDA},   {"Ucirc", 0xDB},
    {"Ugrave", 0xD9},    {"Upsilon", 0x3A5},  {"Uuml", 0xDC},     {"Xi", 0x39E},
    {"Yacute", 0xDD},    {"Yuml", 0x178},     {"Zeta", 0x396},    {"aacute", 0xE1},
    {"acirc", 0xE2},     {"acute", 0xB4},     {"aelig", 0xE6},    {"agrave", 0xE0},
    {"alefsym", 0x2135}, {"alpha", 0x3B1},    {"amp", 0x26},      {"and", 0x2227},
    {"ang", 0x2220},     {"aring", 0xE5},     {"asymp", 0x2248},  {"atilde", 0xE3},
    {"auml", 0xE4},      {"bdquo", 0x201E},   {"beta", 0x3B2},    {"brvbar", 0xA6},
    {"bull", 0x2022},    {"cap", 0x2229},     {"ccedil", 0xE7},   {"cedil", 0xB8},
    {"cent", 0xA2},      {"chi", 0x3C7},      {"circ", 0x2C6},    {"clubs", 0x2663},
    {"cong", 0x2245},    {"copy", 0xA9},      {"crarr", 0x21B5},  {"cup", 0x222A},
    {"curren", 0xA4},    {"dArr", 0x21D3},    {"dagger", 0x2020}, {"darr", 0x2193},
    {"deg", 0xB0},       {"delta", 0x3B4},    {"diams", 0x2666},  {"divide", 0xF7},
    {"eacute", 0xE9},    {"ecirc", 0xEA},     {"egrave", 0xE8},   {"empty", 0x2205},
    {"emsp", 0x2003},    {"ensp", 0x2002},    {"epsilon", 0x3B5}, {"equiv", 0x2261},
    {"eta", 0x3B7},      {"eth", 0xF0},       {"euml", 0xEB},     {"euro", 0x20AC},
    {"exist", 0x2203},   {"fnof", 0x192},     {"forall", 0x2200}, {"frac12", 0xBD},
    {"frac14", 0xBC},    {"frac34", 0xBE},    {"frasl", 0x2044},  {"gamma", 0x3B3},
    {"ge", 0x2265},      {"gt", 0x3E},        {"hArr", 0x21D4},   {"harr", 0x2194},
    {"hearts", 0x2665},  {"hellip", 0x2026},  {"iacute", 0xED},   {"icirc", 0xEE},
    {"iexcl", 0xA1},     {"igrave", 0xEC},    {"image", 0x2111},  {"infin", 0x221E},
    {"int", 0x222B},     {"iota", 0x3B9},     {"iquest", 0xBF},   {"isin", 0x2208},
    {"iuml", 0xEF},      {"kappa", 0x3BA},    {"lArr", 0x21D0},   {"lambda", 0x3BB},
    {"lang", 0x2329},    {"laquo", 0xAB},     {"larr", 0x2190},   {"lceil", 0x2308},
    {"ldquo", 0x201C},   {"le", 0x2264},      {"lfloor", 0x230A}, {"lowast", 0x2217},
    {"loz", 0x25CA},     {"lrm", 0x200E},     {"lsaquo", 0x2039}, {"lsquo", 0x2018},
    {"lt", 0x3C},        {"macr", 0xAF},      {"mdash", 0x2014},  {"micro", 0xB5},
    {"middot", 0xB7},    {"minus", 0x2212},   {"mu", 0x3BC},      {"nabla", 0x2207},
    {"nbsp", 0xA0},      {"ndash", 0x2013},   {"ne", 0x2260},     {"ni", 0x220B},
    {"not", 0xAC},       {"notin", 0x2209},   {"nsub", 0x2284},   {"ntilde", 0xF1},
    {"nu", 0x3BD},       {"oacute", 0xF3},    {"ocirc", 0xF4},    {"oelig", 0x153},
    {"ograve", 0xF2},    {"oline", 0x203E},   {"omega", 0x3C9},   {"omicron", 0x3BF},
    {"oplus", 0x2295},   {"or", 0x2228},      {"ordf", 0xAA},     {"ordm", 0xBA},
    {"oslash", 0xF8},    {"otilde", 0xF5},    {"otimes", 0x2297}, {"ouml", 0xF6},
    {"para", 0xB6},      {"part", 0x2202},    {"permil", 0x2030}, {"perp", 0x22A5},
    {"phi", 0x3C6},      {"pi", 0x3C0},       {"piv", 0x3D6},     {"plusmn", 0xB1},
    {"pound", 0xA3},     {"prime", 0x2032},   {"prod", 0x220F},   {"prop", 0x221D},
    {"psi", 0x3C8},      {"quot", 0x22},      {"rArr", 0x21D2},   {"radic", 0x221A},
    {"rang", 0x232A},    {"raquo", 0xBB},     {"rarr", 0x2192},   {"rceil", 0x2309},
    {"rdquo", 0x201D},   {"real", 0x211C},    {"reg", 0xAE},      {"rfloor", 0x230B},
    {"rho", 0x3C1},      {"rlm", 0x200F},     {"rsaquo", 0x203A}, {"rsquo", 0x2019},
    {"sbquo", 0x201A},   {"scaron", 0x161},   {"sdot", 0x22C5},   {"sect", 0xA7},
    {"shy", 0xAD},       {"sigma", 0x3C3},    {"sigmaf", 0x3C2},  {"sim", 0x223C},
    {"spades", 0x2660},  {"sub", 0x2282},     {"sube", 0x2286},   {"sum", 0x2211},
    {"sup", 0x2283},     {"sup1", 0xB9},      {"sup2", 0xB2},     {"sup3", 0xB3},
    {"supe", 0x2287},    {"szlig", 0xDF},     {"tau", 0x3C4},     {"there4", 0x2234},
    {"theta", 0x3B8},    {"thetasym", 0x3D1}, {"thinsp", 0x2009}, {"thorn", 0xFE},
    {"tilde", 0x2DC},    {"times", 0xD7},     {"trade", 0x2122},  {"uArr", 0x21D1},
    {"uacute", 0xFA},    {"uarr", 0x2191},    {"ucirc", 0xFB},    {"ugrave", 0xF9},
    {"uml", 0xA8},       {"upsih", 0x3D2},    {"upsilon", 0x3C5}, {"uuml", 0xFC},
    {"weierp", 0x2118},  {"xi", 0x3BE},       {"yacute", 0xFD},   {"yen", 0xA5},
    {"yuml", 0xFF},      {"zeta", 0x3B6},     {"zwj", 0x200D},    {"zwnj", 0x200C},
}};

// Decodes the entity at the start of `s` ("&amp;", "&eacute;", "&#64;", "&#x40;"); 0 when it is
// not one. "&apos;" (XML, HTML 5) is read too.
std::size_t decode_entity(std::string_view s, std::string& out) {
  const std::size_t semi = s.find(';', 1);
  if (semi != std::string_view::npos && semi > 1 && semi <= 10 && s[1] != '#') {
    const std::string_view name = s.substr(1, semi - 1);
    if (name == "apos" || name == "nbsp") {
      out = name == "apos" ? "'" : " ";  // a no-break space is white space in plain text
      return semi + 1;
    }
    const auto it =
        std::lower_bound(kNamedEntities.begin(), kNamedEntities.end(), name,
                         [](const named_entity& e, std::string_view n) { return e.name < n; });
    if (it == kNamedEntities.end() || it->name != name) return 0;
    out.clear();
    utf8::append(out, it->cp);
    return semi + 1;
  }
  if (s.size() < 4 || s[1] != '#') return 0;
  const bool hex = s[2] == 'x' || s[2] == 'X';
  const char* first = s.data() + (hex ? 3 : 2);
  std::uint32_t cp = 0;
  const auto r = std::from_chars(first, s.data() + s.size(), cp, hex ? 16 : 10);
  if (r.ec != std::errc{} || r.ptr == first || r.ptr == s.data() + s.size() || *r.ptr != ';') {
    return 0;
  }
  out.clear();
  utf8::append(out, cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF) ? char32_t{cp} : U'\uFFFD');
  return static_cast<std::size_t>(r.ptr - s.data()) + 1;
}

bool is_break_tag(std::string_view name) {
  static constexpr std::array<std::string_view, 12> tags = {
      "br", "p", "/p", "div", "/div", "li", "/li", "tr", "/tr", "/h1", "/h2", "/h3"};
  for (const auto t : tags) {
    if (ascii::iequals(name, t)) return true;
  }
  return false;
}

}  // namespace

void append_plain_text(std::string& out, std::string_view html, std::size_t max_bytes) {
  const std::size_t start = out.size();
  text_builder b(out);
  // Raw line breaks are white space in HTML and line breaks in plain text.
  const bool is_html = html.find("</") != std::string_view::npos ||
                       html.find("<br") != std::string_view::npos ||
                       html.find("<p") != std::string_view::npos;
  std::string entity;
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (is_html && c == '<') {
      const std::size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;
      std::string_view tag = html.substr(i + 1, close - i - 1);
      const std::size_t name_end = tag.find_first_of(" \t\r\n/>", tag.starts_with('/') ? 1 : 0);
      const std::string_view name = tag.substr(0, name_end);
      i = close + 1;
      if (ascii::iequals(name, "style") || ascii::iequals(name, "script")) {
        const std::size_t end = html.find("</", i);
        i = end == std::string_view::npos ? html.size() : end;
      } else if (is_break_tag(name)) {
        b.line_break();
      } else {
        b.space();
      }
    } else if (c == '&' && decode_entity(html.substr(i), entity) != 0) {
      i += decode_entity(html.substr(i), entity);
      if (entity == " ") {
        b.space();
      } else {
        b.text(entity);
      }
    } else if (c == '\n' && !is_html) {
      b.line_break();
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      b.space();
      ++i;
    } else {
      std::size_t j = i + 1;
      while (j < html.size() && html[j] != '<' && html[j] != '&' && html[j] != ' ' &&
             html[j] != '\t' && html[j] != '\r' && html[j] != '\n') {
        ++j;
      }
      b.text(html.substr(i, j - i));
      i = j;
    }
  }
  if (max_bytes != 0 && out.size() - start > max_bytes) {
    std::size_t cut = start + max_bytes;
    while (cut > start && (static_cast<unsigned char>(out[cut]) & 0xC0U) == 0x80U) --cut;
    out.resize(cut);
    out += " [...]";
  }
}

}  // namespace leadpipe::workflow
