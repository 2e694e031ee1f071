// LoadOrCreateRootKey: the root access key in <data_dir>/credentials (AWS shared-credentials
// INI format, so the same file works with AWS_SHARED_CREDENTIALS_FILE for the CLI).
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/secret_files.h"
#include "common/ascii.h"

namespace vigil::auth {
namespace {

constexpr std::string_view kFileName = "credentials";
constexpr std::string_view kProfile = "default";
constexpr std::string_view kKeyIdField = "aws_access_key_id";
constexpr std::string_view kSecretField = "aws_secret_access_key";

bool IsPrintableToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

StatusOr<AccessKey> ParseCredentials(const std::string& path, std::string_view text) {
  AccessKey key;
  bool in_profile = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = TrimBlanks(text.substr(0, nl));
    text = nl == std::string_view::npos ? "" : text.substr(nl + 1);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in_profile = TrimBlanks(line.substr(1, line.size() - 2)) == kProfile;
      continue;
    }
    size_t eq = line.find('=');
    if (!in_profile || eq == std::string_view::npos) continue;
    std::string_view name = TrimBlanks(line.substr(0, eq)), value = TrimBlanks(line.substr(eq + 1));
    if (name == kKeyIdField) key.access_key_id = value;
    if (name == kSecretField) key.secret_access_key = value;
  }
  if (key.access_key_id.empty() || key.secret_access_key.empty()) {
    return InvalidArgumentError(path + ": the [default] profile needs both " +
                                std::string(kKeyIdField) + " and " + std::string(kSecretField));
  }
  return key;
}

// "AKIA" + 16 characters of the RFC 4648 base32 alphabet, like AWS's own key ids, and a
// 40-character base64 secret (30 random bytes), like AWS's secrets.
StatusOr<AccessKey> GenerateKey() {
  static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  ASSIGN_OR_RETURN(std::string id_bytes, RandomBytes(16));
  ASSIGN_OR_RETURN(std::string secret_bytes, RandomBytes(30));
  AccessKey key;
  key.access_key_id = "AKIA";
  for (char b : id_bytes) key.access_key_id += kBase32[static_cast<unsigned char>(b) % 32];
  key.secret_access_key.resize(41);  // EVP_EncodeBlock writes 40 characters and a NUL
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(key.secret_access_key.data()),
                          reinterpret_cast<const unsigned char*>(secret_bytes.data()), 30);
  key.secret_access_key.resize(static_cast<size_t>(n));
  return key;
}

}  // namespace

StatusOr<std::string> LoadOrCreateSecret(const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  StatusOr<std::string> existing = ReadFile(path);
  if (existing.ok()) {
    const std::string_view secret = TrimBlanks(*existing);
    const std::string_view line = secret.substr(0, secret.find('\n'));
    if (line.size() < 16 || !IsPrintableToken(line)) {
      return InvalidArgumentError(path + ": a secret needs at least 16 printable characters");
    }
    return std::string(line);
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  RETURN_IF_ERROR(CreateDirs(dir));
  if (::chmod(dir.c_str(), 0700) != 0) return IoError("chmod", dir, errno);  // keys: owner only
  ASSIGN_OR_RETURN(std::string raw, RandomBytes(32));
  const std::string secret = HexEncode(raw);
  RETURN_IF_ERROR(WriteFileAtomic(dir, path, secret + "\n"));
  return secret;
}

StatusOr<AccessKey> ReadRootKey(const std::string& data_dir) {
  const std::string path = data_dir + "/" + std::string(kFileName);
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseCredentials(path, text);
}

StatusOr<AccessKey> LoadOrCreateRootKey(const std::string& data_dir, const std::string& env_key_id,
                                        const std::string& env_secret) {
  const std::string path = data_dir + "/" + std::string(kFileName);
  StatusOr<std::string> existing = ReadFile(path);
  if (existing.ok()) return ParseCredentials(path, *existing);
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();

  AccessKey key;
  if (!env_key_id.empty() && !env_secret.empty()) {
    if (!IsPrintableToken(env_key_id) || !IsPrintableToken(env_secret)) {
      return InvalidArgumentError(
          "root access key id and secret must not contain whitespace or control characters");
    }
    key.access_key_id = env_key_id;
    key.secret_access_key = env_secret;
  } else {
    ASSIGN_OR_RETURN(key, GenerateKey());
  }
  RETURN_IF_ERROR(CreateDirs(data_dir));
  std::string text = "[" + std::string(kProfile) + "]\n" + std::string(kKeyIdField) + " = " +
                     key.access_key_id + "\n" + std::string(kSecretField) + " = " +
                     key.secret_access_key + "\n";
  RETURN_IF_ERROR(WriteFileAtomic(data_dir, path, text));
  return key;
}

}  // namespace vigil::auth
