// One authenticated call to /v1/iam: authorization, audit, answer.
#include "api/iam_call.h"

#include "api/audit_hook.h"
#include "api/rest.h"
#include "api/text.h"

namespace vigil::api {

using nlohmann::json;

std::string IamArn(std::string_view kind, std::string_view name) {
  return "arn:vigil:iam:::" + std::string(kind) + "/" + std::string(name);
}

json IamTimestamp(int64_t ms) { return ms > 0 ? json(FormatIsoTimestamp(ms)) : json(nullptr); }

std::optional<json> IamCall::Body() const {
  if (request.body.empty()) return json::object();
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return std::nullopt;
  return body;
}

http::Response IamCall::Change(std::string_view action, const std::string& resource, json params,
                               const Run& run, int ok_status) const {
  if (auto no = RefuseUnauthorized(access_, request, verified, action, {resource}, trail_, logger_,
                                   params)) {
    return *no;
  }
  StatusOr<json> out = run();
  const Status& st = out.status();
  RecordCall(trail_, logger_,
             {"iam.amazonaws.com", action.substr(4), &request, &verified, std::move(params),
              st.ok() ? "" : std::string(StatusCodeName(st.code())), st.ok() ? "" : st.message()});
  if (!st.ok()) return error_answer ? error_answer(st) : RestFromStatus(st);
  if (ok_status == 204) {
    http::Response r;
    r.status = 204;
    return r;
  }
  return RestJson(ok_status, *out);
}

http::Response IamCall::Read(std::string_view action, const std::string& resource,
                             const Run& run) const {
  if (auto no =
          RefuseUnauthorized(access_, request, verified, action, {resource}, trail_, logger_)) {
    return *no;
  }
  StatusOr<json> out = run();
  if (!out.ok()) return RestFromStatus(out.status());
  return RestJson(200, *out);
}

}  // namespace vigil::api
