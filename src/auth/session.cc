// The dashboard's sign-in sessions.
#include <nlohmann/json.hpp>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "common/ascii.h"
#include "state/state.h"

namespace vigil::auth {
namespace {

constexpr std::string_view kTable = "sessions";
constexpr int64_t kLastSeenWriteMs = 60'000;
constexpr size_t kMaxUserAgent = 256;

std::string SessionJson(const Session& s) {
  return nlohmann::json{{"id", s.id},
                        {"access_key_id", s.access_key_id},
                        {"principal", s.principal},
                        {"method", SignInMethodName(s.method)},
                        {"csrf_token", s.csrf_token},
                        {"created_at_ms", s.created_at_ms},
                        {"expires_at_ms", s.expires_at_ms},
                        {"last_seen_ms", s.last_seen_ms},
                        {"mfa_at_ms", s.mfa_at_ms},
                        {"source_ip", s.source_ip},
                        {"user_agent", s.user_agent}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Session> ParseSession(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    Session s;
    s.access_key_id = j.at("access_key_id").get<std::string>();
    s.principal = j.at("principal").get<std::string>();
    s.csrf_token = j.at("csrf_token").get<std::string>();
    s.created_at_ms = j.at("created_at_ms").get<int64_t>();
    s.expires_at_ms = j.at("expires_at_ms").get<int64_t>();
    // Sessions stored before people could sign in have only the fields above.
    s.id = j.value("id", "");
    const std::string method = j.value("method", "access-key");
    s.method = method == "password"       ? SignInMethod::kPassword
               : method == "password+mfa" ? SignInMethod::kPasswordMfa
                                          : SignInMethod::kAccessKey;
    s.last_seen_ms = j.value("last_seen_ms", s.created_at_ms);
    s.mfa_at_ms = j.value("mfa_at_ms", int64_t{0});
    s.source_ip = j.value("source_ip", "");
    s.user_agent = j.value("user_agent", "");
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

Session Public(Session s) {
  s.csrf_token.clear();
  return s;
}

}  // namespace

std::string_view SignInMethodName(SignInMethod m) {
  switch (m) {
    case SignInMethod::kAccessKey:
      return "access-key";
    case SignInMethod::kPassword:
      return "password";
    case SignInMethod::kPasswordMfa:
      return "password+mfa";
  }
  return "access-key";
}

Sessions::Sessions(const KeyStore* keys, const Clock* clock, SessionOptions options)
    : keys_(keys), clock_(clock), options_(options) {}

bool Sessions::Live(const Session& s, int64_t now) const {
  if (s.expires_at_ms <= now) return false;
  if (options_.idle_ms > 0 && s.last_seen_ms + options_.idle_ms <= now) return false;
  return s.method != SignInMethod::kAccessKey || keys_->Find(s.access_key_id).has_value();
}

Status Sessions::Load() {
  if (options_.store == nullptr) return OkStatus();
  ASSIGN_OR_RETURN(std::vector<state::Record> records, options_.store->Scan(kTable, ""));
  const int64_t now = clock_->NowMillis();
  state::Batch dead;
  std::lock_guard l(mu_);
  for (const state::Record& r : records) {
    std::optional<Session> s = ParseSession(r.value);
    if (s && s->id.empty()) s->id = "s-" + r.key.substr(0, 24);  // stable for an old record
    if (s && Live(*s, now)) {
      stored_last_seen_[r.key] = s->last_seen_ms;
      by_hash_[r.key] = std::move(*s);
    } else {
      dead.Delete(kTable, r.key);
    }
  }
  return dead.empty() ? OkStatus() : options_.store->Apply(dead);
}

StatusOr<std::pair<std::string, Session>> Sessions::SignIn(std::string_view access_key_id,
                                                           std::string_view secret_access_key,
                                                           const SignInContext& context) {
  const std::optional<AccessKey> key = keys_->Find(access_key_id);
  // Compare against something even for an unknown key, so that timing says nothing either.
  const std::string_view expected = key ? std::string_view(key->secret_access_key) : "";
  if (!EqualConstantTime(secret_access_key, expected) || !key || expected.empty()) {
    return UnauthenticatedError("The access key id or the secret access key is not valid.");
  }
  Session session;
  session.access_key_id = key->access_key_id;
  session.principal = key->principal;
  session.method = SignInMethod::kAccessKey;
  return Add(std::move(session), context);
}

StatusOr<std::pair<std::string, Session>> Sessions::Start(std::string_view principal,
                                                          SignInMethod method,
                                                          const SignInContext& context) {
  Session session;
  session.principal = std::string(principal);
  session.method = method;
  return Add(std::move(session), context);
}

StatusOr<std::pair<std::string, Session>> Sessions::Add(Session session,
                                                        const SignInContext& context) {
  ASSIGN_OR_RETURN(std::string token_bytes, RandomBytes(32));
  ASSIGN_OR_RETURN(std::string csrf_bytes, RandomBytes(16));
  ASSIGN_OR_RETURN(std::string id_bytes, RandomBytes(12));
  const std::string token = HexEncode(token_bytes);
  session.id = "s-" + HexEncode(id_bytes);
  session.csrf_token = HexEncode(csrf_bytes);
  session.created_at_ms = clock_->NowMillis();
  session.expires_at_ms = session.created_at_ms + options_.lifetime_ms;
  session.last_seen_ms = session.created_at_ms;
  if (session.method == SignInMethod::kPasswordMfa) session.mfa_at_ms = session.created_at_ms;
  session.source_ip = context.source_ip;
  session.user_agent = context.user_agent.substr(0, kMaxUserAgent);
  const std::string hash = Sha256Hex(token);

  std::lock_guard l(mu_);
  const int64_t now = session.created_at_ms;
  if (options_.store != nullptr) {
    state::Batch batch;
    batch.Put(kTable, hash, SessionJson(session));
    for (const auto& [h, s] : by_hash_) {
      if (!Live(s, now)) batch.Delete(kTable, h);
    }
    for (const std::string& h : pending_deletes_) batch.Delete(kTable, h);
    RETURN_IF_ERROR(options_.store->Apply(batch));
    pending_deletes_.clear();
  }
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    if (Live(it->second, now)) {
      ++it;
    } else {
      stored_last_seen_.erase(it->first);
      it = by_hash_.erase(it);
    }
  }
  by_hash_[hash] = session;
  stored_last_seen_[hash] = now;
  return std::make_pair(token, std::move(session));
}

std::optional<Session> Sessions::Find(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  const std::string hash = Sha256Hex(token);
  const int64_t now = clock_->NowMillis();
  std::optional<Session> found;
  std::string to_store;
  {
    std::lock_guard l(mu_);
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end() || !Live(it->second, now)) return std::nullopt;
    it->second.last_seen_ms = now;
    int64_t& stored = stored_last_seen_[hash];
    if (options_.store != nullptr && now - stored >= kLastSeenWriteMs) {
      stored = now;
      to_store = SessionJson(it->second);
    }
    found = it->second;
  }
  // Best effort, outside the lock: a lost last-seen time only shortens the idle allowance.
  if (!to_store.empty()) (void)options_.store->Put(kTable, hash, to_store);
  return found;
}

std::vector<Session> Sessions::List(std::string_view principal) const {
  const int64_t now = clock_->NowMillis();
  std::vector<Session> out;
  std::lock_guard l(mu_);
  for (const auto& [_, s] : by_hash_) {
    if (!Live(s, now)) continue;
    if (!principal.empty() && !EqualsIgnoreCase(principal, s.principal)) continue;
    out.push_back(Public(s));
  }
  std::sort(out.begin(), out.end(),
            [](const Session& a, const Session& b) { return a.created_at_ms < b.created_at_ms; });
  return out;
}

std::optional<Session> Sessions::FindById(std::string_view id) const {
  const int64_t now = clock_->NowMillis();
  std::lock_guard l(mu_);
  for (const auto& [_, s] : by_hash_) {
    if (s.id == id && Live(s, now)) return Public(s);
  }
  return std::nullopt;
}

Status Sessions::Revoke(std::string_view id) {
  std::lock_guard l(mu_);
  for (auto it = by_hash_.begin(); it != by_hash_.end(); ++it) {
    if (it->second.id != id) continue;
    const std::string hash = it->first;
    by_hash_.erase(it);
    stored_last_seen_.erase(hash);
    return options_.store == nullptr ? OkStatus() : options_.store->Delete(kTable, hash);
  }
  return NotFoundError("no session " + std::string(id));
}

void Sessions::RevokeFor(std::string_view principal, std::string_view access_key_id) {
  std::lock_guard l(mu_);
  state::Batch batch;
  for (const std::string& h : pending_deletes_) batch.Delete(kTable, h);
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    const Session& s = it->second;
    const bool by_password = !principal.empty() && s.method != SignInMethod::kAccessKey &&
                             EqualsIgnoreCase(principal, s.principal);
    const bool by_key = !access_key_id.empty() && s.access_key_id == access_key_id;
    if (!by_password && !by_key) {
      ++it;
      continue;
    }
    batch.Delete(kTable, it->first);
    pending_deletes_.push_back(it->first);
    stored_last_seen_.erase(it->first);
    it = by_hash_.erase(it);
  }
  if (options_.store == nullptr || batch.empty()) return;
  if (options_.store->Apply(batch).ok()) pending_deletes_.clear();
}

Status Sessions::SignOut(std::string_view token) {
  const std::string hash = Sha256Hex(token);
  std::lock_guard l(mu_);
  if (by_hash_.erase(hash) == 0) return OkStatus();
  stored_last_seen_.erase(hash);
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
