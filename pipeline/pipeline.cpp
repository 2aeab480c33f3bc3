#include "leadpipe/pipeline.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "leadpipe/ascii.hpp"
#include "leadpipe/contract_email.hpp"
#include "leadpipe/json_writer.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe {
namespace {

// The reason a row's risk flags drop it: the first dropped flag, by bit order.
std::string_view dropped_flag(std::uint8_t flags) {
  for (unsigned bit = 0; bit < 8; ++bit) {
    const auto f = static_cast<std::uint8_t>(1U << bit);
    if ((flags & f) != 0) return flag_name(f);
  }
  return {};
}

std::string_view malformed_reason(csv_error e) {
  switch (e) {
    case csv_error::unterminated_quote: return "unterminated_quote";
    case csv_error::record_too_long: return "record_too_long";
    case csv_error::too_few_fields: return "too_few_fields";
    case csv_error::too_many_fields: return "too_many_fields";
    case csv_error::none: break;
  }
  return "none";
}

// Records read before the deduplication map is sized for the whole input.
constexpr std::uint64_t dedup_sample = 65536;

std::string_view set_name(outcome o) {
  switch (o) {
    case outcome::already_in_campaign: return "existing";
    case outcome::blocked: return "block_list";
    case outcome::unsubscribed: return "unsubscribed";
    case outcome::in_other_campaign: return "other_campaigns";
    default: return {};
  }
}

// A row whose text spans more line breaks than this is worth a warning (see long_span_rows).
constexpr std::uint64_t long_span_lines = 99;

// What one pass over a record's text says: whether it is pure ASCII, whether it holds a NUL
// byte (repaired like invalid UTF-8, see utf8::is_text), and whether it holds a byte that makes
// a cell need quotes in comma-separated output (a quote, a CR, or a comma that is not the
// delimiter; an LF only occurs inside quotes). 64 bytes per step, the tail one load that
// overlaps the bytes before it.
struct text_facts {
  bool ascii = false;
  bool quote_free = false;
  bool nul = false;
};

text_facts read_text(std::string_view s, char delimiter) noexcept {
#if defined(__SSE2__)
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n >= 16) {
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i comma = _mm_set1_epi8(delimiter == ',' ? '"' : ',');
    const __m128i zero = _mm_setzero_si128();
    __m128i high = zero;
    __m128i hits = zero;
    __m128i nuls = zero;
    const auto step = [&](std::size_t at) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
      high = _mm_or_si128(high, x);
      nuls = _mm_or_si128(nuls, _mm_cmpeq_epi8(x, zero));
      hits = _mm_or_si128(
          hits, _mm_or_si128(_mm_cmpeq_epi8(x, quote),
                             _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, comma))));
    };
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {
      step(i);
      step(i + 16);
      step(i + 32);
      step(i + 48);
    }
    for (; i + 16 <= n; i += 16) step(i);
    if (i < n) step(n - 16);
    return {_mm_movemask_epi8(high) == 0, _mm_movemask_epi8(hits) == 0,
            _mm_movemask_epi8(nuls) != 0};
  }
#endif
  const bool commas = delimiter != ',';
  text_facts f{true, true, false};
  for (const char c : s) {
    f.ascii = f.ascii && static_cast<unsigned char>(c) < 0x80U;
    f.nul = f.nul || c == '\0';
    f.quote_free = f.quote_free && c != '"' && c != '\r' && !(commas && c == ',');
  }
  return f;
}

// The cell at `column` of a record's text, for a record the reader could not split (too long:
// `raw` may be only its kept prefix, `whole` false; an unterminated quote): a quoted cell
// without its quotes (doubled quotes left as they are: it is only shown), empty when the text
// ends before the cell does.
// So that --outcomes names the address of a row it could not read.
std::string_view cell_in_text(std::string_view raw, bool whole, char delim, std::size_t column) {
  std::size_t pos = 0;
  for (std::size_t i = 0;; ++i) {
    std::string_view cell;
    if (pos < raw.size() && raw[pos] == '"') {
      std::size_t close = pos + 1;
      for (;;) {
        close = raw.find('"', close);
        if (close == std::string_view::npos) return {};
        if (close + 1 < raw.size() && raw[close + 1] == '"') {
          close += 2;
          continue;
        }
        break;
      }
      cell = raw.substr(pos + 1, close - pos - 1);
      pos = raw.find(delim, close);
    } else {
      const std::size_t end = raw.find(delim, pos);
      if (end == std::string_view::npos && i == column && !whole) return {};  // cut by the prefix
      cell = raw.substr(pos, end == std::string_view::npos ? raw.size() - pos : end - pos);
      pos = end;
    }
    if (i == column) return cell;
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
}

// A value of an --out line: as it is when the record needed no quoting anywhere (plain), else
// quoted as needed; never neutralised (see csv_lead_writer::accept).
char* put_out_value(char* at, std::string_view v, bool plain) noexcept {
  return plain ? put_plain_csv_value(at, v) : put_csv_cell(at, v, false);
}

}  // namespace

struct cpu_pipeline::impl {
  impl(const cpu_options& o, csv_reader r, column_mapping m)
      : opts(o), reader(std::move(r)), mapper(std::move(m)), validator(o.email),
        progress(o.progress) {}

  cpu_options opts;
  csv_reader reader;
  lead_mapper mapper;
  email_validator validator;
  server_sets sets;
  key_line_map seen;
  progress_line progress;
  std::vector<std::string> open_warnings;  // what the constructor added to the report
  std::vector<std::string> run_warnings;   // what run() added
  // One batch of records (views into the reader's buffer, valid until the next batch) and what
  // stage one learnt about each one's email. Reused so the hot loop does not allocate.
  struct checked_email {
    std::string_view cell;  // the email cell, as the mapper passes it through
    email_result email;
    fingerprint key;
    fingerprint domain;
  };
  std::vector<csv_record> batch;
  std::vector<checked_email> checked;
  email_result validated;  // validates every row, so that its memo of domains sees them all
  lead_view lead;
  bool plain_cells = false;         // of the row decide() accepted last: see accepted_lead
  bool lead_mapped = false;         // of the same row: `lead` is its lead_view
  // The sink reads a clean row's cells itself, and no row can have more custom fields than the
  // API takes (which map() would count): such rows are not mapped.
  bool cells_only = false;
  bool stopped = false;             // run() ended at a stop request
  std::uint64_t non_utf8_rows = 0;  // rows whose text is not UTF-8, email cell or other
  // Rows spanning long_span_lines lines or more (a quoted cell holding that many line breaks):
  // how many, and the first one's lines and error. A stray quote makes one such row of the rows
  // after it, accounted as one row.
  std::uint64_t long_span_rows = 0;
  std::uint64_t long_span_line = 0;
  std::uint64_t long_span_end = 0;
  // Rows whose quote never closes (the reader rejects each alone and reads on): how many, and
  // the first one's line.
  std::uint64_t unclosed_rows = 0;
  std::uint64_t unclosed_line = 0;
  // Accepted leads with more non-empty custom cells than the API takes: how many, the first.
  std::uint64_t capped_leads = 0;
  std::uint64_t capped_line = 0;
  // The current run of rows of one cell without an address, which at the end of the input is a
  // report's footer (Salesforce: "Grand Totals (2 records)", a copyright line).
  std::uint64_t footer_rows = 0;
  std::uint64_t footer_line = 0;
  std::uint64_t footer_end = 0;
  void note_footer(const csv_record& rec) {
    if (rec.error != csv_error::too_few_fields || rec.field_count != 1 ||
        rec.raw.find('@') != std::string_view::npos) {
      footer_rows = 0;
      return;
    }
    if (footer_rows++ == 0) footer_line = rec.line;
    footer_end = rec.end_line;
  }
  static constexpr std::string_view apollo_locked = "email_not_unlocked@domain.com";
  std::uint64_t locked_rows = 0;  // rows holding Apollo's stand-in for a locked address
  std::uint64_t locked_line = 0;
  std::uint64_t json_bad_leads = 0;  // accepted leads whose custom_fields cell is no JSON object
  std::uint64_t json_bad_line = 0;
  std::uint64_t lone_cr_rows = 0;   // rows with a CR outside quotes, not before their LF

  // A CR inside a record of an LF or CRLF file, in a record without quotes (so outside them):
  // data here, but Excel and Python's csv module start a new row there.
  void note_lone_cr(const csv_record& rec) noexcept {
    if (!rec.raw_truncated && rec.raw.find('\r') != std::string_view::npos &&
        rec.raw.find('"') == std::string_view::npos) {
      ++lone_cr_rows;
    }
  }
  std::string detail;

  void check_emails(std::size_t n, std::size_t email_col);
  void reserve_dedup(const csv_record& last);
  bool decide(const csv_record& rec, checked_email& c, row_result& r, report& rep);
  void malformed(const csv_record& rec, std::size_t email_col, row_result& r);

  void load(report& rep, const std::string& path, std::string_view name, key_set& emails,
            key_set* domains) {
    if (path.empty()) return;
    const list_stats st = load_list(path, validator, emails, domains, opts.source.stop);
    set_stats s;
    s.name = std::string(name);
    s.source = path;
    s.entries = st.emails + st.domains;
    s.domains = st.domains;
    s.invalid_entries = st.invalid;
    for (const auto& p : st.problems) rep.warnings.push_back(p);
    rep.sets.push_back(std::move(s));
  }
};

cpu_pipeline::cpu_pipeline(const cpu_options& opts, report& rep) {
  std::string message;
  // Named before anything can fail: the report of a run that cannot start still says which
  // input it was (a nightly job keys on it).
  rep.input.path = opts.input;
  byte_source src = byte_source::open(opts.input, opts.source);
  if (const auto size = src.raw_size()) rep.input.size = *size;
  rep.input.encoding = src.encoding();
  rep.input.gzip = src.compressed();
  csv_options csv = opts.csv;
  // A delimiter under which the header has an email column wins the detection. The reader keeps
  // its options: the test owns what it reads.
  csv.header_usable = [how = opts.mapping](std::span<const std::string_view> fields) {
    const std::vector<std::string> header(fields.begin(), fields.end());
    return map_columns(header, how, nullptr).has_value();
  };
  auto reader = csv_reader::open(std::move(src), csv, &message);
  if (!reader) throw std::runtime_error(message);
  const std::size_t warnings_before = rep.warnings.size();
  mapping_options how = opts.mapping;
  how.delimiter = reader->delimiter();
  auto mapping = map_columns(reader->header(), how, &message);
  if (!mapping) {
    // The header's own problems (a duplicate name, no email column) are at its line.
    throw std::runtime_error(fmt::format("{}:{}: {}", opts.input, reader->header_line(), message));
  }
  impl_ = std::make_unique<impl>(opts, std::move(*reader), std::move(*mapping));
  for (const auto& w : impl_->mapper.mapping().warnings) {
    rep.warnings.push_back(fmt::format("{}: {}", opts.input, w));
  }
  if (const std::uint64_t first = impl_->reader.preamble_line(); first != 0) {
    const std::uint64_t last = impl_->reader.header_line() - 1;
    rep.warnings.push_back(fmt::format(
        "{}: {} before the header (line {}) {} no header with an email column: skipped as a "
        "preamble, not read as rows",
        opts.input,
        first == last ? fmt::format("line {}", first) : fmt::format("lines {}-{}", first, last),
        last + 1, first == last ? "holds" : "hold"));
  }
  if (impl_->reader.cr_line_endings()) {
    rep.warnings.push_back(fmt::format(
        "{}: lines end with a lone CR (a classic Mac export): every CR is read as a line break",
        opts.input));
  }
  if (const char hint = impl_->reader.sep_line(); hint != 0 && hint != impl_->reader.delimiter()) {
    rep.warnings.push_back(fmt::format(
        "{}: the first line says sep={} but --delimiter gave another delimiter; --delimiter wins",
        opts.input, hint));
  }
  rep.mapping_json = mapping_json();
  rep.input.path = opts.input;
  rep.input.delimiter = impl_->reader.delimiter();
  rep.input.gzip = impl_->reader.source().compressed();
  rep.input.encoding = impl_->reader.source().encoding();
  impl_->load(rep, opts.existing, "existing", impl_->sets.existing, nullptr);
  impl_->load(rep, opts.block_list, "block_list", impl_->sets.blocked_emails,
              &impl_->sets.blocked_domains);
  impl_->load(rep, opts.unsubscribed, "unsubscribed", impl_->sets.unsubscribed, nullptr);
  impl_->open_warnings.assign(rep.warnings.begin() + static_cast<std::ptrdiff_t>(warnings_before),
                              rep.warnings.end());
}

cpu_pipeline::~cpu_pipeline() = default;

const column_mapping& cpu_pipeline::mapping() const { return impl_->mapper.mapping(); }
server_sets& cpu_pipeline::sets() { return impl_->sets; }
const email_validator& cpu_pipeline::validator() const { return impl_->validator; }

std::string cpu_pipeline::closing() const {
  std::string out;
  for (const auto& w : impl_->run_warnings) out += fmt::format("leadpipe: warning: {}\n", w);
  return out;
}

bool cpu_pipeline::stopped() const noexcept { return impl_->stopped; }

std::optional<std::uint64_t> cpu_pipeline::offset_size() const noexcept {
  const byte_source& src = impl_->reader.source();
  if (src.compressed() || src.encoding() != "utf-8") return std::nullopt;
  return src.raw_size();
}

std::string cpu_pipeline::banner() const {
  const byte_source& src = impl_->reader.source();
  const std::string& input = src.name();  // "<stdin>" for -
  std::string out;
  const std::string& asked = impl_->opts.source.encoding;
  if (src.encoding() != "utf-8" || asked == "auto") {
    std::string_view how;  // nothing when it is the encoding given
    if (src.has_bom()) {
      how = " (from its byte-order mark)";
    } else if (asked == "auto") {
      how = " (--encoding auto, from the first MiB)";
    }
    out += fmt::format("leadpipe: {}: read as {}{}\n", input, src.encoding(), how);
  }
  out += fmt::format("leadpipe: {}: columns\n{}", input, mapping().describe());
  for (const auto& w : impl_->open_warnings) out += fmt::format("leadpipe: warning: {}\n", w);
  return out;
}

std::string cpu_pipeline::mapping_json() const {
  const column_mapping& m = mapping();
  std::string out;
  json_writer w(out);
  w.begin_object();
  w.key("fields").begin_object();
  for (std::size_t f = 0; f < lead_field_count; ++f) {
    const std::uint32_t col = m.field_column[f];
    w.key(name(static_cast<lead_field>(f)));
    if (col == column_mapping::none) {
      w.null();
    } else {
      w.value(m.header[col]);
    }
  }
  w.end_object();
  w.key("custom_fields").begin_array();
  for (auto col : m.custom_columns) w.value(m.header[col]);
  w.end_array();
  w.key("ignored").begin_array();
  for (auto col : m.ignored_columns) w.value(m.header[col]);
  w.end_array();
  w.end_object();
  return out;
}

// Sizes the deduplication map for the whole input from the share of it the first records took,
// so that it never doubles near the end (a doubling holds old and new tables at once: 1.5 times
// the memory). At most one entry per row; 5% over for the estimate's error. Inputs of unknown
// size (pipes) grow as they go.
void cpu_pipeline::impl::reserve_dedup(const csv_record& last) {
  const byte_source& src = reader.source();
  const auto size = src.raw_size();
  if (!size) return;
  // Plain UTF-8 files: decoded offsets are file offsets. Otherwise (gzip, other encodings) the
  // raw bytes consumed so far, which run ahead by at most a read block or two.
  const bool plain = !src.compressed() && src.encoding() == "utf-8";
  const std::uint64_t done = plain ? last.offset + last.raw.size() : src.raw_bytes_read();
  if (done == 0) return;
  const double rows = static_cast<double>(*size) / static_cast<double>(done) *
                      static_cast<double>(reader.records()) * 1.05;
  seen.reserve(static_cast<std::size_t>(rows));
}

// Stage one of a batch: validates every well-formed record's email and prefetches the table
// lines that its dedup and filter probes will touch, so that stage two, which must go row by
// row in input order, finds them in cache instead of waiting on memory once per probe.
void cpu_pipeline::impl::check_emails(std::size_t n, std::size_t email_col) {
  // The memo of domains is too big to stay in L1/L2 cache between two rows of the same domain:
  // its entries for the whole batch are asked for first.
  for (std::size_t k = 0; k < n; ++k) {
    const csv_record& rec = batch[k];
    if (rec.error == csv_error::none && email_col < rec.fields.size()) {
      validator.prefetch(rec.fields[email_col], validated);
    }
  }
  for (std::size_t k = 0; k < n; ++k) {
    const csv_record& rec = batch[k];
    checked_email& c = checked[k];
    if (rec.error != csv_error::none) continue;
    c.cell = email_col < rec.fields.size() ? rec.fields[email_col] : std::string_view{};
    if (mapper.mapping().guarded_cells) [[unlikely]] c.cell = unguard_cell(c.cell);
    validator.validate(c.cell, validated);
    // Swapping keeps both strings' capacity in circulation: no allocation per row.
    c.email.status = validated.status;
    c.email.reason = validated.reason;
    c.email.flags = validated.flags;
    c.email.typo_suggestion = validated.typo_suggestion;
    c.email.sent.swap(validated.sent);
    c.email.key.swap(validated.key);
    if (c.email.status == email_status::invalid) continue;
    c.key = fingerprint_of(c.email.key);
    c.domain = fingerprint_of(domain_of(c.email.sent));
    seen.prefetch(c.key);
    sets.prefetch(c.key, c.domain, opts.filter);
  }
}

// Decides one well-formed record whose email stage one checked: fills `r` with a local outcome
// and returns false, or returns true when the lead is accepted (r.email then holds the sent form).
bool cpu_pipeline::impl::decide(const csv_record& rec, checked_email& c, row_result& r,
                                report& rep) {
  // Fields are cut from the record's text at ASCII bytes (delimiters, quotes), so one check of
  // the whole text vouches for each of them; a cut text says nothing about the rest. Text known
  // to be valid needs no repair, so such a row is mapped only when its lead is accepted; any
  // other row is mapped now, for the repaired_encoding count that every row takes part in.
  const text_facts text = read_text(rec.raw, reader.delimiter());
  const bool valid_utf8 = !rec.raw_truncated && (text.ascii || utf8::is_valid(rec.raw));
  const bool clean_text = valid_utf8 && !text.nul;
  plain_cells = clean_text && text.quote_free;
  if (!valid_utf8 && !rec.raw_truncated) ++non_utf8_rows;
  if (!text.quote_free) note_lone_cr(rec);
  lead_mapped = !clean_text;
  if (!clean_text) {
    mapper.map(rec.fields, lead, false);
    if (lead.repaired_encoding) rep.count_repaired_encoding();
  }
  const email_result& email = c.email;
  if (email.status == email_status::invalid) {
    r.email = c.cell;
    r.what = email.reason == email_reason::empty ? outcome::missing_email : outcome::invalid_email;
    r.reason = code(email.reason);
    r.detail = describe(email.reason);
    // A cell that only the repairs emptied ("Ann Lee <>", "''", "mailto:") held something:
    // not missing, but no address either.
    if (email.reason == email_reason::empty && !utf8::trim_space(c.cell).empty()) [[unlikely]] {
      r.what = outcome::invalid_email;
      r.reason = "no_address";
      r.detail = "nothing is left once the display name, quotes or mailto: are taken off";
    }
    return false;
  }
  r.email = email.sent;
  // The policy accepts what the API does not (contract §7.1: an ASCII local part of a set
  // without the backtick), and §11.4 says such a request is never sent: the server's own first
  // step would find the address invalid. Only those two cases can differ (fuzz_email checks the
  // rest), so the exact rule runs only for them.
  if (((email.flags & risk::smtputf8) != 0 || email.sent.find('`') != std::string_view::npos) &&
      !is_contract_email(email.sent)) {
    r.what = outcome::invalid_email;
    r.reason = "api_rule";
    r.detail =
        "the API takes only ASCII local parts of A-Z a-z 0-9 and !#$%&'*+/=?^_{|}~.- "
        "(contract 7.1)";
    r.flags = email.flags;
    rep.count_flags(email.flags);
    return false;
  }
  // Apollo writes this address for every contact whose address was not unlocked.
  if (email.key.size() == apollo_locked.size() && email.key == apollo_locked) [[unlikely]] {
    if (locked_rows++ == 0) locked_line = rec.line;
  }
  const auto first = seen.try_emplace(c.key, rec.line);
  if (!first.inserted) {
    r.what = outcome::duplicate_in_file;
    r.reason = "duplicate";
    detail = fmt::format("duplicate of line {}", first.line);
    r.detail = detail;
    return false;
  }
  r.flags = email.flags;
  rep.count_flags(email.flags);
  const bool typo = (email.flags & risk::typo) != 0 && !email.typo_suggestion.empty();
  if ((email.flags & opts.drop_flags) != 0) {
    r.what = outcome::dropped_risky;
    r.reason = dropped_flag(static_cast<std::uint8_t>(email.flags & opts.drop_flags));
    detail = typo ? fmt::format("risky: {} (did you mean {}?)", r.reason, email.typo_suggestion)
                  : fmt::format("risky: {}", r.reason);
    r.detail = detail;
    return false;
  }
  std::optional<outcome> skip = sets.check(c.key, c.domain, opts.filter);
  // A campaign export marks the leads that unsubscribed from the account: the server would skip
  // them as such, after the campaign and block list checks and before the other campaigns.
  if (const std::uint32_t col = mapper.mapping().unsubscribed_column;
      col != column_mapping::none && !opts.filter.ignore_unsubscribe_list &&
      (!skip || *skip == outcome::in_other_campaign) && col < rec.fields.size() &&
      ascii::iequals(ascii::trim_blanks(rec.fields[col]), "true")) [[unlikely]] {
    r.what = outcome::unsubscribed;
    r.reason = name(outcome::unsubscribed);
    detail = fmt::format("{} is true in the input", mapper.mapping().header[col]);
    r.detail = detail;
    return false;
  }
  if (skip) {
    r.what = *skip;
    r.reason = name(*skip);
    const std::string_view set = set_name(*skip);
    for (auto& st : rep.sets) {
      if (st.name == set) ++st.skipped;
    }
    return false;
  }
  if (typo) {
    detail = fmt::format("did you mean {}?", email.typo_suggestion);
    r.detail = detail;
  }
  if (clean_text && !cells_only) {
    mapper.map(rec.fields, lead, true);
    lead_mapped = true;
  }
  if (lead_mapped && lead.custom_dropped != 0 && capped_leads++ == 0) capped_line = rec.line;
  if (lead_mapped && lead.custom_json_bad && json_bad_leads++ == 0) json_bad_line = rec.line;
  return true;
}

void cpu_pipeline::impl::malformed(const csv_record& rec, std::size_t email_col, row_result& r) {
  r.what = outcome::malformed_row;
  r.reason = malformed_reason(rec.error);
  if (rec.error == csv_error::unterminated_quote || rec.error == csv_error::record_too_long) {
    detail = fmt::format("{}:{}: {}", reader.source().name(), rec.line, to_string(rec.error));
  } else {
    detail = fmt::format("{}:{}: {} (header has {} columns, row has {})", reader.source().name(),
                         rec.line, to_string(rec.error), reader.header().size(),
                         rec.field_count);
  }
  r.detail = detail;
  r.email = email_col < rec.fields.size() ? rec.fields[email_col]
                                          : cell_in_text(rec.raw, !rec.raw_truncated,
                                                         reader.delimiter(), email_col);
}

void cpu_pipeline::run(lead_sink& sink, outcome_sink& outcomes, report& rep,
                       const resume_point& resume, const std::atomic<bool>* stop) {
  impl& s = *impl_;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t since_progress = 0;
  const std::size_t email_col = s.mapper.mapping().column(lead_field::email);
  // 32 rows give the prefetches of stage one time to land; fewer for very wide files, whose
  // field views the reader holds per row of a batch.
  const std::size_t batch_size =
      std::clamp<std::size_t>((std::size_t{1} << 16) / (s.reader.header().size() + 1), 1, 32);
  s.batch.resize(batch_size);
  s.checked.resize(batch_size);
  const column_mapping& m = s.mapper.mapping();
  s.cells_only = sink.reads_cells() && m.custom_columns.size() <= max_custom_fields &&
                 m.json_custom_column == column_mapping::none && !m.guarded_cells;
  std::uint64_t bytes_read = 0;
  bool stopped = false;

  bool reserved = false;
  std::uint64_t last_line = 0;  // the last line of the last row handled
  while (!stopped) {
    std::size_t n = 0;
    try {
      n = s.reader.next_batch(s.batch);
    } catch (const source_error& e) {
      // A stop request while the input held back its next bytes: as one at a row boundary.
      if (e.code() == source_errc::stopped) {
        stopped = true;
        bytes_read = s.reader.bytes();
        break;
      }
      // The input cannot be read on (bytes not valid in its encoding, a truncated gzip): the
      // rows before are handled, and the message says where the rest begins.
      s.progress.clear();
      rep.add_bytes(s.reader.bytes());
      throw source_error(
          e.code(), last_line == 0 ? fmt::format("{}; no row after the header was read", e.what())
                                   : fmt::format("{}; rows up to line {} were read and have "
                                                 "their outcomes, the rest were not read",
                                                 e.what(), last_line));
    }
    if (n == 0) break;
    if (!reserved && s.reader.records() >= dedup_sample) {
      s.reserve_dedup(s.batch[n - 1]);
      reserved = true;
    }
    s.check_emails(n, email_col);
    for (std::size_t k = 0; k < n; ++k) {
      const csv_record& rec = s.batch[k];
      // A stop request ends reading at a row boundary; rows not handled are left for --resume.
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) {
        stopped = true;
        bytes_read = rec.offset;
        break;
      }
      last_line = rec.end_line;
      if (++since_progress == 65536) {
        since_progress = 0;
        const auto& src = s.reader.source();
        s.progress.update(fmt::format(
            "rows {} | {}", rep.rows_read(),
            progress_line::throughput(src.raw_bytes_read(), src.raw_size(),
                                      std::chrono::steady_clock::now() - t0)));
      }
      row_result r{rec.line, rec.offset, {}, outcome::accepted, {}, {}, 0, decided_by::local, 0,
                   rec.raw};
      if (rec.end_line - rec.line >= long_span_lines) [[unlikely]] {
        if (s.long_span_rows++ == 0) {
          s.long_span_line = rec.line;
          s.long_span_end = rec.end_line;
        }
      }
      if (rec.error == csv_error::unterminated_quote) [[unlikely]] {
        if (s.unclosed_rows++ == 0) s.unclosed_line = rec.line;
      }
      bool accepted = false;
      if (rec.error != csv_error::none) {
        s.malformed(rec, email_col, r);
        s.note_lone_cr(rec);
        s.note_footer(rec);
      } else {
        s.footer_rows = 0;
        accepted = s.decide(rec, s.checked[k], r, rep);
      }
      // Rows the earlier run settled: local ones and acknowledged leads are in its files already.
      const bool settled_before =
          resume.settled != nullptr
              ? resume.settled->contains(rec.line)
              : !accepted || (resume.acked != nullptr && resume.acked->contains(rec.line));
      if (rec.line <= resume.watermark && settled_before) {
        rep.count_resumed_row();
        continue;
      }
      rep.count_row_read();
      if (!accepted) {
        outcomes.local(r);
      } else {
        if (s.opts.record_accepted) outcomes.local(r);
        const email_result& e = s.checked[k].email;
        sink.accept({rec.line, rec.offset, e.sent, e.key, e.flags,
                     s.lead_mapped ? &s.lead : nullptr, s.plain_cells, rec.fields});
      }
      outcomes.row_finished(rec.line);
    }
  }
  s.stopped = stopped;
  if (!stopped) bytes_read = s.reader.bytes();
  s.progress.clear();
  rep.add_bytes(bytes_read);
  rep.set_blank_lines(s.reader.blank_lines());
  rep.input.size = s.reader.source().raw_bytes_read();
  rep.input.xxh3_128 = s.reader.source().raw_digest();
  // A warning of the run: printed at its end (closing()) and kept in the report.
  const auto warn = [&](std::string w) {
    s.run_warnings.push_back(w);
    rep.warnings.push_back(std::move(w));
  };
  if (s.lone_cr_rows != 0 && !s.reader.cr_line_endings()) {
    warn(fmt::format(
        "{}: {} rows hold a CR that is not part of a line ending, outside quotes: read as part "
        "of a cell, although a spreadsheet would start a new row there (see --rejects for "
        "rows it made too long)",
        s.opts.input, s.lone_cr_rows));
  }
  if (s.capped_leads != 0) {
    warn(fmt::format(
        "{}:{}: {} lead{} had more than {} non-empty custom fields, the API's limit per lead "
        "(this is the first): the first {}, in column order, were kept",
        s.opts.input, s.capped_line, s.capped_leads, s.capped_leads == 1 ? "" : "s",
        max_custom_fields, max_custom_fields));
  }
  if (s.footer_rows >= 2 && !stopped) {
    warn(fmt::format(
        "{}:{}: the last {} rows (lines {}-{}) hold one cell each and no address, like the "
        "footer of a report export (Salesforce's \"Grand Totals\" and copyright lines): "
        "counted as malformed_row (too_few_fields)",
        s.opts.input, s.footer_line, s.footer_rows, s.footer_line, s.footer_end));
  }
  if (s.locked_rows != 0) {
    warn(fmt::format(
        "{}:{}: {} row{} hold {}, which Apollo writes for a contact whose address it did not "
        "unlock (this is the first): the address is real mail to domain.com, so the first such "
        "row is imported as a lead and the others are its duplicates; unlock them in Apollo or "
        "take them out",
        s.opts.input, s.locked_line, s.locked_rows, s.locked_rows == 1 ? "" : "s",
        impl::apollo_locked));
  }
  if (s.json_bad_leads != 0) {
    warn(fmt::format(
        "{}:{}: {} lead{} had a '{}' cell that is not a JSON object of custom fields (this is "
        "the first): sent as the text of one custom field named '{}'",
        s.opts.input, s.json_bad_line, s.json_bad_leads, s.json_bad_leads == 1 ? "" : "s",
        m.header[m.json_custom_column], m.header[m.json_custom_column]));
  }
  if (s.unclosed_rows != 0) {
    warn(fmt::format(
        "{}:{}: {} row{} open a quote that never closes, or that a quote with text after it "
        "closes lines later (this is the first): each is rejected alone (unterminated_quote) "
        "and the lines after it are read as rows; if the quote is stray, remove it or double "
        "it (\"\")",
        s.opts.input, s.unclosed_line, s.unclosed_rows, s.unclosed_rows == 1 ? "" : "s"));
  }
  if (s.long_span_rows != 0) {
    warn(fmt::format(
        "{}:{}: {} row{} span {} lines or more (this one: lines {}-{}, {} lines): a quoted cell "
        "holds them all; if a stray quote opened it, the rows in between were read as that cell",
        s.opts.input, s.long_span_line, s.long_span_rows, s.long_span_rows == 1 ? "" : "s",
        long_span_lines + 1, s.long_span_line, s.long_span_end,
        s.long_span_end - s.long_span_line + 1));
  }
  if (const std::uint64_t n = s.reader.ignored_cells(); n != 0) {
    warn(fmt::format(
        "{}: {} cells under the header's unnamed last column{} were ignored (name the column "
        "to keep them as a custom field)",
        s.opts.input, n, s.reader.unnamed_trailing_columns() > 1 ? "s" : ""));
  }
  if (s.non_utf8_rows != 0 && s.reader.source().encoding() == "utf-8") {
    // --encoding auto only looks at the first MiB: past that it cannot help.
    const bool automatic = s.opts.source.encoding == "auto";
    warn(fmt::format(
        "{}: {} rows held bytes that are not UTF-8 (replaced by U+FFFD; an email cell holding "
        "them is rejected as bad_encoding); if the file was saved by a Windows spreadsheet, "
        "--encoding windows-1252{} reads it as such",
        s.opts.input, s.non_utf8_rows,
        automatic ? " (--encoding auto saw only UTF-8 in the first MiB)" : " or --encoding auto"));
  }
  for (auto& st : rep.sets) {
    if (st.name == "existing") st.bytes = table_bytes(s.sets.existing);
    if (st.name == "block_list") {
      st.bytes = table_bytes(s.sets.blocked_emails) + table_bytes(s.sets.blocked_domains);
    }
    if (st.name == "unsubscribed") st.bytes = table_bytes(s.sets.unsubscribed);
  }
  // The deduplication map is the one structure that grows with the input: report its cost.
  set_stats dedup;
  dedup.name = "dedup";
  dedup.source = "input";
  dedup.entries = s.seen.size();
  dedup.bytes = table_bytes(s.seen);
  rep.sets.push_back(std::move(dedup));
  if (const std::string& change = s.reader.source().changed_while_read(); !change.empty()) {
    // The rows read may mix two versions of the file (an export rewritten in place, a file
    // still being written): the outputs hold them, and the run fails so that no job takes them
    // for the file's rows.
    throw std::runtime_error(fmt::format(
        "{}: the file changed while it was read ({}): the outputs hold the rows read, which may "
        "mix two versions of it; run again once it is complete",
        s.opts.input, change));
  }
}

csv_lead_writer::csv_lead_writer(const std::string& path, const column_mapping& mapping)
    : out_(path, true), mapping_(mapping) {
  std::string& b = out_.buffer();
  for (std::size_t f = 0; f < lead_field_count; ++f) {
    if (f != 0) b.push_back(',');
    b.append(name(static_cast<lead_field>(f)));
  }
  for (auto col : mapping.custom_columns) {
    b.push_back(',');
    append_csv_cell(b, mapping.header[col]);
    phone_customs_ = phone_customs_ || (col < mapping.phone_like.size() && mapping.phone_like[col]);
  }
  b.push_back('\n');
}

void csv_lead_writer::accept(const accepted_lead& a) {
  if (a.lead == nullptr) return accept_cells(a);
  // One reservation for the whole row, then cells go in through a raw pointer: a std::string
  // append per cell (size checks, a memcpy call each) cost more than the cells themselves.
  const lead_view& lead = *a.lead;
  std::size_t bound = csv_cell_bound(a.sent_email.size()) + lead_field_count +
                      mapping_.custom_columns.size() + 1;
  for (std::size_t f = 1; f < lead_field_count; ++f) bound += csv_cell_bound(lead.field[f].size());
  for (const custom_value& c : lead.custom) bound += csv_cell_bound(c.value.size());
  if (mapping_.json_custom_column != column_mapping::none) {
    // The members of the custom_fields column's object, back in one object (escapes may make it
    // longer than they are).
    json_.clear();
    json_writer w(json_);
    w.begin_object();
    for (const custom_value& c : lead.custom) {
      if (c.from_json) w.key(c.key).value(c.value);
    }
    w.end_object();
    bound += csv_cell_bound(json_.size());
  }
  char* const start = out_.reserve(bound);
  // Every cell is the value an import sends, byte for byte: --out is made to be imported (by
  // leadpipe or SmartLead's own upload), where a formula mark would become data ("'=1+2", "'-"
  // for a phone left blank with a dash), and in the email it would make another valid address
  // of "+a@x.com" (policy stage 4 allows + - = there). The files made for reading in a
  // spreadsheet, --outcomes and --rejects, are the neutralised ones.
  char* p = put_csv_cell(start, a.sent_email, false);
  const auto put = [plain = a.plain_cells](char* at, std::string_view v) {
    return put_out_value(at, v, plain);
  };
  for (std::size_t f = 1; f < lead_field_count; ++f) {
    *p++ = ',';
    p = put(p, lead.field[f]);
  }
  // lead.custom is the non-empty subset of the custom columns, in column order; the members of
  // the custom_fields column's object stand in its place, and go back into one object.
  std::size_t k = 0;
  const auto& c = lead.custom;
  for (auto col : mapping_.custom_columns) {
    *p++ = ',';
    if (col == mapping_.json_custom_column && k < c.size() && c[k].from_json) {
      p = put(p, json_);
      while (k < c.size() && c[k].from_json) ++k;
      continue;
    }
    if (k < c.size() && !c[k].from_json && c[k].key.data() == mapping_.header[col].data()) {
      p = put(p, c[k].value);
      ++k;
    }
  }
  *p++ = '\n';
  out_.commit(p);
}

// accept() for a row whose cells need no repair, straight from them: each mapped cell trimmed
// as lead_mapper::map() trims it, in the same order, with the same quoting.
void csv_lead_writer::accept_cells(const accepted_lead& a) {
  const auto cells = a.cells;
  const auto cell = [&cells](std::uint32_t col) {
    return col < cells.size() ? ascii::trim_blanks(cells[col]) : std::string_view{};
  };
  std::size_t bound =
      csv_cell_bound(a.sent_email.size()) + lead_field_count + mapping_.custom_columns.size() + 1;
  for (const std::string_view c : cells) bound += csv_cell_bound(c.size());
  char* const start = out_.reserve(bound);
  char* p = put_csv_cell(start, a.sent_email, false);
  const auto put = [plain = a.plain_cells](char* at, std::string_view v) {
    return put_out_value(at, v, plain);
  };
  for (std::size_t f = 1; f < lead_field_count; ++f) {
    *p++ = ',';
    const std::uint32_t col = mapping_.field_column[f];
    if (col == column_mapping::none) continue;
    p = put(p, field_value(static_cast<lead_field>(f), cell(col)));
  }
  for (const std::uint32_t col : mapping_.custom_columns) {
    *p++ = ',';
    // phone_customs_ first: the common file has no phone column among its custom ones.
    const std::string_view v = cell(col);
    p = put(p, phone_customs_ && mapping_.phone_like[col] ? phone_value(v) : v);
  }
  *p++ = '\n';
  out_.commit(p);
}

void csv_lead_writer::close() { out_.close(); }

}  // namespace leadpipe
