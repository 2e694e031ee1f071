#include <gtest/gtest.h>

#include "api/form.h"

namespace vigil::api {
namespace {

std::string Unescape(std::string_view in) {
  std::string out;
  EXPECT_TRUE(FormUnescape(in, &out)) << in;
  return out;
}

TEST(FormTest, UnescapesLikePythonUrlencode) {
  EXPECT_EQ(Unescape("manual+test"), "manual test");
  EXPECT_EQ(Unescape("1E%2B2"), "1E+2");  // %2B is '+', not a space
  EXPECT_EQ(Unescape("%2Fv1%2Fitems+list%26x%3D1"), "/v1/items list&x=1");
  EXPECT_EQ(Unescape("m1+%2A+2"), "m1 * 2");
  EXPECT_EQ(Unescape("%7B%22k%22%3A1%7D"), "{\"k\":1}");
  EXPECT_EQ(Unescape("%e2%9c%93"), "\xE2\x9C\x93");  // lower-case hex too
  EXPECT_EQ(Unescape("-_.~"), "-_.~");
  EXPECT_EQ(Unescape(""), "");
  std::string out;
  EXPECT_FALSE(FormUnescape("%", &out));
  EXPECT_FALSE(FormUnescape("%2", &out));
  EXPECT_FALSE(FormUnescape("%zz", &out));
  EXPECT_FALSE(FormUnescape("ab%G1", &out));
}

TEST(FormTest, PairsKeepOrderAndSkipEmptyComponents) {
  auto pairs = ParseFormPairs("Action=ListMetrics&&Version=2010-08-01&Flag&Empty=&a%3Db=c%3Dd");
  ASSERT_TRUE(pairs.ok());
  const FormPairs want = {{"Action", "ListMetrics"},
                          {"Version", "2010-08-01"},
                          {"Flag", ""},
                          {"Empty", ""},
                          {"a=b", "c=d"}};
  EXPECT_EQ(pairs.value(), want);
  auto bad = ParseFormPairs("Action=X&Bad=%4");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kMalformedQueryString);
}

nlohmann::json Doc(std::string_view body) {
  auto pairs = ParseFormPairs(body);
  EXPECT_TRUE(pairs.ok());
  auto doc = FormToDocument(pairs.value());
  EXPECT_TRUE(doc.ok()) << (doc.ok() ? "" : doc.error().message);
  return doc.ok() ? doc.value() : nlohmann::json();
}

TEST(FormTest, NestedListsAndStructures) {
  const nlohmann::json doc =
      Doc("Namespace=MyApp&MetricData.member.1.MetricName=Latency&"
          "MetricData.member.1.Dimensions.member.2.Name=Env&"
          "MetricData.member.1.Dimensions.member.2.Value=prod&"
          "MetricData.member.1.Dimensions.member.1.Name=Host&"
          "MetricData.member.1.Dimensions.member.1.Value=web-1&"
          "MetricData.member.1.StatisticValues.Sum=100&"
          "MetricData.member.2.MetricName=Other&MetricData.member.2.Values.member.1=1&"
          "MetricData.member.2.Values.member.2=2");
  const nlohmann::json want = nlohmann::json::parse(R"({
    "Namespace": "MyApp",
    "MetricData": [
      {"MetricName": "Latency",
       "Dimensions": [{"Name": "Host", "Value": "web-1"}, {"Name": "Env", "Value": "prod"}],
       "StatisticValues": {"Sum": "100"}},
      {"MetricName": "Other", "Values": ["1", "2"]}
    ]})");
  EXPECT_EQ(doc, want) << doc.dump();
}

TEST(FormTest, ListIndexesOrderNumericallyAndGapsClose) {
  const nlohmann::json doc = Doc("L.member.10=ten&L.member.2=two&L.member.1=one&L.member.05=five");
  EXPECT_EQ(doc["L"], nlohmann::json({"one", "two", "five", "ten"}));
}

TEST(FormTest, EmptyValueStaysAnEmptyString) {
  // `AlarmActions=` is the query protocol's empty list; the reader interprets it.
  const nlohmann::json doc = Doc("AlarmActions=&Name=x");
  EXPECT_EQ(doc["AlarmActions"], "");
}

TEST(FormTest, LastDuplicateWins) { EXPECT_EQ(Doc("A=1&A=2")["A"], "2"); }

TEST(FormTest, MapEntries) {
  const nlohmann::json doc =
      Doc("Tags.entry.1.key=env&Tags.entry.1.value=prod&Tags.entry.2.key=team&"
          "Tags.entry.2.value=sre");
  EXPECT_EQ(doc["Tags"], nlohmann::json({{"env", "prod"}, {"team", "sre"}}));
}

TEST(FormTest, MalformedStructure) {
  for (const char* body : {"L.member.x=1", "L.member.0=1", "L.member.-1=1", "M.entry.1.value=v"}) {
    auto pairs = ParseFormPairs(body);
    ASSERT_TRUE(pairs.ok());
    auto doc = FormToDocument(pairs.value());
    ASSERT_FALSE(doc.ok()) << body;
    EXPECT_EQ(doc.error().code, ErrorCode::kMalformedQueryString) << body;
  }
}

TEST(FormTest, RootIsAlwaysAnObject) {
  EXPECT_TRUE(Doc("").is_object());
  EXPECT_TRUE(Doc("member.1=x").is_object());
}

}  // namespace
}  // namespace vigil::api
