// The filter stage's sets: list files loaded through the identity fast path hold exactly the
// fingerprints the full validator gives, on generated lists and rows (Unicode, invalid and
// risky addresses included), and check() keeps the server's order.
#include "leadpipe/server_sets.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>

#include "leadgen_generate.hpp"
#include "leadpipe/csv.hpp"
#include "leadpipe/email.hpp"
#include "leadpipe/source.hpp"

using namespace leadpipe;
namespace fs = std::filesystem;

namespace {

const email_validator& shared_validator(bool fold) {
  static const email_validator plain(email_options{});
  static const email_validator folding(email_options{true, {}, {}});
  return fold ? folding : plain;
}

// A seeded lead file and three lists in a fresh directory, removed at the end of the test.
struct generated {
  fs::path dir;
  leadgen::gen_options g;

  explicit generated(std::uint64_t rows) {
    dir = fs::temp_directory_path() / ("leadpipe_server_sets_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    g.rows = rows;
    g.seed = 11;
    g.out = (dir / "leads.csv").string();
    g.rates = {.duplicate = 0.05, .invalid = 0.05, .missing = 0.02, .risky = 0.05, .role = 0.05,
               .multiline = 0.02, .extra_column = 0.0, .short_row = 0.0, .unicode = 0.10};
    g.block = {(dir / "block.txt").string(), 3000, 0.3};
    g.block_domain_count = 20;
    g.unsubscribed = {(dir / "unsub.txt").string(), 2000, 0.3};
    g.existing = {(dir / "existing.txt").string(), 4000, 0.3};
    REQUIRE(leadgen::generate(g).has_value());
  }
  ~generated() { fs::remove_all(dir); }
  generated(const generated&) = delete;
  generated& operator=(const generated&) = delete;
};

// Every cell of column `column` (or of the only column) of a CSV or one-per-line file.
std::vector<std::string> cells(const std::string& path, std::string_view column) {
  auto reader = csv_reader::open(byte_source::open(path));
  REQUIRE(reader.has_value());
  std::vector<std::string> out;
  std::size_t col = 0;
  const auto& header = reader->header();
  if (column.empty()) {
    out.push_back(header[0]);  // a list without header: its first line is an entry
  } else {
    while (col < header.size() && header[col] != column) ++col;
    REQUIRE(col < header.size());
  }
  csv_record rec;
  while (reader->next(rec)) {
    if (col < rec.fields.size()) out.emplace_back(rec.fields[col]);
  }
  return out;
}

// identity() against validate() with a fresh result (no memo), and a warm validate() too.
void check_cells(const std::vector<std::string>& all, bool fold) {
  const email_validator& v = shared_validator(fold);
  email_result id;
  email_result warm;
  std::size_t valid = 0;
  for (const std::string& c : all) {
    CAPTURE(c);
    email_result fresh;
    v.validate(c, fresh);
    v.identity(c, id);
    v.validate(c, warm);
    CHECK(code(id.reason) == code(fresh.reason));
    CHECK(id.sent == fresh.sent);
    CHECK(id.key == fresh.key);
    CHECK(code(warm.status) == code(fresh.status));
    CHECK(warm.flags == fresh.flags);
    CHECK(warm.typo_suggestion == fresh.typo_suggestion);
    CHECK(warm.sent == fresh.sent);
    CHECK(warm.key == fresh.key);
    valid += fresh.status != email_status::invalid ? 1 : 0;
  }
  CHECK(valid > all.size() / 2);  // the comparison is not all about invalid cells
}

}  // namespace

TEST_CASE("identity() and the memo agree with validate() on generated rows and lists") {
  const generated gen(20000);
  for (const bool fold : {false, true}) {
    CAPTURE(fold);
    check_cells(cells(gen.g.out, "Email"), fold);
    check_cells(cells(gen.g.block.path, {}), fold);
    check_cells(cells(gen.g.unsubscribed.path, {}), fold);
    check_cells(cells(gen.g.existing.path, {}), fold);
  }
}

TEST_CASE("load_list holds exactly the fingerprints of validate()'s keys and domains") {
  const generated gen(5000);
  for (const bool fold : {false, true}) {
    CAPTURE(fold);
    const email_validator& v = shared_validator(fold);
    key_set emails;
    key_set domains;
    const list_stats st = load_list(gen.g.block.path, v, emails, &domains);
    key_set want_emails;
    key_set want_domains;
    email_result r;
    std::uint64_t invalid = 0;
    for (const std::string& c : cells(gen.g.block.path, {})) {
      const bool is_domain = c.find('@') == std::string::npos;
      v.validate(is_domain ? "x@" + c : c, r);
      if (r.status == email_status::invalid) {
        ++invalid;
      } else if (is_domain) {
        want_domains.insert(fingerprint_of(domain_of(r.sent)));
      } else {
        want_emails.insert(fingerprint_of(r.key));
      }
    }
    CHECK(st.invalid == invalid);
    CHECK(st.domains == 20);
    CHECK(emails.size() == want_emails.size());
    CHECK(domains.size() == want_domains.size());
    for (const fingerprint& f : want_emails) CHECK(emails.contains(f));
    for (const fingerprint& f : want_domains) CHECK(domains.contains(f));
  }
}

TEST_CASE("a big list is sized from its first entries, not grown") {
  const fs::path path = fs::temp_directory_path() /
                        ("leadpipe_server_sets_big_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream out(path);
    for (int i = 0; i < 50000; ++i) out << "person" << i << "@company" << i % 977 << ".com\n";
  }
  key_set emails;
  const list_stats st = load_list(path.string(), shared_validator(false), emails, nullptr);
  fs::remove(path);
  CHECK(st.emails == 50000);
  CHECK(emails.size() == 50000);
  // Reserved for about 50000 at a load of 0.8 (a little over, from the estimate): no doubling.
  CHECK(emails.bucket_count() >= 50000 * 5 / 4);
  CHECK(emails.bucket_count() < 50000 * 3 / 2);
}

TEST_CASE("a list with entries but none valid stops the run instead of filtering nothing") {
  const fs::path path = fs::temp_directory_path() /
                        ("leadpipe_server_sets_bad_" + std::to_string(::getpid()) + ".txt");
  const auto load = [&](const std::string& bytes, key_set* domains) {
    std::ofstream(path, std::ios::binary) << bytes;
    key_set emails;
    return load_list(path.string(), shared_validator(false), emails, domains);
  };
  const auto message = [&](const std::string& bytes, key_set* domains) {
    try {
      (void)load(bytes, domains);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  key_set domains;
  // UTF-16 without a byte-order mark: every entry holds NULs, and the message says so.
  std::string u16;
  for (const char c : std::string("email\r\nann@acme.io\r\n")) u16 += {c, '\0'};
  CHECK(message(u16, &domains).find("looks like UTF-16 without a byte-order mark") !=
        std::string::npos);
  // Domains in a list that takes only addresses: the first problem is shown, escaped.
  const std::string m = message("acme.io\nnot\tvalid\n", nullptr);
  CHECK(m.find("none of its 2 entries is a valid address; the first: ") != std::string::npos);
  CHECK(m.find("'acme.io' is not a valid address") != std::string::npos);
  // Some valid entries: the invalid ones are counted and shown with control bytes escaped.
  const list_stats st = load("ann@acme.io\nbad\tentry\n", nullptr);
  CHECK(st.emails == 1);
  CHECK(st.invalid == 1);
  REQUIRE(st.problems.size() == 1);
  CHECK(st.problems[0].find("'bad\\x09entry'") != std::string::npos);
  // Only comments and blank lines: an empty list, not an error.
  CHECK(load("# nothing yet\n\n", &domains).lines == 0);
  fs::remove(path);
}

// Suppression exports often carry an email and a domain column side by side, and write a whole
// domain as "@rival.io" (as `block add` takes it): a block list reads both columns and both
// forms; a list of addresses reads its address column and leaves a domain column alone.
TEST_CASE("a block list reads its email and domain columns, and @domain entries") {
  const fs::path path = fs::temp_directory_path() /
                        ("leadpipe_server_sets_cols_" + std::to_string(::getpid()) + ".csv");
  std::ofstream(path) << "Email,Domain,Reason\nx@acme.io,acme.io,competitor\n,rival.io,x\n"
                         "@other.io,,y\ny@ok.io,,z\n";
  const email_validator& v = shared_validator(false);
  key_set emails;
  key_set domains;
  const list_stats st = load_list(path.string(), v, emails, &domains);
  CHECK(st.emails == 2);
  CHECK(st.domains == 3);
  CHECK(st.invalid == 0);
  for (const char* d : {"acme.io", "rival.io", "other.io"}) {
    CAPTURE(d);
    CHECK(domains.contains(fingerprint_of(d)));
  }
  key_set addresses;
  const list_stats only = load_list(path.string(), v, addresses, nullptr);
  CHECK(only.emails == 2);
  CHECK(only.invalid == 1);  // "@other.io" in the Email column is no address
  CHECK(addresses.size() == 2);
  // `block list`'s own CSV guards formula-like entries with a quote: the entry is what follows.
  std::ofstream(path) << "id,email_or_domain,client_id,source,created_at\n"
                         "1,\"'=eq@rt-test.com\",,api,t\n2,\"'-john@rt-test.com\",,api,t\n"
                         "3,\"'@rival.io\",,api,t\n";
  key_set own;
  key_set own_domains;
  const list_stats back = load_list(path.string(), v, own, &own_domains);
  CHECK(back.emails == 2);
  CHECK(back.domains == 1);
  CHECK(back.invalid == 0);
  email_result r;
  for (const char* e : {"=eq@rt-test.com", "-john@rt-test.com"}) {
    CAPTURE(e);
    v.identity(e, r);
    CHECK(own.contains(fingerprint_of(r.key)));
  }
  CHECK(own_domains.contains(fingerprint_of("rival.io")));
  // Unicode white space around an entry (a no-break space pasted from a web page) is trimmed,
  // as policy stage 1.1 trims it around an address.
  std::ofstream(path) << "\xC2\xA0nbsp.io\n\xC2\xA0nb@acme.io\xE2\x80\x83\n";
  key_set pasted;
  key_set pasted_domains;
  const list_stats nb = load_list(path.string(), v, pasted, &pasted_domains);
  CHECK(nb.invalid == 0);
  CHECK(pasted_domains.contains(fingerprint_of("nbsp.io")));
  v.identity("nb@acme.io", r);
  CHECK(pasted.contains(fingerprint_of(r.key)));
  fs::remove(path);
}

TEST_CASE("check() answers in the server's order; prefetch() changes nothing") {
  server_sets s;
  const fingerprint key = fingerprint_of("ann@acme.com");
  const fingerprint domain = fingerprint_of("acme.com");
  filter_options o;
  s.prefetch(key, domain, o);  // empty sets
  CHECK_FALSE(s.check(key, domain, o).has_value());
  s.unsubscribed.insert(key);
  CHECK(s.check(key, domain, o) == outcome::unsubscribed);
  s.blocked_domains.insert(domain);
  CHECK(s.check(key, domain, o) == outcome::blocked);
  s.existing.insert(key);
  s.prefetch(key, domain, o);
  CHECK(s.check(key, domain, o) == outcome::already_in_campaign);
  s.existing.clear();
  o.ignore_global_block_list = true;
  CHECK(s.check(key, domain, o) == outcome::unsubscribed);
  o.ignore_unsubscribe_list = true;
  CHECK_FALSE(s.check(key, domain, o).has_value());
  o.skip_in_other_campaigns = true;
  s.other_campaigns.insert(key);
  CHECK(s.check(key, domain, o) == outcome::in_other_campaign);
}
