// SigV4 canonical forms: Authorization parsing, URI/query/header canonicalization, dates.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "auth/sigv4_internal.h"
#include "common/ascii.h"

namespace vigil::auth::sigv4 {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

StatusOr<Authorization> ParseAuthorization(std::string_view value) {
  value = Trim(value);
  size_t space = value.find(' ');
  std::string_view algorithm = value.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? "" : value.substr(space + 1);
  if (algorithm != kAlgorithm) {
    return InvalidArgumentError("Unsupported AWS 'algorithm': '" + std::string(algorithm) +
                                "'. Only " + std::string(kAlgorithm) + " is supported.");
  }
  std::optional<std::string_view> credential, signed_headers, signature;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = item.substr(0, eq), val = item.substr(eq + 1);
    if (key == "Credential") credential = val;
    if (key == "SignedHeaders") signed_headers = val;
    if (key == "Signature") signature = val;
  }
  std::string missing;
  if (!credential || credential->empty()) {
    missing += "Authorization header requires 'Credential' parameter. ";
  }
  if (!signature || signature->empty()) {
    missing += "Authorization header requires 'Signature' parameter. ";
  }
  if (!signed_headers || signed_headers->empty()) {
    missing += "Authorization header requires 'SignedHeaders' parameter. ";
  }
  if (!missing.empty()) {
    return InvalidArgumentError(missing + "Authorization=" + std::string(value));
  }

  // Exactly five '/'-separated parts; an access key id never contains '/'.
  std::string_view parts[5];
  std::string_view cred = *credential;
  int n = 0;
  for (;;) {
    size_t slash = cred.find('/');
    if (n < 5) parts[n] = cred.substr(0, slash);
    ++n;
    if (slash == std::string_view::npos) break;
    cred.remove_prefix(slash + 1);
  }
  if (n != 5 || parts[0].empty() || parts[2].empty() || parts[3].empty()) {
    return InvalidArgumentError(
        "Credential must have the form <access key id>/<YYYYMMDD>/<region>/<service>/" +
        std::string(kTerminator) + ", not '" + std::string(*credential) + "'.");
  }
  if (parts[4] != kTerminator) {
    return InvalidArgumentError("Credential should be scoped with a valid terminator: '" +
                                std::string(kTerminator) + "', not '" + std::string(parts[4]) +
                                "'.");
  }
  if (parts[1].size() != 8 || !AllDigits(parts[1])) {
    return InvalidArgumentError("Invalid credential date '" + std::string(parts[1]) +
                                "'. Date is not the required format: yyyyMMdd.");
  }
  return Authorization{parts[0], parts[1], parts[2], parts[3], *signed_headers, *signature};
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = HexValue(s[i + 1])) >= 0 &&
        (lo = HexValue(s[i + 2])) >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string CanonicalUri(std::string_view path) {
  if (path.empty()) return "/";
  return UriEncode(path, /*keep_slash=*/true);
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view val = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    pairs.emplace_back(UriEncode(PercentDecode(key), false), UriEncode(PercentDecode(val), false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string CanonicalHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view signed_headers) {
  std::string out;
  while (!signed_headers.empty()) {
    size_t semi = signed_headers.find(';');
    std::string_view name = signed_headers.substr(0, semi);
    signed_headers = semi == std::string_view::npos ? "" : signed_headers.substr(semi + 1);
    for (char c : name) out += AsciiLower(c);
    out += ':';
    bool first = true;
    for (const auto& [key, value] : headers) {
      if (!EqualsIgnoreCase(key, name)) continue;
      if (!first) out += ',';
      first = false;
      bool pending_space = false;
      for (char c : Trim(value)) {
        if (IsSpace(c)) {
          pending_space = true;
          continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
      }
    }
    out += '\n';
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view path, std::string_view query,
                             const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view signed_headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(256 + path.size() + query.size());
  out += method;
  out += '\n';
  out += CanonicalUri(path);
  out += '\n';
  out += CanonicalQuery(query);
  out += '\n';
  out += CanonicalHeaders(headers, signed_headers);
  out += '\n';
  out += signed_headers;
  out += '\n';
  out += payload_hash;
  return out;
}

std::optional<int64_t> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !AllDigits(s.substr(0, 8)) ||
      !AllDigits(s.substr(9, 6))) {
    return std::nullopt;
  }
  int year = ToInt(s.substr(0, 4)), month = ToInt(s.substr(4, 2)), day = ToInt(s.substr(6, 2));
  int hour = ToInt(s.substr(9, 2)), minute = ToInt(s.substr(11, 2)), sec = ToInt(s.substr(13, 2));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] || hour > 23 || minute > 59 ||
      sec > 60) {
    return std::nullopt;
  }
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return std::nullopt;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute) * 60'000 + int64_t{sec} * 1000;
}

std::string FormatAmzDate(int64_t millis) {
  int64_t secs = millis / 1000 - (millis % 1000 < 0 ? 1 : 0);
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];  // generous: the compiler cannot bound tm_year
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool ListContains(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    size_t semi = list.find(';');
    if (list.substr(0, semi) == name) return true;
    list = semi == std::string_view::npos ? "" : list.substr(semi + 1);
  }
  return false;
}

}  // namespace vigil::auth::sigv4
