#pragma once
// `leadpipe leads export|set-status|activity`: a campaign's leads read as CSV with the guide's or
// the API's status words (contract §6.2, §11.2), statuses set from an email,status file (§6.3,
// §6.5, §6.6, §6.8), and one lead's message history (§6.9). All through the shared rate limiter.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "api_flags.hpp"
#include "workflow_cli.hpp"

namespace leadpipe::cli {

struct leads_args {
  api_flags api;
  workflow_outputs outputs;
  std::int64_t campaign_id = 0;
  std::vector<std::string> statuses;  ///< export: --status words
  std::string out = "-";              ///< export: CSV destination
  std::string input;                  ///< set-status: FILE or -
  std::string outcomes;               ///< set-status: outcomes CSV (empty: none)
  std::string email;                  ///< activity: --email
  bool json = false;                  ///< activity: raw JSON
  std::size_t max_body = 600;         ///< activity: body text cut (0: whole)
  CLI::App* cmd = nullptr;
  CLI::App* exp = nullptr;
  CLI::App* set_status = nullptr;
  CLI::App* activity = nullptr;
};

/// Registers `leads` and its three subcommands on `app`; `a` receives the flags.
void add_leads(CLI::App& app, leads_args& a);

/// Runs the parsed subcommand. Exit codes: 0 done; 1 some rows not updated (set-status) or the
/// lead not found / not in the campaign (activity); 3 the API failed (report still written).
/// Throws CLI::ValidationError for an unknown status word, a bad address or a missing key (exit
/// 2), source_error / std::runtime_error for an unreadable input, output_error.
[[nodiscard]] int run_leads(const leads_args& a, const std::atomic<bool>& stop);

/// `leads set-status` (leads_status.cpp).
[[nodiscard]] int run_set_status(const leads_args& a, const std::atomic<bool>& stop);

}  // namespace leadpipe::cli
