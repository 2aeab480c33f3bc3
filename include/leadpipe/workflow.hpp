#pragma once
// The pure parts of the workflow commands (`leadpipe block ...`, `leadpipe leads ...`): the
// guide's and the API's status words (contract §11.2), block-list entry checks, the add
// requests' split-and-bisect logic (§6.10), and the API pages turned into CSV or text. No I/O.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "leadpipe/email.hpp"
#include "leadpipe/report.hpp"

namespace leadpipe {
class csv_reader;
}  // namespace leadpipe

namespace leadpipe::workflow {

// ---- Status words (§11.2) --------------------------------------------------------------------

/// One filter of the campaign-leads listing (§6.2): a query parameter and its value. Views into
/// static storage.
struct list_filter {
  std::string_view param;  ///< "status", "lead_category_id" or "emailStatus"
  std::string_view value;  ///< "STARTED", "1", "is_bounced", ...
};

/// The listing filter a status word stands for, case-insensitively: the guide's eight words
/// (NOT_CONTACTED -> status=STARTED, INTERESTED -> lead_category_id=1, BOUNCED ->
/// emailStatus=is_bounced, ...), the API's status values (STARTED, INPROGRESS, COMPLETED, PAUSED,
/// STOPPED) and its emailStatus values (is_opened, ..., is_sender_bounced). nullopt for any other
/// word. Thread-safe.
[[nodiscard]] std::optional<list_filter> filter_for_word(std::string_view word) noexcept;

/// The words filter_for_word() accepts, comma-separated, for usage messages. Static storage.
[[nodiscard]] std::string_view filter_words() noexcept;

/// What setting a status word takes (§11.2's "how it is set" column).
enum class status_action : std::uint8_t {
  resume,                ///< POST .../resume (§6.5)
  pause,                 ///< POST .../pause (§6.5)
  set_category,          ///< POST .../category with category_id (and pause_lead) (§6.8)
  campaign_unsubscribe,  ///< POST /campaigns/{cid}/leads/{lid}/unsubscribe (§6.6): STOPPED
  global_unsubscribe,    ///< POST /leads/{lid}/unsubscribe (§6.6): unsubscribed everywhere
  not_settable,          ///< server-driven or initial state: no request can set it
};

/// A status word resolved for `leads set-status`.
struct status_change {
  status_action action = status_action::not_settable;
  std::int64_t category_id = 0;  ///< set_category only
  bool pause_lead = false;       ///< set_category only: DO_NOT_CONTACT also pauses
  std::string_view word;         ///< the canonical upper-case word (static storage)
};

/// The change a word asks for, case-insensitively: IN_PROGRESS and INPROGRESS resume, PAUSED
/// pauses, INTERESTED / NOT_INTERESTED / DO_NOT_CONTACT set categories 1 / 3 / 4 (the last with
/// pause_lead), UNSUBSCRIBED unsubscribes globally, STOPPED unsubscribes from the campaign;
/// NOT_CONTACTED, STARTED, COMPLETED and BOUNCED are not_settable. nullopt for other words.
/// Thread-safe.
[[nodiscard]] std::optional<status_change> change_for_word(std::string_view word) noexcept;

/// The words change_for_word() knows, comma-separated. Static storage.
[[nodiscard]] std::string_view settable_words() noexcept;

// ---- Addresses and block-list entries ------------------------------------------------------

/// What an entry of a block-list input is.
enum class entry_kind : std::uint8_t { address, domain, invalid };

/// Checks entries the way the server will (§7.1 for addresses, the same domain rule for
/// domains, §6.10) and gives the lower-case form to send. Entries that only pass after the
/// email policy's repairs (a U-label domain turned into its A-label, `mailto:` removed, ...)
/// are accepted in that repaired form. Holds a reference to `validator`, which must outlive it,
/// and reusable scratch buffers. Not thread-safe (one per thread).
class entry_checker {
 public:
  explicit entry_checker(const email_validator& validator) : validator_(validator) {}

  /// A block-list entry: an address when it holds '@' (a leading '@' marks a domain, as in
  /// "@rival.example"), a domain otherwise. Writes the form to send to `out` (cleared first);
  /// for invalid entries writes the reason (lower-case sentence) to `out` instead.
  [[nodiscard]] entry_kind block_entry(std::string_view raw, std::string& out);

  /// An address only (set-status, activity): true with the lower-case form to look up in
  /// `out`, or false with the reason in `out`.
  [[nodiscard]] bool address(std::string_view raw, std::string& out);

 private:
  const email_validator& validator_;
  email_result result_;
  std::string probe_;
};

// ---- List inputs -------------------------------------------------------------------------------

/// One row of a list input. Views are valid during the callback only.
struct list_row {
  std::uint64_t line = 0;                   ///< 1-based line where the row starts
  std::span<const std::string_view> cells;  ///< one per wanted column ("" when missing)
  std::string_view error;                   ///< the CSV problem of a malformed row, else empty
};

/// The identity of an input `reader` has read to its end (path, size, hash, gzip, encoding,
/// delimiter), for the report. Thread-safe.
[[nodiscard]] input_identity identity_of(const std::string& path, const csv_reader& reader);

/// Reads a list input from `path` ("-" = standard input; gzip, byte-order marks and UTF-16 are
/// handled by byte_source): either a CSV whose header names every wanted column (`columns[i]`
/// lists the names accepted for the i-th, compared as normalise_header() does, the first match
/// wins) or, when the header names none of them, rows without a header whose cells are taken by
/// position (the first line is a row too). Blank lines and rows whose first cell starts with '#'
/// are skipped. Calls `on_row` for every other row, in order. Returns what was read (path, raw
/// size, xxh3-128, encoding, delimiter) for the report. Throws source_error when the input
/// cannot be read, std::runtime_error naming the file when the header names only some of the
/// columns or a header-less input has more columns than wanted. When another column also
/// matches a wanted one ("email" and "email_address"), a warning saying which is used is added
/// to `*warnings` (when given). Not thread-safe for `on_row`.
input_identity read_list(const std::string& path,
                         std::span<const std::span<const std::string_view>> columns,
                         const std::function<void(const list_row&)>& on_row,
                         std::vector<std::string>* warnings = nullptr,
                         const std::atomic<bool>* stop = nullptr);

// ---- Adding block-list entries (§6.10) --------------------------------------------------------

/// Most entries one add request may carry (§6.10).
inline constexpr std::size_t max_block_entries_per_request = 1000;

/// The JSON body of POST /leads/add-domain-block-list for `entries` (sent as given) and the
/// client id (null when absent). Thread-safe.
[[nodiscard]] std::string block_add_body(std::span<const std::string_view> entries,
                                         std::optional<std::int64_t> client_id);

/// The final answer to one add request, as the caller's transport got it (after its retries).
struct add_reply {
  int status = 0;
  std::string body;
};

/// Sends one add request with these entries and returns the final answer. May throw (the
/// caller's fatal transport errors pass through add_entries untouched).
using add_sender = std::function<add_reply(std::span<const std::string_view> entries)>;

/// What became of one entry handed to add_entries.
enum class add_state : std::uint8_t {
  pending,   ///< never sent (a fatal answer stopped the run first)
  added,     ///< a 2xx answer covered it
  rejected,  ///< the server refused this entry alone (`detail`: its message)
  not_sent,  ///< its request failed for another reason (`detail`: status and message)
};

struct add_result {
  add_state state = add_state::pending;
  std::string detail;
};

/// What an add_entries run did.
struct add_summary {
  std::uint64_t requests = 0;
  std::uint64_t splits = 0;  ///< refused requests sent again in parts (or without named entries)
  /// Set when an answer refused the request as a whole (a bad client_id, a refused key):
  /// the run stopped and entries not yet decided stay pending.
  std::string fatal;
  int fatal_status = 0;
};

/// Sends `entries` in requests of at most `max_per_request` (clamped to 1..1000) through
/// `send`, writing one result per entry into `results` (same size as `entries`). A 2xx answer
/// adds its request's entries. A 400/422 whose validation keys name elements
/// (`domain_block_list.<i>`) rejects those with the server's message and resends the rest; one
/// naming no element is split in halves, recursively, until the refused entries stand alone
/// (then rejected). A 400/422 naming another field (client_id), a 401/403 or a 404 is fatal. Any
/// other non-2xx marks its request's entries not_sent and the run goes on. Exceptions from
/// `send` propagate. Not thread-safe.
add_summary add_entries(std::span<const std::string_view> entries, std::size_t max_per_request,
                        const add_sender& send, std::span<add_result> results);

// ---- API pages as CSV and text -----------------------------------------------------------------

/// Header of `block list`'s CSV.
inline constexpr std::string_view block_csv_header =
    "id,email_or_domain,client_id,source,created_at\n";
/// Header of `leads export`'s CSV.
inline constexpr std::string_view lead_csv_header =
    "campaign_lead_map_id,lead_id,email,first_name,last_name,phone_number,company_name,website,"
    "location,linkedin_profile,company_url,status,lead_category_id,is_unsubscribed,created_at,"
    "custom_fields\n";

/// One page of the campaign-leads listing (§6.2) as read.
struct lead_page {
  std::uint64_t items = 0;            ///< members on the page
  std::uint64_t written = 0;          ///< rows appended (items minus ones already seen)
  std::optional<std::int64_t> total;  ///< `total_leads` (a string or a number)
};

/// A lead looked up by address (§6.3).
struct lead_lookup {
  bool found = false;  ///< false for the `{}` answer
  std::int64_t lead_id = 0;
  std::string email;  ///< as the server stores it
  /// The lead's memberships: campaign id and campaign_lead_map_id.
  std::vector<std::pair<std::int64_t, std::int64_t>> campaigns;

  /// True when the lead is a member of `campaign_id`.
  [[nodiscard]] bool in_campaign(std::int64_t campaign_id) const noexcept {
    for (const auto& c : campaigns) {
      if (c.first == campaign_id) return true;
    }
    return false;
  }
};

/// Reads API answers; owns a simdjson parser and reuses it. Cells go through append_csv_cell,
/// so spreadsheet formulas are neutralised. Not thread-safe; one per command.
class page_reader {
 public:
  page_reader();
  ~page_reader();
  page_reader(const page_reader&) = delete;
  page_reader& operator=(const page_reader&) = delete;

  /// Appends one CSV row per entry of a block-list page (a bare array, §6.10) to `csv`; returns
  /// the entries on the page. Fails with bad_message (reason in `*message`) when the body is
  /// not an array of objects.
  [[nodiscard]] boost::system::result<std::uint64_t> append_block_rows(std::string_view body,
                                                                       std::string& csv,
                                                                       std::string* message);

  /// Appends one CSV row (lead_csv_header's columns) per member of a listing page to `csv`,
  /// skipping members whose campaign_lead_map_id is in `*seen` and adding the others to it
  /// (when `seen` is given). Fails with bad_message when the body has no `data` array.
  [[nodiscard]] boost::system::result<lead_page> append_lead_rows(
      std::string_view body, std::string& csv, boost::unordered_flat_set<std::int64_t>* seen,
      std::string* message);

  /// Reads a lookup answer (§6.3). Fails with bad_message when it is not an object or a found
  /// lead has no numeric id.
  [[nodiscard]] boost::system::result<lead_lookup> read_lookup(std::string_view body,
                                                               std::string* message);

  /// Appends the message history (§6.9) as text, one block per message: time, type, step,
  /// from -> to, subject, then the body as plain text cut to `max_body` bytes (0: whole).
  /// Returns the number of messages. Fails with bad_message when there is no `history` array.
  [[nodiscard]] boost::system::result<std::uint64_t> append_history_text(std::string_view body,
                                                                         std::size_t max_body,
                                                                         std::string& out,
                                                                         std::string* message);

 private:
  struct state;
  std::unique_ptr<state> state_;
};

/// Appends `html` as plain text: tags removed (<br>, </p>, </div>, </li> and </tr> become line
/// breaks), the common entities and numeric references decoded, runs of blanks folded, blank
/// lines collapsed; cut at `max_bytes` on a character boundary with " [...]" appended (0: no
/// cut). Plain text passes through with its blanks folded. Thread-safe.
void append_plain_text(std::string& out, std::string_view html, std::size_t max_bytes);

}  // namespace leadpipe::workflow
