#pragma once
// Stage "map": decides which CSV column feeds which lead field of the API (§6.1) from the
// header, and turns each record into a lead_view. Every other column becomes a custom field keyed
// by its header as written, case included (template variables are case-sensitive), without
// the blanks around it.

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

namespace leadpipe {

/// The standard lead fields of the add-leads call, in the order they are written out.
enum class lead_field : std::uint8_t {
  email,
  first_name,
  last_name,
  phone_number,
  company_name,
  website,
  location,
  linkedin_profile,
  company_url,
};
inline constexpr std::size_t lead_field_count = 9;

/// The API's name of a field ("first_name"). Thread-safe.
[[nodiscard]] std::string_view name(lead_field f) noexcept;
[[nodiscard]] std::optional<lead_field> lead_field_from_name(std::string_view n) noexcept;

/// The most custom fields one lead may carry (contract §6.1, max_custom_fields).
inline constexpr std::size_t max_custom_fields = 200;

struct mapping_options {
  /// `--map field=Header`: explicit choices; they win over auto-detection. An empty header
  /// ("first_name=") means: leave the field unmapped.
  std::vector<std::pair<lead_field, std::string>> overrides;
  /// `--no-custom-fields`: keep no custom fields at all.
  bool no_custom_fields = false;
  /// `--custom-field Header` (repeatable): keep only these columns as custom fields.
  std::vector<std::string> only_custom;
  /// The delimiter the header line was split at; the "no email column" message shows the split
  /// (a wrong delimiter is then plain to see). 0: not known, the split is not shown.
  char delimiter = 0;
};

/// The result of mapping a header. Value type; plain data.
struct column_mapping {
  static constexpr std::uint32_t none = UINT32_MAX;
  /// Column index per lead_field, or `none`.
  std::array<std::uint32_t, lead_field_count> field_column{};
  /// Columns kept as custom fields, in header order, with their keys (the header names).
  std::vector<std::uint32_t> custom_columns;
  /// The custom column named `custom_fields` (SmartLead's and `leads export`'s lead exports),
  /// whose cells hold a lead's custom fields as a JSON object: lead_mapper::map sends its
  /// members as custom fields, not the text. `none` when there is no such column.
  std::uint32_t json_custom_column = none;
  /// The input is a campaign's lead export (it has `campaign_lead_map_id`), whose cells
  /// leadpipe's `leads export` guarded against spreadsheet formulas ("'=cy@x.io"): every cell,
  /// the email's included, is read through unguard_cell().
  bool guarded_cells = false;
  /// A campaign export's `is_unsubscribed` column: a lead whose cell is `true` unsubscribed
  /// from the account, so the server would skip it (§7.2 step 5); the pipeline skips it as
  /// `unsubscribed` itself. `none` when there is no such column.
  std::uint32_t unsubscribed_column = none;
  /// Per column: its header names a phone number ("Work Direct Phone", "Corporate Phone",
  /// "Mobile", "Fax"...). Such custom fields lose a spreadsheet's leading apostrophe as the
  /// phone_number field does (phone_value).
  std::vector<bool> phone_like;
  /// Columns read but not kept (custom fields switched off, blank header names, over the cap).
  std::vector<std::uint32_t> ignored_columns;
  /// The header as read, each name without the spaces and tabs around it.
  std::vector<std::string> header;
  /// Human-readable warnings (cap reached, ignored blank header names).
  std::vector<std::string> warnings;

  [[nodiscard]] std::uint32_t column(lead_field f) const {
    return field_column[static_cast<std::size_t>(f)];
  }
  /// Multi-line description for the start of a run ("email <- Email Address" ...).
  [[nodiscard]] std::string describe() const;
};

/// Builds the mapping for `header`. Fails (with a message naming the problem) on duplicate header
/// names, an override naming a missing column, an --custom-field naming a missing column, and when
/// no column can be the email. Thread-safe.
[[nodiscard]] boost::system::result<column_mapping> map_columns(
    const std::vector<std::string>& header, const mapping_options& opts, std::string* message);

/// Normalised form used to compare header names: ASCII lower-case without spaces, `_`, `-`, `.`.
[[nodiscard]] std::string normalise_header(std::string_view h);

/// One custom field of a lead: its key (a header name, owned by the column_mapping, or a member
/// name of the json_custom_column's object) and value.
struct custom_value {
  std::string_view key;
  std::string_view value;
  bool from_json = false;  ///< a member of the json_custom_column's object
};

/// A lead as the later stages see it. Views point into the CSV reader's buffer or into the
/// mapper's scratch buffer: valid until the next call to lead_mapper::map. Empty cells are empty
/// views; custom fields with empty cells are left out.
struct lead_view {
  std::array<std::string_view, lead_field_count> field{};
  std::vector<custom_value> custom;
  /// True when invalid UTF-8 or a NUL byte in some field other than the email was replaced by
  /// U+FFFD.
  bool repaired_encoding = false;
  /// Non-empty custom cells past the first max_custom_fields, left out (the API's limit).
  std::uint32_t custom_dropped = 0;
  /// The json_custom_column's cell is not empty and not a JSON object: it is sent as the text
  /// of a custom field named like the column.
  bool custom_json_bad = false;
  [[nodiscard]] std::string_view get(lead_field f) const {
    return field[static_cast<std::size_t>(f)];
  }
};

/// A phone number cell (already trimmed) as it is sent: without the apostrophe that exports
/// made for spreadsheets put before it ("'+1 415 555 0100": Apollo writes it so that Excel keeps
/// the number as text). Anything else is left as it is.
[[nodiscard]] constexpr std::string_view phone_value(std::string_view v) noexcept {
  if (v.size() >= 2 && v[0] == '\'' &&
      (v[1] == '+' || v[1] == '(' || (v[1] >= '0' && v[1] <= '9'))) {
    v.remove_prefix(1);
  }
  return v;
}

/// The value a lead field (other than the email) keeps of its trimmed cell: the cell, or for
/// the phone number phone_value(). Shared by lead_mapper::map and writers that read a row's
/// cells without it.
[[nodiscard]] constexpr std::string_view field_value(lead_field f,
                                                     std::string_view trimmed) noexcept {
  return f == lead_field::phone_number ? phone_value(trimmed) : trimmed;
}

/// Turns records into lead_views under one mapping. Owns a scratch buffer; not thread-safe.
class lead_mapper {
 public:
  explicit lead_mapper(column_mapping m);
  /// Fills `out` from the record's fields (which must have header().size() entries or fewer;
  /// missing trailing fields count as empty). The email cell is passed through untouched
  /// (policy stage 0 judges it); other fields are trimmed of surrounding ASCII white space (the
  /// phone number also of a spreadsheet's leading apostrophe: phone_value) and repaired when
  /// not utf8::is_text (invalid UTF-8, a NUL byte). `clean_text` is the caller's
  /// promise that every field is already known to pass utf8::is_text (e.g. the whole record was
  /// checked once); it skips the per-field check and gives the same result. The members of the
  /// json_custom_column's object come in its place, in their order: string values as they are,
  /// numbers and booleans as their JSON text, objects and arrays as compact JSON, null and empty
  /// ones left out, as are members named like a custom column (the column wins) or like an
  /// earlier member.
  void map(std::span<const std::string_view> fields, lead_view& out, bool clean_text = false);
  [[nodiscard]] const column_mapping& mapping() const { return mapping_; }

 private:
  std::string_view clean(std::string_view v, bool clean_text, bool& repaired);
  std::string_view repair(std::string_view v, bool& repaired);
  [[nodiscard]] std::string& scratch();
  bool unpack_json(std::string_view text, lead_view& out);
  column_mapping mapping_;
  std::deque<std::string> scratch_;  // grows at the back without moving earlier strings
  std::size_t scratch_used_ = 0;
};

}  // namespace leadpipe
