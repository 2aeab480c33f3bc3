#include "leadgen_fixture.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <system_error>

#include "leadpipe/json_writer.hpp"

namespace leadpipe::leadgen {
namespace {

struct file_closer {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

// Calls `fn(line)` for each line of the file at `path` (line endings removed, blank lines
// skipped). Stops at the first failure of `fn`.
template <class Fn>
gen_result<> for_each_line(const std::string& path, Fn&& fn) {
  std::unique_ptr<std::FILE, file_closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    return gen_error{path + ": cannot read: " + std::generic_category().message(errno)};
  }
  char* line = nullptr;
  std::size_t capacity = 0;
  gen_result<> status;
  for (ssize_t n; (n = ::getline(&line, &capacity, file.get())) >= 0;) {
    std::string_view text(line, static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (text.empty()) continue;
    status = fn(text);
    if (!status) break;
  }
  std::free(line);
  return status;
}

// Writes `key: [ ... ]` with one object per line of `list`, built by `element(writer, line)`.
template <class Fn>
gen_result<> write_section(json_writer& w, output_sink& sink, std::string_view key,
                           const std::string& list, Fn&& element) {
  w.key(key).begin_array();
  if (!list.empty()) {
    auto written = for_each_line(list, [&](std::string_view line) {
      element(w, line);
      sink.buffer().push_back('\n');
      return sink.flush_if_full();
    });
    if (!written) return written;
  }
  w.end_array();
  return {};
}

}  // namespace

gen_result<> write_sim_fixture(const std::string& path, std::int64_t campaign_id,
                               std::uint64_t seed, const fixture_sources& sources) {
  auto opened = output_sink::open(path, false);
  if (!opened) return opened.error();
  output_sink sink = std::move(opened).value();
  // The writer only ever appends to the sink's buffer, so flushing between elements is safe.
  json_writer w(sink.buffer());
  w.begin_object().key("campaigns").begin_array().begin_object();
  w.key("id").value(campaign_id);
  w.key("name").value("leadpipe-gen seed " + std::to_string(seed));
  w.key("status").value("ACTIVE");
  w.end_object().end_array();

  auto leads =
      write_section(w, sink, "leads", sources.existing, [](json_writer& jw, std::string_view line) {
        jw.begin_object().key("email").value(line).end_object();
      });
  if (!leads) return leads;
  auto members = write_section(w, sink, "memberships", sources.existing,
                               [campaign_id](json_writer& jw, std::string_view line) {
                                 jw.begin_object().key("campaign_id").value(campaign_id);
                                 jw.key("email").value(line).end_object();
                               });
  if (!members) return members;
  auto blocks = write_section(w, sink, "block_list", sources.block,
                              [](json_writer& jw, std::string_view line) {
                                jw.begin_object().key("email_or_domain").value(line).end_object();
                              });
  if (!blocks) return blocks;
  auto unsubscribed = write_section(w, sink, "unsubscribed", sources.unsubscribed,
                                    [](json_writer& jw, std::string_view line) {
                                      jw.begin_object().key("email").value(line).end_object();
                                    });
  if (!unsubscribed) return unsubscribed;
  w.end_object();
  sink.buffer().push_back('\n');
  return sink.close();
}

}  // namespace leadpipe::leadgen
