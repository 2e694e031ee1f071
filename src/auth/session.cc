// The dashboard's sign-in sessions.
#include <nlohmann/json.hpp>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "common/ascii.h"
#include "state/state.h"

namespace vigil::auth {
namespace {

constexpr std::string_view kTable = "sessions";

std::string SessionJson(const Session& s) {
  return nlohmann::json{{"access_key_id", s.access_key_id},
                        {"principal", s.principal},
                        {"csrf_token", s.csrf_token},
                        {"created_at_ms", s.created_at_ms},
                        {"expires_at_ms", s.expires_at_ms}}
      .dump();
}

std::optional<Session> ParseSession(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    return Session{j.at("access_key_id").get<std::string>(), j.at("principal").get<std::string>(),
                   j.at("csrf_token").get<std::string>(), j.at("created_at_ms").get<int64_t>(),
                   j.at("expires_at_ms").get<int64_t>()};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

Sessions::Sessions(const KeyStore* keys, const Clock* clock, SessionOptions options)
    : keys_(keys), clock_(clock), options_(options) {}

Status Sessions::Load() {
  if (options_.store == nullptr) return OkStatus();
  ASSIGN_OR_RETURN(std::vector<state::Record> records, options_.store->Scan(kTable, ""));
  const int64_t now = clock_->NowMillis();
  state::Batch expired;
  std::lock_guard l(mu_);
  for (const state::Record& r : records) {
    std::optional<Session> s = ParseSession(r.value);
    if (s && s->expires_at_ms > now) {
      by_hash_[r.key] = std::move(*s);
    } else {
      expired.Delete(kTable, r.key);
    }
  }
  return expired.empty() ? OkStatus() : options_.store->Apply(expired);
}

StatusOr<std::pair<std::string, Session>> Sessions::SignIn(std::string_view access_key_id,
                                                           std::string_view secret_access_key) {
  const std::optional<AccessKey> key = keys_->Find(access_key_id);
  // Compare against something even for an unknown key, so that timing says nothing either.
  const std::string_view expected = key ? std::string_view(key->secret_access_key) : "";
  if (!EqualConstantTime(secret_access_key, expected) || !key || expected.empty()) {
    return UnauthenticatedError("The access key id or the secret access key is not valid.");
  }
  ASSIGN_OR_RETURN(std::string token_bytes, RandomBytes(32));
  ASSIGN_OR_RETURN(std::string csrf_bytes, RandomBytes(16));
  const std::string token = HexEncode(token_bytes);
  Session session;
  session.access_key_id = key->access_key_id;
  session.principal = key->principal;
  session.csrf_token = HexEncode(csrf_bytes);
  session.created_at_ms = clock_->NowMillis();
  session.expires_at_ms = session.created_at_ms + options_.lifetime_ms;
  const std::string hash = Sha256Hex(token);

  std::lock_guard l(mu_);
  if (options_.store != nullptr) {
    state::Batch batch;
    batch.Put(kTable, hash, SessionJson(session));
    for (const auto& [h, s] : by_hash_) {
      if (s.expires_at_ms <= session.created_at_ms) batch.Delete(kTable, h);
    }
    RETURN_IF_ERROR(options_.store->Apply(batch));
  }
  std::erase_if(by_hash_,
                [&](const auto& e) { return e.second.expires_at_ms <= session.created_at_ms; });
  by_hash_[hash] = session;
  return std::make_pair(token, std::move(session));
}

std::optional<Session> Sessions::Find(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  const std::string hash = Sha256Hex(token);
  std::optional<Session> found;
  {
    std::lock_guard l(mu_);
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return std::nullopt;
    found = it->second;
  }
  if (found->expires_at_ms <= clock_->NowMillis()) return std::nullopt;
  if (!keys_->Find(found->access_key_id)) return std::nullopt;
  return found;
}

Status Sessions::SignOut(std::string_view token) {
  const std::string hash = Sha256Hex(token);
  std::lock_guard l(mu_);
  if (by_hash_.erase(hash) == 0) return OkStatus();
  return options_.store == nullptr ? OkStatus() : options_.store->Delete(kTable, hash);
}

std::string_view SessionCookieValue(std::string_view header) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == kSessionCookie) {
      return pair.substr(eq + 1);
    }
  }
  return {};
}

}  // namespace vigil::auth
