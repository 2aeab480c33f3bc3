#pragma once
// Private TLS material for `leadpipe-sim --tls` without --cert/--key: a throw-away CA and a
// server certificate for 127.0.0.1, ::1 and localhost, made with OpenSSL 3 at start-up.

#include <string>

namespace leadpipe::sim {

/// PEM texts. The caller owns them; nothing is written to disk here.
struct tls_material {
  std::string ca_cert_pem;      ///< give this to clients as their trust anchor
  std::string server_cert_pem;  ///< signed by the CA; SAN: DNS:localhost, IP:127.0.0.1, IP:::1
  std::string server_key_pem;   ///< EC P-256, unencrypted
};

/// What the server certificate says (tests make expired or wrong-host certificates with it).
struct tls_cert_spec {
  std::string subject_alt_names = "DNS:localhost,IP:127.0.0.1,IP:::1";
  long not_before_seconds = -86'400;      ///< relative to now
  long not_after_seconds = 30L * 86'400;  ///< relative to now
};

/// Creates a fresh EC P-256 CA (valid one day before to 30 days after now) and a server
/// certificate signed by it. Throws std::runtime_error naming the failed OpenSSL step: this is
/// start-up work, not a per-request path. Thread-safe.
[[nodiscard]] tls_material make_private_tls(const tls_cert_spec& spec = {});

}  // namespace leadpipe::sim
