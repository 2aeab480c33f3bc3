#include "leadgen_row.hpp"

#include <span>

#include "leadgen_data.hpp"
#include "leadgen_rng.hpp"

namespace leadpipe::leadgen {
namespace {

constexpr std::uint64_t seed_salt = 0x6c65616470697065ULL;  // "leadpipe"
// Shares that shape addresses but have no flag of their own.
constexpr double idn_share = 0.3;       // of unicode rows with a person address
constexpr double freemail_share = 0.2;  // of person addresses not on an IDN domain
constexpr double capitalised_share = 0.15;

void append_name_part(std::string& out, std::string_view slug, bool capitalised) {
  const std::size_t start = out.size();
  out.append(slug);
  if (capitalised && out.size() > start) {
    out[start] = static_cast<char>(out[start] - 'a' + 'A');
  }
}

// Every style is letters and separators followed by the row number, and slugs hold no digits, so
// the trailing digit run identifies the row: two rows can never share a local part, even after a
// provider's dot and case folding.
void append_local_part(std::string& out, const row_plan& p) {
  const std::string_view first = pick_from(first_names(p.unicode), p.first).slug;
  const std::string_view last = pick_from(last_names(p.unicode), p.last).slug;
  const bool cap = p.capitalised;
  if (p.local_style < 45) {
    append_name_part(out, first, cap);
    out.push_back('.');
    append_name_part(out, last, cap);
  } else if (p.local_style < 65) {
    append_name_part(out, first.substr(0, 1), cap);
    append_name_part(out, last, cap);
  } else if (p.local_style < 75) {
    append_name_part(out, first, cap);
    out.push_back('_');
    append_name_part(out, last, cap);
  } else if (p.local_style < 85) {
    append_name_part(out, first, cap);
  } else {
    append_name_part(out, first, cap);
    out.push_back('.');
    append_name_part(out, last.substr(0, 1), cap);
  }
  append_decimal(out, p.index + 1);
}

void append_person_domain(std::string& out, const row_plan& p) {
  if (p.idn) {
    out.append(pick_from(idn_domains(), p.choice));
  } else if (p.freemail) {
    out.append(pick_from(freemail_domains(), p.choice));
  } else {
    append_company_domain(out, p.company);
  }
}

// Role and placeholder addresses all share a handful of local parts, so the row number goes into
// the domain to keep each row's identity key distinct.
void append_numbered_company_domain(std::string& out, const row_plan& p) {
  append_company_slug(out, p.company);
  append_decimal(out, p.index + 1);
  out.push_back('.');
  out.append(company_tld(p.company));
}

void expand_invalid(std::string& out, const row_plan& p) {
  const std::string_view form = pick_from(invalid_templates(), p.choice);
  for (std::size_t i = 0; i < form.size(); ++i) {
    if (form[i] != '{' || i + 2 >= form.size() || form[i + 2] != '}') {
      out.push_back(form[i]);
      continue;
    }
    switch (form[i + 1]) {
      case 'l':
        append_local_part(out, p);
        break;
      case 'f':
        out.append(pick_from(first_names(p.unicode), p.first).slug);
        break;
      case 's':
        out.append(pick_from(last_names(p.unicode), p.last).slug);
        break;
      case 'd':
        append_company_domain(out, p.company);
        break;
      case 'c':
        append_company_slug(out, p.company);
        break;
      default:
        out.append(form.substr(i, 3));
        break;
    }
    i += 2;
  }
}

bool is_lower(char ch) noexcept { return ch >= 'a' && ch <= 'z'; }
bool is_upper(char ch) noexcept { return ch >= 'A' && ch <= 'Z'; }
char flip_case(char ch) noexcept {
  if (is_lower(ch)) return static_cast<char>(ch - 'a' + 'A');
  if (is_upper(ch)) return static_cast<char>(ch - 'A' + 'a');
  return ch;
}

}  // namespace

row_planner::row_planner(std::uint64_t seed, const row_rates& rates, std::uint32_t columns) noexcept
    : seed_key_(mix64(seed ^ seed_salt)), columns_(columns) {
  double sum = 0.0;
  auto cumulative = [&sum](double rate) {
    sum += rate;
    return probability_threshold(sum);
  };
  extra_ = cumulative(rates.extra_column);
  short_ = cumulative(rates.short_row);
  missing_ = cumulative(rates.missing);
  invalid_ = cumulative(rates.invalid);
  duplicate_ = cumulative(rates.duplicate);
  risky_ = cumulative(rates.risky);
  role_ = cumulative(rates.role);
  multiline_ = probability_threshold(rates.multiline);
  unicode_ = probability_threshold(rates.unicode);
}

row_plan row_planner::plan(std::uint64_t index) const noexcept {
  splitmix64 r = splitmix64::for_index(seed_key_, index);
  row_plan p;
  p.index = index;
  const std::uint64_t u = r.draw53();
  if (u < extra_) {
    p.kind = row_kind::extra_field;
  } else if (u < short_) {
    p.kind = row_kind::short_row;
  } else if (u < missing_) {
    p.kind = row_kind::missing;
  } else if (u < invalid_) {
    p.kind = row_kind::invalid;
  } else if (u < duplicate_) {
    p.kind = row_kind::duplicate;
  } else if (u < risky_) {
    // The risky band is split in half between the two dropped flags.
    p.kind =
        u - duplicate_ < (risky_ - duplicate_) / 2 ? row_kind::disposable : row_kind::placeholder;
  } else if (u < role_) {
    p.kind = row_kind::role;
  }
  // Every draw is taken whatever the kind, so one kind's shape never shifts another's.
  p.unicode = r.chance(unicode_);
  const bool idn_draw = r.chance(probability_threshold(idn_share));
  const bool freemail_draw = r.chance(probability_threshold(freemail_share));
  const bool multiline_draw = r.chance(multiline_);
  p.capitalised = r.chance(probability_threshold(capitalised_share));
  p.local_style = static_cast<std::uint8_t>(r.below(100));
  p.first = r.pick(first_names(p.unicode).size());
  p.last = r.pick(last_names(p.unicode).size());
  p.place = r.pick(places(p.unicode).size());
  p.title = r.pick(titles().size());
  p.company = r.pick(company_count());
  p.note = static_cast<std::uint32_t>(r.next() >> 32);
  p.choice = static_cast<std::uint32_t>(r.next() >> 32);
  const std::uint32_t short_fields = 2 + static_cast<std::uint32_t>(r.below(columns_ - 2));
  p.noise = r.next();

  const bool person = has_person_address(p);
  p.idn = person && p.unicode && idn_draw;
  p.freemail = person && !p.idn && freemail_draw;
  p.multiline = multiline_draw && p.kind != row_kind::short_row;
  p.field_count = p.kind == row_kind::extra_field ? columns_ + 1
                  : p.kind == row_kind::short_row ? short_fields
                                                  : columns_;
  return p;
}

bool has_person_address(const row_plan& p) noexcept {
  switch (p.kind) {
    case row_kind::valid:
    case row_kind::duplicate:
    case row_kind::extra_field:
    case row_kind::short_row:
      return true;
    default:
      return false;
  }
}

bool has_ascii_domain(const row_plan& p) noexcept { return !(has_person_address(p) && p.idn); }

bool uses_company_domain(const row_plan& p) noexcept {
  return has_person_address(p) && !p.idn && !p.freemail;
}

void append_address(std::string& out, const row_plan& p) {
  switch (p.kind) {
    case row_kind::missing:
      return;
    case row_kind::role:
      out.append(pick_from(role_locals(), p.choice));
      out.push_back('@');
      append_numbered_company_domain(out, p);
      return;
    case row_kind::placeholder:
      out.append(pick_from(placeholder_locals(), p.choice));
      out.push_back('@');
      append_numbered_company_domain(out, p);
      return;
    case row_kind::disposable:
      append_local_part(out, p);
      out.push_back('@');
      out.append(pick_from(disposable_domains(), p.choice));
      return;
    case row_kind::invalid:
      expand_invalid(out, p);
      return;
    default:
      append_local_part(out, p);
      out.push_back('@');
      append_person_domain(out, p);
      return;
  }
}

void append_duplicate_variant(std::string& out, std::string_view address, bool ascii_domain,
                              std::uint64_t bits) {
  const std::size_t at_pos = address.find('@');
  const std::size_t local_len = at_pos == std::string_view::npos ? address.size() : at_pos;
  if ((bits & 1U) != 0) out.push_back(' ');
  const std::size_t start = out.size();
  out.append(address);
  char* local = out.data() + start;
  switch ((bits >> 2) % 3) {
    case 0:
    case 2:
      // Generated local parts always hold a letter, so this always changes the bytes.
      for (std::size_t i = 0; i < local_len; ++i) {
        if (is_lower(local[i]) || is_upper(local[i])) {
          local[i] = flip_case(local[i]);
          break;
        }
      }
      if ((bits >> 2) % 3 == 2 && ascii_domain) {
        for (std::size_t i = local_len; i < address.size(); ++i) {
          if (is_lower(local[i])) local[i] = flip_case(local[i]);
        }
      }
      break;
    default:
      // Generated local parts always hold a lower-case letter, so upper-casing changes them.
      for (std::size_t i = 0; i < local_len; ++i) {
        if (is_lower(local[i])) local[i] = flip_case(local[i]);
      }
      break;
  }
  if ((bits & 2U) != 0) out.push_back(' ');
}

}  // namespace leadpipe::leadgen
