// Fuzz target "journal": the import journal's reader (parse_journal / read_journal) and its
// writer (journal.hpp).
//
// Input: 1 mode byte, then:
//   mode&3 == 0  the journal's bytes as they are
//   mode&3 == 1  journal lines whose CRCs the harness writes: each LF-terminated line becomes
//                "<crc32> <line>"; an unterminated last piece is kept as it is (a torn tail)
//   otherwise    a program for journal_writer: five NUL-terminated identity strings (base_url,
//                input_path, input_xxh3, outcomes_path, settings), then operations, one byte
//                each plus operands (see run_program)
//
// Promises checked: a journal the reader accepts stays readable after reopen() and one more
// record; every prefix of an accepted journal is accepted (a crash can cut the file anywhere)
// and knows no more than the whole; what the writer wrote reads back exactly, identity strings
// included (paths are bytes: a Latin-1 file name must come back as it was).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <vector>

#include <zlib.h>

#include <fmt/format.h>

#include "fuzz_entries.hpp"
#include "leadpipe/journal.hpp"

namespace leadpipe::fuzz {
namespace {

std::string framed(std::string_view lines) {
  std::string out;
  while (!lines.empty()) {
    const std::size_t nl = lines.find('\n');
    if (nl == std::string_view::npos) {
      out.append(lines);
      break;
    }
    const std::string_view payload = lines.substr(0, nl);
    const auto crc = ::crc32(0L, reinterpret_cast<const Bytef*>(payload.data()),
                             static_cast<uInt>(payload.size()));
    out += fmt::format("{:08x} {}\n", crc, payload);
    lines.remove_prefix(nl + 1);
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  check(static_cast<bool>(out), "cannot write the scratch journal " + path);
}

// What a journal_writer was told, for comparison with what read_journal finds.
struct model {
  journal_identity id;
  std::set<std::uint64_t> acked;
  std::uint64_t batches = 0;
  std::uint64_t max_batch = 0;
  std::uint64_t max_dispatched = 0;
  journal_checkpoint last;
  bool finished = false;
};

std::uint64_t take_number(input_reader& in) {
  // One byte of size, then that many bytes (little-endian): small numbers stay likely.
  const unsigned n = in.take() % 9U;
  std::uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= std::uint64_t{in.take()} << (8 * i);
  return v;
}

std::string take_string(std::string_view& rest) {
  const std::size_t end = rest.find('\0');
  const std::string s(rest.substr(0, end));
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  return s;
}

journal_checkpoint take_checkpoint(input_reader& in) {
  journal_checkpoint cp;
  cp.watermark_line = take_number(in);
  cp.outcomes_bytes = take_number(in);
  cp.rejects_bytes = take_number(in);
  return cp;
}

void check_same(const journal_state& st, const model& m, std::string_view where) {
  const auto& id = st.identity;
  check(id.base_url == m.id.base_url && id.input_path == m.id.input_path &&
            id.input_xxh3 == m.id.input_xxh3 && id.outcomes_path == m.id.outcomes_path &&
            id.rejects_path == m.id.rejects_path && id.settings == m.id.settings &&
            id.campaign_id == m.id.campaign_id && id.input_size == m.id.input_size,
        fmt::format("{}: identity does not read back", where));
  check(st.batches_acked == m.batches && st.max_batch_id == m.max_batch &&
            st.max_dispatched_line == m.max_dispatched && st.finished == m.finished &&
            st.last.watermark_line == m.last.watermark_line &&
            st.last.outcomes_bytes == m.last.outcomes_bytes &&
            st.last.rejects_bytes == m.last.rejects_bytes && !st.torn_tail,
        fmt::format("{}: records do not read back (batches {} vs {}, max batch {} vs {})", where,
                    st.batches_acked, m.batches, st.max_batch_id, m.max_batch));
  check(st.acked_lines.size() == m.acked.size(),
        fmt::format("{}: {} acknowledged lines read back, {} written", where, st.acked_lines.size(),
                    m.acked.size()));
  for (const std::uint64_t line : m.acked) {
    check(st.acked_lines.contains(line), fmt::format("{}: line {} lost", where, line));
  }
}

class journal_target final : public target {
 public:
  journal_target() {
    std::error_code ec;
    const std::filesystem::path shm = "/dev/shm";
    // fdatasync per record: on tmpfs it costs nothing, on a disk it would dominate the run.
    const auto dir = std::filesystem::is_directory(shm, ec) && ::access("/dev/shm", W_OK) == 0
                         ? shm
                         : std::filesystem::temp_directory_path();
    path_ = (dir / fmt::format("leadpipe-fuzz-{}.journal", ::getpid())).string();
  }
  journal_target(const journal_target&) = delete;
  journal_target& operator=(const journal_target&) = delete;
  ~journal_target() override {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  void run(std::span<const std::uint8_t> input) override {
    input_reader in(input);
    const unsigned mode = in.take() & 3U;
    if (mode >= 2) {
      run_program(in);
      return;
    }
    const std::string text = mode == 1 ? framed(in.rest()) : std::string(in.rest());
    std::string message;
    const auto st = parse_journal(text, "fuzz.journal", &message);
    if (!st) {
      check(message.starts_with("fuzz.journal"), "a journal error that does not name the file");
      return;
    }
    check_prefixes(text, *st);
    check_reopen(text, *st);
  }

 private:
  // Every cut after the first line is a journal a crash could leave: it must read, with no
  // more batches than the whole.
  static void check_prefixes(std::string_view text, const journal_state& whole) {
    const std::size_t first = text.find('\n') + 1;
    const std::size_t step = std::max<std::size_t>(1, text.size() / 16);
    for (std::size_t cut = first; cut < text.size(); cut += step) {
      std::string message;
      const auto st = parse_journal(text.substr(0, cut), "fuzz.journal", &message);
      check(st.has_value(),
            fmt::format("the journal's first {} bytes are refused: {}", cut, message));
      check(st->batches_acked <= whole.batches_acked &&
                st->acked_lines.size() <= whole.acked_lines.size(),
            "a prefix of the journal knows more than the whole");
    }
  }

  // --resume reads, reopens and appends: what it appends must not make the journal unreadable.
  void check_reopen(std::string_view text, const journal_state& st) {
    write_file(path_, text);
    {
      auto w = journal_writer::reopen(path_);
      w.record_dispatch(st.max_batch_id, st.max_dispatched_line);
    }
    std::string message;
    const auto after = read_journal(path_, &message);
    check(after.has_value(), "reopen + one record made an accepted journal unreadable: " + message);
    check(after->batches_acked == st.batches_acked && !after->torn_tail &&
              after->max_batch_id == st.max_batch_id &&
              after->max_dispatched_line == st.max_dispatched_line &&
              after->acked_lines.size() == st.acked_lines.size(),
          "reopen lost or invented records");
  }

  void run_program(input_reader& in) {
    std::string_view rest = in.rest();
    model m;
    m.id.base_url = take_string(rest);
    m.id.input_path = take_string(rest);
    m.id.input_xxh3 = take_string(rest);
    m.id.outcomes_path = take_string(rest);
    m.id.settings = take_string(rest);
    input_reader ops(std::span(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()));
    m.id.campaign_id = static_cast<std::int64_t>(take_number(ops));
    m.id.input_size = take_number(ops);

    std::optional<journal_writer> w(journal_writer::create(path_, m.id));
    std::vector<std::uint64_t> lines;
    for (unsigned steps = 0; !ops.rest().empty() && steps < 64; ++steps) {
      const std::uint8_t op = ops.take();
      switch (op % 4U) {
        case 0: {
          const std::uint64_t batch = take_number(ops);
          lines.assign(ops.take() % 16U, 0);
          for (auto& l : lines) l = take_number(ops);
          const journal_checkpoint cp = take_checkpoint(ops);
          w->record_batch(batch, lines, cp);
          m.acked.insert(lines.begin(), lines.end());
          ++m.batches;
          m.max_batch = std::max(m.max_batch, batch);
          m.last = cp;
          m.finished = false;  // a batch after the finish record: a resume reopened the job
          break;
        }
        case 1: {
          const std::uint64_t batch = take_number(ops);
          const std::uint64_t line = take_number(ops);
          w->record_dispatch(batch, line);
          m.max_batch = std::max(m.max_batch, batch);
          m.max_dispatched = std::max(m.max_dispatched, line);
          break;
        }
        case 2:
          m.last = take_checkpoint(ops);
          w->record_finished(m.last);
          m.finished = true;
          break;
        default:
          w.reset();
          w.emplace(journal_writer::reopen(path_));
          break;
      }
    }
    w.reset();
    std::string message;
    const auto st = read_journal(path_, &message);
    check(st.has_value(), "the writer's journal is refused: " + message);
    check_same(*st, m, "written journal");
    check_prefixes(read_file(path_), *st);
  }

  std::string path_;
};

}  // namespace

std::unique_ptr<target> make_journal_target() { return std::make_unique<journal_target>(); }

}  // namespace leadpipe::fuzz
