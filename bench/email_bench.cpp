// leadpipe_email_bench: the validate stage (email_validator::validate) over a seeded mix of email
// cells: typical ASCII addresses in several spellings, risky ones (role, placeholder,
// disposable, typo, smtputf8), invalid ones of many kinds and some internationalised domains.
// Every cell's expected status comes from the generator; the counts are checked before any time
// is reported. Usage: leadpipe_email_bench [cells=1000000] [passes=5]
#include <sys/resource.h>
#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "leadpipe/email.hpp"

namespace {

using leadpipe::email_status;

struct cell {
  std::size_t offset;
  std::size_t size;
  email_status expected;
  bool ascii_accepted;  // part of the "typical ASCII address" subset
};

// Deterministic mix: std::mt19937_64's output sequence is fixed by the standard.
class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  void add(std::string& arena, std::vector<cell>& cells) {
    const std::size_t start = arena.size();
    const std::uint64_t roll = rng_() % 1000;
    email_status status = email_status::valid;
    bool ascii = false;
    if (roll < 780) {
      typical(arena);
      ascii = true;
    } else if (roll < 880) {
      status = email_status::risky;
      ascii = risky(arena);
    } else if (roll < 970) {
      status = email_status::invalid;
      invalid(arena);
    } else {
      idn(arena);
    }
    cells.push_back({start, arena.size() - start, status, ascii});
  }

 private:
  template <std::size_t N>
  std::string_view pick(const std::array<std::string_view, N>& a) {
    return a[rng_() % N];
  }

  void typical(std::string& out) {
    const auto first = pick(firsts_);
    const auto last = pick(lasts_);
    const auto domain = pick(domains_);
    const auto n = rng_() % 1000;
    switch (rng_() % 6) {
      case 0:
        out += fmt::format("{}.{}@{}", first, last, domain);
        break;
      case 1:
        out += fmt::format("{}{}{}@{}", first[0], last, n, domain);
        break;
      case 2:
        out += fmt::format("  {}.{}@{} ", first, last, domain);
        break;  // stray spaces
      case 3:
        out += fmt::format("\"{} {}\" <{}.{}@{}>", first, last, first, last, domain);
        break;
      case 4:
        out += fmt::format("{}_{}+leads@{}", first, last, domain);
        break;
      default: {
        std::string upper = fmt::format("{}.{}@{}", first, last, domain);
        for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
        out += upper;
      }
    }
  }

  bool risky(std::string& out) {
    switch (rng_() % 5) {
      case 0:
        out += fmt::format("{}@{}", pick(roles_), pick(domains_));
        return true;
      case 1:
        out += fmt::format("test@{}", pick(domains_));
        return true;
      case 2:
        out += fmt::format("{}{}@mailinator.com", pick(firsts_), rng_() % 100);
        return true;
      case 3:
        out += fmt::format("{}@gmial.com", pick(lasts_));
        return true;
      default:
        out += fmt::format("josé.{}@{}", pick(lasts_), pick(domains_));
        return false;
    }
  }

  void invalid(std::string& out) {
    const auto first = pick(firsts_);
    const auto domain = pick(domains_);
    switch (rng_() % 10) {
      case 0:
        out += fmt::format("{}.{}", first, domain);
        break;  // no @
      case 1:
        out += fmt::format("{}@@{}", first, domain);
        break;
      case 2:
        out += fmt::format("{}@{}.", first, domain);
        break;  // trailing dot
      case 3:
        out += fmt::format("{} smith@{}", first, domain);
        break;  // space
      case 4:
        out += fmt::format("{}@{}_corp.com", first, first);
        break;  // underscore
      case 5:
        out += fmt::format("{}@example.com", first);
        break;  // reserved
      case 6:
        out += fmt::format("{}@{}.zz", first, first);
        break;  // unknown TLD
      case 7:
        out += fmt::format("\"{}\"@{}", first, domain);
        break;  // quoted local part
      case 8:
        out += fmt::format("{}@{}, x@{}", first, domain, domain);
        break;
      default:
        break;  // empty cell
    }
  }

  void idn(std::string& out) {
    static constexpr std::array<std::string_view, 3> idn_domains = {"bücher.ch", "東京.jp",
                                                                    "straße.de"};
    out += fmt::format("{}@{}", pick(lasts_), pick(idn_domains));
  }

  std::mt19937_64 rng_;
  static constexpr std::array<std::string_view, 8> firsts_ = {"john", "maria", "wei",  "fatima",
                                                              "olga", "pedro", "aiko", "liam"};
  static constexpr std::array<std::string_view, 8> lasts_ = {
      "smith", "garcia", "chen", "khan", "ivanova", "silva", "tanaka", "murphy"};
  static constexpr std::array<std::string_view, 10> domains_ = {
      "acme.com",        "example-corp.co.uk", "bigcompany.io", "univ.edu",     "startup.dev",
      "mail.company.de", "globex.fr",          "initech.com",   "umbrella.org", "gmail.com"};
  static constexpr std::array<std::string_view, 4> roles_ = {"info", "sales", "support",
                                                             "no-reply"};
};

struct counts {
  std::size_t valid = 0, risky = 0, invalid = 0;
  void add(email_status s) {
    (s == email_status::valid ? valid : s == email_status::risky ? risky : invalid) += 1;
  }
  bool operator==(const counts&) const = default;
};

// CPU time of this thread: on a shared machine it does not count the time other processes hold
// the core, which wall-clock time would.
double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Best-of-`passes` thread CPU time over `subset`, in nanoseconds per cell.
template <class Pred>
double time_cells(const leadpipe::email_validator& v, std::string_view arena,
                  const std::vector<cell>& cells, int passes, Pred&& keep, std::size_t& n,
                  std::size_t& bytes) {
  std::vector<std::string_view> subset;
  bytes = 0;
  for (const cell& c : cells) {
    if (!keep(c)) continue;
    subset.push_back(arena.substr(c.offset, c.size));
    bytes += c.size;
  }
  n = subset.size();
  leadpipe::email_result r;
  double best = 1e300;
  std::size_t sink = 0;
  for (int p = 0; p < passes; ++p) {
    const double t0 = thread_cpu_ns();
    for (const std::string_view s : subset) {
      v.validate(s, r);
      sink += r.sent.size();
    }
    best = std::min(best, thread_cpu_ns() - t0);
  }
  if (sink == 0) std::puts("(no output)");  // keeps the loop observable
  return best / static_cast<double>(n);
}

void print_machine() {
  utsname u{};
  uname(&u);
  std::string cpu = "unknown cpu";
  if (std::FILE* f = std::fopen("/proc/cpuinfo", "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      const std::string_view l(line);
      if (l.starts_with("model name")) {
        cpu = std::string(l.substr(l.find(':') + 2));
        if (!cpu.empty() && cpu.back() == '\n') cpu.pop_back();
        break;
      }
    }
    std::fclose(f);
  }
  const char* commit = std::getenv("LEADPIPE_COMMIT");
  fmt::print("machine: {} {} ({}), compiler: g++ {}, commit: {}\n", u.sysname, u.machine, cpu,
             __VERSION__, commit != nullptr ? commit : "unknown (set LEADPIPE_COMMIT)");
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const int passes = argc > 2 ? std::atoi(argv[2]) : 5;
  print_machine();

  const auto load0 = std::chrono::steady_clock::now();
  const leadpipe::email_validator validator(leadpipe::email_options{});
  const auto load1 = std::chrono::steady_clock::now();
  fmt::print("start-up (disposable list + public suffix list): {:.1f} ms\n",
             std::chrono::duration<double, std::milli>(load1 - load0).count());

  std::string arena;
  std::vector<cell> cells;
  cells.reserve(total);
  generator gen(20240611);
  for (std::size_t i = 0; i < total; ++i) gen.add(arena, cells);

  // Reference check before timing: each cell's status against the generator's expectation.
  counts want;
  counts got;
  std::size_t mismatches = 0;
  leadpipe::email_result r;
  for (const cell& c : cells) {
    const std::string_view s = std::string_view(arena).substr(c.offset, c.size);
    validator.validate(s, r);
    want.add(c.expected);
    got.add(r.status);
    if (r.status != c.expected && mismatches++ < 5) {
      fmt::print(stderr, "mismatch: '{}' is {} ({}), expected {}\n", s, code(r.status),
                 code(r.reason), code(c.expected));
    }
  }
  fmt::print("cells: {} (valid {}, risky {}, invalid {})\n", cells.size(), got.valid, got.risky,
             got.invalid);
  if (mismatches != 0 || !(want == got)) {
    fmt::print(stderr,
               "reference check failed: {} cells differ; expected valid {}, risky {}, "
               "invalid {}\n",
               mismatches, want.valid, want.risky, want.invalid);
    return 1;
  }

  std::size_t n = 0;
  std::size_t bytes = 0;
  const double mix_ns = time_cells(
      validator, arena, cells, passes, [](const cell&) { return true; }, n, bytes);
  fmt::print("best of {} passes, thread cpu time:\n", passes);
  fmt::print("full mix:            {:7.1f} ns/address  {:6.2f} M addresses/s  {:7.1f} MB/s\n",
             mix_ns, 1e3 / mix_ns,
             static_cast<double>(bytes) / (mix_ns * static_cast<double>(n)) * 1e3);
  const double ascii_ns = time_cells(
      validator, arena, cells, passes, [](const cell& c) { return c.ascii_accepted; }, n, bytes);
  fmt::print("typical ascii ({:>7}): {:5.1f} ns/address  {:6.2f} M addresses/s  {:7.1f} MB/s\n", n,
             ascii_ns, 1e3 / ascii_ns,
             static_cast<double>(bytes) / (ascii_ns * static_cast<double>(n)) * 1e3);

  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  fmt::print("peak memory: {:.1f} MB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
  return 0;
}
