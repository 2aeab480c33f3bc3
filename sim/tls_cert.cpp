#include "sim/tls_cert.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace leadpipe::sim {
namespace {

struct free_pkey { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct free_x509 { void operator()(X509* p) const { X509_free(p); } };
struct free_bio { void operator()(BIO* p) const { BIO_free(p); } };
using pkey_ptr = std::unique_ptr<EVP_PKEY, free_pkey>;
using x509_ptr = std::unique_ptr<X509, free_x509>;
using bio_ptr = std::unique_ptr<BIO, free_bio>;

[[noreturn]] void fail(const char* step) {
  char buf[256] = "unknown error";
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  throw std::runtime_error(std::string("tls set-up: ") + step + ": " + buf);
}

void check(int ok, const char* step) {
  if (ok <= 0) fail(step);
}

pkey_ptr make_key() {
  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("generating an EC P-256 key");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) fail("building a certificate extension");
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(ok, "adding a certificate extension");
}

// A certificate for `key` named `cn`, issued by `issuer` (nullptr: self-signed).
x509_ptr make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key,
                   const tls_cert_spec& spec) {
  x509_ptr cert(X509_new());
  if (!cert) fail("allocating a certificate");
  check(X509_set_version(cert.get(), 2), "setting the version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial), "drawing a serial number");
  serial[0] &= 0x7FU;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  const bool serial_ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(bn);
  if (!serial_ok) fail("setting the serial number");
  // The CA itself is always valid; the spec shapes the server certificate.
  const long not_before = issuer == nullptr ? -86'400 : spec.not_before_seconds;
  const long not_after = issuer == nullptr ? 30L * 86'400 : spec.not_after_seconds;
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after) == nullptr) {
    fail("setting the validity");
  }
  check(X509_set_pubkey(cert.get(), key), "setting the public key");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(cn), -1, -1, 0),
        "setting the subject");
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)), "setting the issuer");
  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer == nullptr) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_ext(cert.get(), signer, NID_subject_alt_name, spec.subject_alt_names.c_str());
  }
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()),
        "signing the certificate");
  return cert;
}

std::string drain(BIO* bio) {
  std::string out(static_cast<std::size_t>(BIO_ctrl_pending(bio)), '\0');
  if (!out.empty() && BIO_read(bio, out.data(), static_cast<int>(out.size())) <= 0) {
    fail("reading PEM text");
  }
  return out;
}

std::string cert_pem(X509* cert) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("allocating a memory BIO");
  check(PEM_write_bio_X509(bio.get(), cert), "writing a certificate as PEM");
  return drain(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("allocating a memory BIO");
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "writing a key as PEM");
  return drain(bio.get());
}

}  // namespace

tls_material make_private_tls(const tls_cert_spec& spec) {
  const pkey_ptr ca_key = make_key();
  const x509_ptr ca = make_cert(ca_key.get(), "leadpipe-sim private CA", nullptr, nullptr, spec);
  const pkey_ptr key = make_key();
  const x509_ptr cert = make_cert(key.get(), "localhost", ca.get(), ca_key.get(), spec);
  return {cert_pem(ca.get()), cert_pem(cert.get()), key_pem(key.get())};
}

}  // namespace leadpipe::sim
