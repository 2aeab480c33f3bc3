// leadpipe_csv_bench: fast-cpp-csv-parser's io::LineReader (raw line splitting) against
// csv_reader (record splitting with quotes, through byte_source) on the same seeded ~1 GB CSV of
// 15 columns, some quoted fields holding delimiters, doubled quotes and newlines. Both run from
// memory and from a file in the page cache. Results are checked against the generator's counts
// before any time is reported. Usage: leadpipe_csv_bench [megabytes=1024]
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include <fmt/format.h>
// libfccp's error types strncpy file names into fixed arrays; GCC flags that once inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#endif
#include <libfccp/csv.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "leadpipe/csv.hpp"
#include "leadpipe/source.hpp"

namespace {

struct expected {
  std::uint64_t rows = 0;         // data records (header excluded)
  std::uint64_t lines = 0;        // physical lines, header included
  std::uint64_t field_bytes = 0;  // unescaped bytes of all data fields
};

// Seeded generator of lead-like rows; tracks what a correct reader must find.
class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  static constexpr std::string_view header =
      "email,first_name,last_name,company,title,phone,website,linkedin,city,state,country,"
      "industry,employees,notes,source\n";

  void row(std::string& out, expected& ref) {
    const std::string_view first = pick(firsts_);
    const std::string_view last = pick(lasts_);
    const std::string_view company = pick(companies_);
    const auto n = rng_() % 100000;
    field(out, ref, fmt::format("{}.{}{}@{}.com", first, last, n, company));
    field(out, ref, first);
    field(out, ref, last);
    field(out, ref, company);
    field(out, ref, pick(titles_));
    field(out, ref, fmt::format("+1 555 {:07}", rng_() % 10000000));
    field(out, ref, fmt::format("https://{}.com", company));
    field(out, ref, fmt::format("https://linkedin.com/in/{}-{}-{}", first, last, n));
    field(out, ref, pick(cities_));
    field(out, ref, "CA");
    field(out, ref, "United States");
    field(out, ref, pick(industries_));
    field(out, ref, std::to_string(rng_() % 5000));
    notes(out, ref);
    field(out, ref, "import", '\n');
    ++ref.rows;
    ++ref.lines;
  }

 private:
  template <std::size_t N>
  std::string_view pick(const std::array<std::string_view, N>& a) {
    return a[rng_() % N];
  }

  static void field(std::string& out, expected& ref, std::string_view v, char end = ',') {
    out += v;
    out += end;
    ref.field_bytes += v.size();
  }

  // 8% of notes are quoted: with a delimiter, doubled quotes, or a CRLF/LF inside.
  void notes(std::string& out, expected& ref) {
    const auto dice = rng_() % 100;
    if (dice >= 8) {
      field(out, ref, dice % 3 == 0 ? "" : "met at conference");
      return;
    }
    std::string_view text = "called, left a message";
    std::uint64_t newlines = 0;
    if (dice < 3) {
      text = "first line\nsecond line, with comma\nthird";
      newlines = 2;
    } else if (dice < 5) {
      out += "\"said \"\"call me later\"\"\",";
      ref.field_bytes += std::string_view("said \"call me later\"").size();
      return;
    }
    out += '"';
    out += text;
    out += "\",";
    ref.field_bytes += text.size();
    ref.lines += newlines;
  }

  std::mt19937_64 rng_;
  std::array<std::string_view, 8> firsts_ = {"ann", "bob",   "chloe", "dmitri",
                                             "eve", "farah", "goran", "hiroko"};
  std::array<std::string_view, 8> lasts_ = {"smith",  "jones", "garcia",   "nguyen",
                                            "muller", "rossi", "kowalski", "tanaka"};
  std::array<std::string_view, 6> companies_ = {"acme",     "globex", "initech",
                                                "umbrella", "hooli",  "stark-industries"};
  std::array<std::string_view, 5> titles_ = {"CEO", "VP Sales", "Head of Growth",
                                             "Marketing Manager", "CTO"};
  std::array<std::string_view, 5> cities_ = {"San Francisco", "Los Angeles", "San Diego",
                                             "Sacramento", "Oakland"};
  std::array<std::string_view, 4> industries_ = {"Software", "Retail", "Finance", "Health"};
};

std::string shell_line(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    std::array<char, 256> buf{};
    if (std::fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) out = buf.data();
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);) {
    if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

long peak_rss_mb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

struct timing {
  double wall = 1e300;  // seconds, best of 3
  double cpu = 1e300;   // CPU seconds of the whole process (all threads), best of 3
};

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Runs `body` three times and keeps the best wall and CPU times. CPU time counts every thread
// (LineReader reads on a second one) and is steadier than wall time on a shared machine. `body`
// returns false when its result does not match the reference, which aborts the benchmark.
timing best_of_3(const char* what, const std::function<bool()>& body) {
  timing best;
  for (int i = 0; i < 3; ++i) {
    const double cpu0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    if (!body()) {
      fmt::print(stderr, "{}: result does not match the reference\n", what);
      std::exit(1);
    }
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
    best.wall = std::min(best.wall, wall.count());
    best.cpu = std::min(best.cpu, process_cpu_seconds() - cpu0);
  }
  return best;
}

bool run_line_reader(io::LineReader& lr, const expected& ref) {
  std::uint64_t lines = 0;
  std::uint64_t first_bytes = 0;
  while (const char* line = lr.next_line()) {
    ++lines;
    first_bytes += static_cast<unsigned char>(line[0]);
  }
  return lines == ref.lines && first_bytes != 0;
}

bool run_csv_reader(leadpipe::byte_source source, const expected& ref) {
  std::string message;
  auto opened = leadpipe::csv_reader::open(std::move(source), {}, &message);
  if (!opened) {
    fmt::print(stderr, "{}\n", message);
    return false;
  }
  leadpipe::csv_reader reader = std::move(opened).value();
  leadpipe::csv_record r;
  std::uint64_t rows = 0;
  std::uint64_t field_bytes = 0;
  std::uint64_t errors = 0;
  while (reader.next(r)) {
    ++rows;
    errors += r.error == leadpipe::csv_error::none ? 0 : 1;
    for (const std::string_view f : r.fields) field_bytes += f.size();
  }
  return rows == ref.rows && field_bytes == ref.field_bytes && errors == 0 &&
         reader.header().size() == 15;
}

void report(const char* what, std::uint64_t bytes, std::uint64_t records, const timing& t) {
  const auto mb = static_cast<double>(bytes) / 1e6;
  fmt::print("{:<42} {:>6.0f} MB/s {:>6.2f} M rec/s  {:>6.0f} MB per CPU-s  ({:.3f} s)\n", what,
             mb / t.wall, static_cast<double>(records) / 1e6 / t.wall, mb / t.cpu, t.wall);
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t megabytes = argc > 1 ? std::stoull(argv[1]) : 1024;
  fmt::print("leadpipe_csv_bench  machine: {}  compiler: g++ {}  commit: {}\n", cpu_model(),
             __VERSION__, shell_line("git -C " LEADPIPE_SOURCE_DIR " rev-parse --short HEAD"));

  // Generate straight to a file in blocks, so the file runs see no 1 GB string in memory.
  const std::string path = (std::filesystem::temp_directory_path() /
                            fmt::format("leadpipe-csv-bench-{}.csv", ::getpid()))
                               .string();
  expected ref;
  {
    std::ofstream out(path, std::ios::binary);
    generator gen(42);
    std::string block(generator::header);
    ref.lines = 1;
    std::uint64_t written = 0;
    while (written < megabytes * 1'000'000) {
      while (block.size() < (1U << 20)) gen.row(block, ref);
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
      written += block.size();
      block.clear();
    }
    if (!out) {
      fmt::print(stderr, "cannot write {}\n", path);
      return 1;
    }
  }
  const std::uint64_t size = std::filesystem::file_size(path);
  fmt::print("data: {:.0f} MB, {} records, {} lines, 15 columns (MB = 10^6 bytes, best of 3)\n\n",
             static_cast<double>(size) / 1e6, ref.rows, ref.lines);

  const timing csv_file = best_of_3(
      "csv_reader (file)", [&] { return run_csv_reader(leadpipe::byte_source::open(path), ref); });
  report("csv_reader, file (read + xxh3 + records)", size, ref.rows, csv_file);
  const long csv_rss = peak_rss_mb();
  const timing lr_file = best_of_3("LineReader (file)", [&] {
    io::LineReader lr(path);
    return run_line_reader(lr, ref);
  });
  report("io::LineReader, file (lines only)", size, ref.lines, lr_file);
  const long lr_rss = peak_rss_mb();

  std::string data(size, '\0');
  {
    std::ifstream in(path, std::ios::binary);
    in.read(data.data(), static_cast<std::streamsize>(size));
  }
  std::filesystem::remove(path);
  const timing csv_mem = best_of_3("csv_reader (memory)", [&] {
    return run_csv_reader(leadpipe::byte_source::from_memory(data, "bench.csv"), ref);
  });
  report("csv_reader, memory (xxh3 + records)", size, ref.rows, csv_mem);
  const timing lr_mem = best_of_3("LineReader (memory)", [&] {
    io::LineReader lr("bench.csv", data.data(), data.data() + data.size());
    return run_line_reader(lr, ref);
  });
  report("io::LineReader, memory (lines only)", size, ref.lines, lr_mem);

  fmt::print("\npeak RSS: {} MB after the csv_reader file runs, {} MB after LineReader's\n",
             csv_rss, lr_rss);
  fmt::print(
      "csv_reader / LineReader: wall {:.2f}x file, {:.2f}x memory; CPU {:.2f}x file, "
      "{:.2f}x memory\n",
      lr_file.wall / csv_file.wall, lr_mem.wall / csv_mem.wall, lr_file.cpu / csv_file.cpu,
      lr_mem.cpu / csv_mem.cpu);
  return 0;
}
