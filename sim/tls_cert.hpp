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

/// Creates a fresh EC P-256 CA (valid one day before to 30 days after now) and a server
/// certificate signed by it. Throws std::runtime_error naming the failed OpenSSL step: this is
/// start-up work, not a per-request path. Thread-safe.
[[nodiscard]] tls_material make_private_tls();

}  // namespace leadpipe::sim
