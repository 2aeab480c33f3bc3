// The API's listing, lookup and history answers turned into CSV rows and text (workflow.hpp).
#include "leadpipe/workflow.hpp"

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

// Decodes the entity at the start of `s` ("&amp;", "&#64;", "&#x40;"); 0 when it is not one.
std::size_t decode_entity(std::string_view s, std::string& out) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> named = {
      {{"amp;", "&"},
       {"lt;", "<"},
       {"gt;", ">"},
       {"quot;", "\""},
       {"apos;", "'"},
       {"nbsp;", " "},
       {"#39;", "'"}}};
  for (const auto& [name, text] : named) {
    if (s.substr(1).starts_with(name)) {
      out = text;
      return name.size() + 1;
    }
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
