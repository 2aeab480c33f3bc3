#include "leadgen_csv.hpp"

#include <array>
#include <span>

#include "leadgen_data.hpp"
#include "leadgen_rng.hpp"

namespace leadpipe::leadgen {
namespace {

// The standard names first, so that leadpipe's header auto-detection maps them; the rest become
// custom fields.
constexpr std::array<std::string_view, default_column_count> column_names{
    "First Name",          "Last Name",    "Email", "Title", "Company Name", "Company Website",
    "Person Linkedin Url", "Mobile Phone", "City",  "State", "Country",      "Industry",
    "Employees",           "Seniority",    "Notes"};

constexpr std::array<std::uint32_t, 10> employee_counts{4,   12,  27,   48,   130,
                                                        260, 640, 1250, 4800, 12000};

void append_hex(std::string& out, std::uint64_t n, int digits) {
  constexpr std::string_view hex = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out.push_back(hex[(n >> (4 * i)) & 0xfU]);
}

void append_website(std::string& out, const row_plan& p) {
  switch ((p.noise >> 8) & 3U) {
    case 0:
      out.append("https://www.");
      break;
    case 1:
      out.append("www.");
      break;
    case 2:
      break;
    default:
      return;  // an empty cell, as exports often have
  }
  append_company_domain(out, p.company);
}

void append_linkedin(std::string& out, const row_plan& p) {
  if ((p.noise >> 10) % 5 == 0) return;
  out.append("https://www.linkedin.com/in/");
  out.append(pick_from(first_names(p.unicode), p.first).slug);
  out.push_back('-');
  out.append(pick_from(last_names(p.unicode), p.last).slug);
  out.push_back('-');
  append_hex(out, p.noise >> 16, 6);
}

void append_phone(std::string& out, const row_plan& p) {
  if (((p.noise >> 13) & 3U) == 0) return;
  const std::uint64_t digits = mix64(p.noise);
  out.append(pick_from(places(p.unicode), p.place).phone_prefix);
  out.push_back(' ');
  append_decimal(out, 200 + digits % 800, 3);
  out.push_back(' ');
  append_decimal(out, (digits >> 12) % 1000, 3);
  out.push_back(' ');
  append_decimal(out, (digits >> 24) % 10000, 4);
}

}  // namespace

void csv_writer::append_header(std::string& out) const {
  for (std::uint32_t c = 0; c < columns_; ++c) {
    if (c > 0) out.push_back(delimiter_);
    if (c < default_column_count) {
      append_field(out, column_names[c]);
    } else {
      out.append("Custom ");
      append_decimal(out, c - default_column_count + 1);
    }
  }
  out.append(crlf_ ? "\r\n" : "\n");
}

void csv_writer::append_field(std::string& out, std::string_view text) const {
  bool quote = false;
  for (char ch : text) {
    if (ch == delimiter_ || ch == '"' || ch == '\n' || ch == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char ch : text) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
}

void csv_writer::append_record(std::string& out, const row_plan& person, std::string_view email,
                               const row_plan& shape, std::string& scratch) const {
  for (std::uint32_t c = 0; c < shape.field_count; ++c) {
    if (c > 0) out.push_back(delimiter_);
    if (c < columns_) {
      append_cell(out, c, person, email, shape, scratch);
    } else {
      // The surplus field of an extra_field row: never empty, so the row is malformed for sure.
      append_field(out, pick_from(custom_values(), mix64(shape.noise)));
    }
  }
  out.append(crlf_ ? "\r\n" : "\n");
}

void csv_writer::append_cell(std::string& out, std::uint32_t column, const row_plan& person,
                             std::string_view email, const row_plan& shape,
                             std::string& scratch) const {
  if (column == notes_column()) {
    if (shape.multiline) {
      append_field(out, pick_from(notes_multiline(), shape.note));
    } else {
      append_field(out, pick_from(notes_single_line(), shape.note));
    }
    return;
  }
  const place_entry& place = pick_from(places(person.unicode), person.place);
  const title_entry& title = pick_from(titles(), person.title);
  scratch.clear();
  switch (column) {
    case 0:
      append_field(out, pick_from(first_names(person.unicode), person.first).display);
      return;
    case 1:
      append_field(out, pick_from(last_names(person.unicode), person.last).display);
      return;
    case email_column:
      append_field(out, email);
      return;
    case 3:
      append_field(out, title.title);
      return;
    case 4:
      append_company_name(scratch, person.company);
      break;
    case 5:
      append_website(scratch, person);
      break;
    case 6:
      append_linkedin(scratch, person);
      break;
    case 7:
      append_phone(scratch, person);
      break;
    case 8:
      append_field(out, place.city);
      return;
    case 9:
      append_field(out, place.state);
      return;
    case 10:
      append_field(out, place.country);
      return;
    case 11:
      append_field(out, pick_from(industries(), mix64(person.company + 1)));
      return;
    case 12:
      append_decimal(out, pick_from(std::span<const std::uint32_t>(employee_counts),
                                    mix64(person.company + 2)));
      return;
    case 13:
      append_field(out, title.seniority);
      return;
    default:
      append_field(out, pick_from(custom_values(), mix64(shape.noise + column)));
      return;
  }
  append_field(out, scratch);
}

}  // namespace leadpipe::leadgen
