#include "auth/policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::auth {
namespace {

Policy Parse(const std::string& name, const std::string& doc) {
  StatusOr<Policy> p = ParsePolicy(name, doc);
  EXPECT_TRUE(p.ok()) << name << ": " << p.status().ToString();
  return p.ok() ? *p : Policy{};
}

AccessRequest Request(std::string action, std::string resource,
                      std::vector<std::pair<std::string, std::string>> context = {}) {
  AccessRequest r;
  r.action = std::move(action);
  r.resource = std::move(resource);
  for (auto& [k, v] : context) r.Set(k, v);
  return r;
}

TEST(WildcardTest, StarsAndQuestionMarks) {
  struct Case {
    const char* pattern;
    const char* text;
    bool ignore_case;
    bool match;
  } cases[] = {
      {"*", "", false, true},
      {"*", "anything", false, true},
      {"cloudwatch:Get*", "cloudwatch:GetMetricData", false, true},
      {"cloudwatch:Get*", "cloudwatch:PutMetricData", false, false},
      {"cloudwatch:get*", "CloudWatch:GetMetricData", true, true},
      {"cloudwatch:get*", "CloudWatch:GetMetricData", false, false},
      {"arn:vigil:logs:::log-group:/vigil/*", "arn:vigil:logs:::log-group:/vigil/shop", false,
       true},
      {"a?c", "abc", false, true},
      {"a?c", "ac", false, false},
      {"*Alarm*", "cloudwatch:PutMetricAlarm", false, true},
      {"a*b*c", "aXbYbZc", false, true},
      {"a*b*c", "aXbYbZ", false, false},
      {"**", "x", false, true},
      {"exact", "exactly", false, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(WildcardMatch(c.pattern, c.text, c.ignore_case), c.match)
        << c.pattern << " ~ " << c.text;
  }
}

TEST(PolicyParseTest, MalformedDocumentsSayWhere) {
  struct Case {
    const char* doc;
    const char* says;
  } cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {R"({"Version":"2012-10-17"})", "Statement is missing"},
      {R"({"Version":"2020-01-01","Statement":[]})", "Version"},
      {R"({"Statement":[]})", "non-empty list"},
      {R"({"Statement":{"Action":"*","Resource":"*"}})", "Effect is missing"},
      {R"({"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}})", "Effect must be"},
      {R"({"Statement":{"Effect":"Allow","Resource":"*"}})", "Action (or NotAction) is missing"},
      {R"({"Statement":{"Effect":"Allow","Action":"*"}})", "Resource (or NotResource) is missing"},
      {R"({"Statement":{"Effect":"Allow","Action":"*","NotAction":"x:y","Resource":"*"}})",
       "not both"},
      {R"({"Statement":{"Effect":"Allow","Action":"GetMetricData","Resource":"*"}})",
       "service:action"},
      {R"({"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}})", "Statement.Action"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}})",
       "identity policy"},
      {R"({"Statement":{"Effect":"Allow","Actions":"*","Resource":"*"}})", "unknown member"},
      {R"({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
          {"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringSorta":{"a":"b"}}}]})",
       "Statement[1].Condition: unknown condition operator 'StringSorta'"},
      {R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
          "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}})",
       "10.0.0.0/33"},
      {R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
          "Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}})",
       "tomorrow"},
      {R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
          "Condition":{"Bool":{"aws:SecureTransport":"yes"}}}})",
       "yes"},
      {R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
          "Condition":{"NullIfExists":{"a":"true"}}}})",
       "unknown condition operator"},
  };
  for (const Case& c : cases) {
    StatusOr<Policy> p = ParsePolicy("p", c.doc);
    ASSERT_FALSE(p.ok()) << c.doc;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find("MalformedPolicyDocument"), std::string::npos);
    EXPECT_NE(p.status().message().find(c.says), std::string::npos)
        << c.doc << "\n  said: " << p.status().message();
  }
}

TEST(PolicyParseTest, ReadsIamsShapes) {
  Policy p = Parse("shapes", R"({
    "Version": "2012-10-17", "Id": "x",
    "Statement": {"Sid": "One", "Effect": "Deny", "NotAction": ["vigil:*", "logs:*"],
                  "NotResource": "arn:vigil:vigil:::app/shop",
                  "Condition": {"ForAnyValue:StringLikeIfExists": {"k": ["a*", "b"]},
                                "NumericLessThan": {"n": 5}, "Bool": {"b": true}}}})");
  ASSERT_EQ(p.statements.size(), 1u);
  const Statement& s = p.statements[0];
  EXPECT_EQ(s.sid, "One");
  EXPECT_FALSE(s.allow);
  EXPECT_TRUE(s.not_action);
  EXPECT_EQ(s.actions, (std::vector<std::string>{"vigil:*", "logs:*"}));
  EXPECT_TRUE(s.not_resource);
  ASSERT_EQ(s.conditions.size(), 3u);
  for (const Condition& c : s.conditions) {
    if (c.key == "k") {
      EXPECT_EQ(c.op, "StringLike");
      EXPECT_TRUE(c.if_exists);
      EXPECT_EQ(c.qualifier, Condition::Qualifier::kForAnyValue);
      EXPECT_EQ(c.values.size(), 2u);
    } else if (c.key == "n") {
      EXPECT_EQ(c.values, std::vector<std::string>{"5"});
    } else {
      EXPECT_EQ(c.values, std::vector<std::string>{"true"});
    }
  }
}

// The evaluation table: each case is the caller's policies, a request and the decision.
TEST(PolicyEvaluateTest, Table) {
  const std::string read_metrics = R"({"Version":"2012-10-17","Statement":[
      {"Sid":"Read","Effect":"Allow","Action":["cloudwatch:Get*","cloudwatch:List*",
       "cloudwatch:Describe*"],"Resource":"*"}]})";
  const std::string deny_shop_deploy = R"({"Statement":[{"Sid":"NoShopDeploys","Effect":"Deny",
      "Action":"vigil:Deploy","Resource":"arn:vigil:vigil:::app/shop"}]})";
  const std::string all = R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})";
  const std::string office_only = R"({"Statement":{"Sid":"Office","Effect":"Allow",
      "Action":"vigil:*","Resource":"*",
      "Condition":{"IpAddress":{"aws:SourceIp":["10.1.0.0/16","2001:db8::/32"]}}}})";
  const std::string not_from_outside = R"({"Statement":{"Sid":"Outside","Effect":"Deny",
      "Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}})";
  const std::string until_2027 = R"({"Statement":{"Sid":"Until","Effect":"Allow",
      "Action":"logs:*","Resource":"arn:vigil:logs:::log-group:/vigil/*",
      "Condition":{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}}})";
  const std::string tls_only = R"({"Statement":[{"Sid":"Plain","Effect":"Deny","Action":"*",
      "Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
      {"Effect":"Allow","Action":"*","Resource":"*"}]})";
  const std::string all_but_iam = R"({"Statement":{"Sid":"NotIam","Effect":"Allow",
      "NotAction":"iam:*","Resource":"*"}})";
  const std::string own_alarms = R"({"Statement":{"Sid":"Own","Effect":"Allow",
      "Action":"cloudwatch:PutMetricAlarm","NotResource":"arn:vigil:cloudwatch:::alarm:prod-*"}})";
  const std::string if_exists = R"({"Statement":{"Sid":"IfExists","Effect":"Allow","Action":"*",
      "Resource":"*","Condition":{"StringEqualsIfExists":{"vigil:App":"shop"}}}})";
  const std::string null_check = R"({"Statement":{"Sid":"Null","Effect":"Allow","Action":"*",
      "Resource":"*","Condition":{"Null":{"aws:username":"false"}}}})";

  struct Case {
    const char* name;
    std::vector<std::string> policies;
    AccessRequest request;
    Decision decision;
    const char* statement;
  } cases[] = {
      {"no policy is an implicit deny",
       {},
       Request("cloudwatch:GetMetricData", "*"),
       Decision::kImplicitDeny,
       ""},
      {"a wildcard action allows",
       {read_metrics},
       Request("cloudwatch:GetMetricData", "*"),
       Decision::kAllow,
       "Read"},
      {"actions ignore case",
       {read_metrics},
       Request("CloudWatch:getmetricdata", "*"),
       Decision::kAllow,
       "Read"},
      {"an action not named is denied implicitly",
       {read_metrics},
       Request("cloudwatch:PutMetricData", "*"),
       Decision::kImplicitDeny,
       ""},
      {"explicit deny beats allow",
       {all, deny_shop_deploy},
       Request("vigil:Deploy", "arn:vigil:vigil:::app/shop"),
       Decision::kExplicitDeny,
       "NoShopDeploys"},
      {"the deny is for its resource only",
       {all, deny_shop_deploy},
       Request("vigil:Deploy", "arn:vigil:vigil:::app/api"),
       Decision::kAllow,
       "Statement[0]"},
      {"resources are case-sensitive",
       {deny_shop_deploy, all},
       Request("vigil:Deploy", "arn:vigil:vigil:::app/Shop"),
       Decision::kAllow,
       "Statement[0]"},
      {"IpAddress in the block",
       {office_only},
       Request("vigil:Deploy", "*", {{"aws:SourceIp", "10.1.2.3"}}),
       Decision::kAllow,
       "Office"},
      {"IpAddress outside the block",
       {office_only},
       Request("vigil:Deploy", "*", {{"aws:SourceIp", "10.2.0.1"}}),
       Decision::kImplicitDeny,
       ""},
      {"IpAddress in an IPv6 block",
       {office_only},
       Request("vigil:Deploy", "*", {{"aws:SourceIp", "2001:db8::7"}}),
       Decision::kAllow,
       "Office"},
      {"a missing key fails a positive condition",
       {office_only},
       Request("vigil:Deploy", "*"),
       Decision::kImplicitDeny,
       ""},
      {"NotIpAddress denies from outside",
       {all, not_from_outside},
       Request("logs:GetLogEvents", "*", {{"aws:SourceIp", "192.168.1.1"}}),
       Decision::kExplicitDeny,
       "Outside"},
      {"NotIpAddress lets the inside through",
       {all, not_from_outside},
       Request("logs:GetLogEvents", "*", {{"aws:SourceIp", "10.9.9.9"}}),
       Decision::kAllow,
       "Statement[0]"},
      {"a missing key makes a negated condition hold",
       {all, not_from_outside},
       Request("logs:GetLogEvents", "*"),
       Decision::kExplicitDeny,
       "Outside"},
      {"DateLessThan before",
       {until_2027},
       Request("logs:FilterLogEvents", "arn:vigil:logs:::log-group:/vigil/shop",
               {{"aws:CurrentTime", "2026-11-26T12:00:00Z"}}),
       Decision::kAllow,
       "Until"},
      {"DateLessThan after",
       {until_2027},
       Request("logs:FilterLogEvents", "arn:vigil:logs:::log-group:/vigil/shop",
               {{"aws:CurrentTime", "2027-01-01T00:00:00.001Z"}}),
       Decision::kImplicitDeny,
       ""},
      {"DateLessThan with epoch seconds",
       {until_2027},
       Request("logs:FilterLogEvents", "arn:vigil:logs:::log-group:/vigil/shop",
               {{"aws:CurrentTime", "1700000000"}}),
       Decision::kAllow,
       "Until"},
      {"a resource pattern limits the allow",
       {until_2027},
       Request("logs:FilterLogEvents", "arn:vigil:logs:::log-group:/other",
               {{"aws:CurrentTime", "2026-11-26T12:00:00Z"}}),
       Decision::kImplicitDeny,
       ""},
      {"Bool SecureTransport false denies plain HTTP",
       {tls_only},
       Request("cloudwatch:PutMetricData", "*", {{"aws:SecureTransport", "false"}}),
       Decision::kExplicitDeny,
       "Plain"},
      {"Bool SecureTransport true passes",
       {tls_only},
       Request("cloudwatch:PutMetricData", "*", {{"aws:SecureTransport", "true"}}),
       Decision::kAllow,
       "Statement[1]"},
      {"NotAction allows the rest",
       {all_but_iam},
       Request("vigil:Rollback", "*"),
       Decision::kAllow,
       "NotIam"},
      {"NotAction leaves its actions out",
       {all_but_iam},
       Request("iam:CreateUser", "*"),
       Decision::kImplicitDeny,
       ""},
      {"NotResource allows elsewhere",
       {own_alarms},
       Request("cloudwatch:PutMetricAlarm", "arn:vigil:cloudwatch:::alarm:dev-cpu"),
       Decision::kAllow,
       "Own"},
      {"NotResource leaves its resources out",
       {own_alarms},
       Request("cloudwatch:PutMetricAlarm", "arn:vigil:cloudwatch:::alarm:prod-cpu"),
       Decision::kImplicitDeny,
       ""},
      {"IfExists holds without the key",
       {if_exists},
       Request("vigil:Deploy", "*"),
       Decision::kAllow,
       "IfExists"},
      {"IfExists checks a present key",
       {if_exists},
       Request("vigil:Deploy", "*", {{"vigil:App", "api"}}),
       Decision::kImplicitDeny,
       ""},
      {"Null false wants the key",
       {null_check},
       Request("vigil:Deploy", "*", {{"aws:username", "alice"}}),
       Decision::kAllow,
       "Null"},
      {"Null false without the key",
       {null_check},
       Request("vigil:Deploy", "*"),
       Decision::kImplicitDeny,
       ""},
      {"context keys ignore case",
       {office_only},
       Request("vigil:Deploy", "*", {{"AWS:SOURCEIP", "10.1.0.1"}}),
       Decision::kAllow,
       "Office"},
  };
  for (const Case& c : cases) {
    std::vector<Policy> policies;
    for (size_t i = 0; i < c.policies.size(); ++i) {
      policies.push_back(Parse("p" + std::to_string(i), c.policies[i]));
    }
    const Evaluation e = Evaluate(policies, c.request);
    EXPECT_EQ(e.decision, c.decision) << c.name << ": " << DecisionName(e.decision);
    EXPECT_EQ(e.statement, c.statement) << c.name;
  }
}

TEST(PolicyEvaluateTest, ForAllAndForAnyValues) {
  Policy any = Parse("any", R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
      "Condition":{"ForAnyValue:StringEquals":{"vigil:Tags":["team-a","team-b"]}}}})");
  Policy all = Parse("all", R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*",
      "Condition":{"ForAllValues:StringLike":{"vigil:Tags":["team-*"]}}}})");
  AccessRequest r = Request("vigil:Deploy", "*");
  r.context["vigil:tags"] = {"team-b", "ops"};
  EXPECT_EQ(Evaluate(std::vector<Policy>{any}, r).decision, Decision::kAllow);
  EXPECT_EQ(Evaluate(std::vector<Policy>{all}, r).decision, Decision::kImplicitDeny);
  r.context["vigil:tags"] = {"team-b", "team-c"};
  EXPECT_EQ(Evaluate(std::vector<Policy>{all}, r).decision, Decision::kAllow);
  r.context.erase("vigil:tags");
  EXPECT_EQ(Evaluate(std::vector<Policy>{all}, r).decision, Decision::kAllow);  // vacuous
  EXPECT_EQ(Evaluate(std::vector<Policy>{any}, r).decision, Decision::kImplicitDeny);
}

}  // namespace
}  // namespace vigil::auth
