// Parse(): precedence, literals, error messages with positions, limits; ReferencedIds().

#include <gtest/gtest.h>

#include <string>

#include "metricmath/metricmath.h"
#include "metricmath/test_util.h"

namespace vigil::metricmath {
namespace {

using testutil::Case;

// The parse as ToString() prints it, or "error: <message>".
std::string Parsed(std::string_view expression) {
  StatusOr<Expr> expr = Parse(expression);
  if (!expr.ok()) return "error: " + expr.status().message();
  return expr->ToString();
}

TEST(ParserTest, PrecedenceAndAssociativity) {
  const Case cases[] = {
      {"1 + 2 * 3", "(1 + (2 * 3))"},
      {"1 - 2 - 3", "((1 - 2) - 3)"},
      {"8 / 4 / 2", "((8 / 4) / 2)"},
      {"(1 + 2) * 3", "((1 + 2) * 3)"},
      {"2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"},
      {"-2 ^ 2", "(-(2 ^ 2))"},
      {"2 ^ -1", "(2 ^ (-1))"},
      {"--m1", "(-(-m1))"},
      {"m1 - -1", "(m1 - (-1))"},
      {"-m1 * 2", "((-m1) * 2)"},
      {"e1-MIN(e1)", "(e1 - MIN(e1))"},
      {"a + b < c * d", "((a + b) < (c * d))"},
      {"m1 <= 2 != m2", "((m1 <= 2) != m2)"},
      {"m1 > 1 AND m2 < 2 OR m3 == 3", "(((m1 > 1) AND (m2 < 2)) OR (m3 == 3))"},
      {"m1 || m2 && m3", "(m1 OR (m2 AND m3))"},
      {"m1 >= 1 && m2 != 0", "((m1 >= 1) AND (m2 != 0))"},
      {"m1\n+\tm2 ", "(m1 + m2)"},
  };
  for (const Case& c : cases) EXPECT_EQ(Parsed(c.expression), c.want) << c.expression;
}

TEST(ParserTest, LiteralsCallsAndArrays) {
  const Case cases[] = {
      {"1.5e3 + .25 + 7. + 2E-2", "(((1500 + 0.25) + 7) + 0.02)"},
      {"errors_5xx_Total", "errors_5xx_Total"},
      {"SUM([m1, m2]) / m3", "(SUM([m1, m2]) / m3)"},
      {"SUM(METRICS(\"4xx\"))", "SUM(METRICS(\"4xx\"))"},
      {"METRICS()", "METRICS()"},
      {"SORT(METRICS(), AVG, DESC, 10)", "SORT(METRICS(), AVG, DESC, 10)"},
      {"FILL(m1, REPEAT)", "FILL(m1, REPEAT)"},
      {"[m1, [m2, m3 * 2]]", "[m1, [m2, (m3 * 2)]]"},
      {"IF(m1 > 5, m1)", "IF((m1 > 5), m1)"},
      {"ANOMALY_DETECTION_BAND",
       "error: Syntax error at position 1: unknown keyword "
       "'ANOMALY_DETECTION_BAND'"},
  };
  for (const Case& c : cases) EXPECT_EQ(Parsed(c.expression), c.want) << c.expression;
}

TEST(ParserTest, SyntaxErrorsNamePositionAndContext) {
  const Case cases[] = {
      {"m1 +",
       "Syntax error at position 5 (after 'm1 +'): expected a number, an id or a function, "
       "found the end of the expression"},
      {"(m1 + )",
       "Syntax error at position 7 (after '(m1 +'): expected a number, an id or a function, "
       "found ')'"},
      {"",
       "Syntax error at position 1: expected a number, an id or a function, found the end "
       "of the expression"},
      {"+m1", "Syntax error at position 1: expected a number, an id or a function, found '+'"},
      {"m1 AND",
       "Syntax error at position 7 (after 'm1 AND'): expected a number, an id or a function, "
       "found the end of the expression"},
      {"m1 m2",
       "Syntax error at position 4 (after 'm1'): expected an operator or the end of the "
       "expression, found 'm2'"},
      {"(m1 + m2",
       "Syntax error at position 9 (after '(m1 + m2'): expected ')' to close the '(' at "
       "position 1, found the end of the expression"},
      {"SUM(m1 m2)",
       "Syntax error at position 8 (after 'SUM(m1'): expected ',' or ')' in SUM, "
       "found 'm2'"},
      {"[m1, m2",
       "Syntax error at position 8 (after '[m1, m2'): expected ',' or ']' in the array, found "
       "the end of the expression"},
      {"[]",
       "Syntax error at position 2 (after '['): expected a number, an id or a function, found "
       "']'"},
      {"m1 # 2", "Syntax error at position 4 (after 'm1'): unexpected character '#'"},
      {"m1 = 2",
       "Syntax error at position 4 (after 'm1'): unexpected '='; comparison is "
       "written '=='"},
      {"!m1",
       "Syntax error at position 1: unexpected '!'; not-equal is written '!=' (there is "
       "no NOT)"},
      {"m1 & m2",
       "Syntax error at position 4 (after 'm1'): unexpected '&'; logical and is "
       "written '&&' or AND"},
      {"m1 \xc3\xa9", "Syntax error at position 4 (after 'm1'): unexpected byte 0xc3"},
      {"METRICS(\"abc", "Syntax error at position 9 (after 'METRICS('): unterminated string"},
      {"1e999", "Syntax error at position 1: number 1e999 is out of range"},
      {"sum(m1)",
       "Syntax error at position 1: unknown function 'sum' (function names are uppercase)"},
      {"m1 + FOO", "Syntax error at position 6 (after 'm1 +'): unknown keyword 'FOO'"},
      {"RATE + 1",
       "Syntax error at position 6 (after 'RATE'): expected '(' after RATE, found "
       "'+'"},
      {"m1 + m2 + m3 + m4 + m5 + m6 +",
       "Syntax error at position 30 (after '... m3 + m4 + m5 + m6 +'): expected a number, an id "
       "or a function, found the end of the expression"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Parsed(c.expression), "error: " + c.want) << c.expression;
  }
}

TEST(ParserTest, FunctionNamesAndArityAreChecked) {
  const Case cases[] = {
      {"FOO(m1)", "Error at position 1: unknown function FOO"},
      {"ANOMALY_DETECTION_BAND(m1)",
       "Error at position 1: ANOMALY_DETECTION_BAND is not supported"},
      {"m1 / SEARCH(\"x\", SUM, 300)", "Error at position 6: SEARCH is not supported"},
      {"FILL(m1)", "Error at position 1: FILL takes 2 arguments, got 1"},
      {"m1 + SLICE(m1)", "Error at position 6: SLICE takes 2 or 3 arguments, got 1"},
      {"ABS(m1, m2)", "Error at position 1: ABS takes 1 argument, got 2"},
      {"ABS()", "Error at position 1: ABS takes 1 argument, got 0"},
      {"METRICS(\"a\", \"b\")", "Error at position 1: METRICS takes 0 or 1 arguments, got 2"},
      {"SORT(m1, SUM)", "Error at position 1: SORT takes 3 or 4 arguments, got 2"},
      {"IF(m1)", "Error at position 1: IF takes 2 or 3 arguments, got 1"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Parsed(c.expression), "error: " + c.want) << c.expression;
  }
}

TEST(ParserTest, LengthLimit) {
  const std::string longest = "m1" + std::string(kMaxExpressionLength - 2, ' ');
  EXPECT_EQ(Parsed(longest), "m1");
  EXPECT_EQ(Parsed(longest + " "),
            "error: The expression is 1025 characters long; the limit is 1024");
}

TEST(ParserTest, NestingLimitRefusesCleanly) {
  auto nested = [](int depth, const std::string& open, const std::string& close) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += open;
    s += "1";
    for (int i = 0; i < depth; ++i) s += close;
    return s;
  };
  EXPECT_EQ(Parsed(nested(kMaxNestingDepth, "(", ")")), "1");
  EXPECT_EQ(Parsed(nested(kMaxNestingDepth, "ABS(", ")")).substr(0, 8), "ABS(ABS(");
  EXPECT_EQ(Parsed(nested(kMaxNestingDepth, "-", "")).substr(0, 4), "(-(-");
  const std::string too_deep_message = "the expression is nested more than 100 levels deep";
  for (const std::string& s :
       {nested(kMaxNestingDepth + 1, "(", ")"), nested(kMaxNestingDepth + 1, "[", "]"),
        nested(kMaxNestingDepth + 1, "-", ""), nested(kMaxNestingDepth + 1, "2^", ""),
        nested(kMaxNestingDepth + 1, "SUM(", ")"), nested(500, "(", ")")}) {
    const std::string got = Parsed(s);
    EXPECT_NE(got.find(too_deep_message), std::string::npos) << got;
    EXPECT_EQ(got.rfind("error: Syntax error at position ", 0), 0u) << got;
  }
  // Past the limit at the 101st '(' : position 101.
  EXPECT_EQ(Parsed(nested(kMaxNestingDepth + 1, "(", ")")).substr(0, 41),
            "error: Syntax error at position 101 (afte");
}

TEST(ParserTest, ReferencedIdsInOrderOfFirstUse) {
  StatusOr<Expr> expr = Parse("m1 + m2 * m1 + SUM([e1, m2, METRICS()]) / FILL(m3, REPEAT)");
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  EXPECT_EQ(ReferencedIds(*expr), (std::vector<std::string>{"m1", "m2", "e1", "m3"}));

  ASSERT_TRUE((expr = Parse("SUM(METRICS(\"errors\")) * 2")).ok());
  EXPECT_TRUE(ReferencedIds(*expr).empty());
}

TEST(ParserTest, ExprCopiesShareTheTree) {
  StatusOr<Expr> expr = Parse("m1 * 2");
  ASSERT_TRUE(expr.ok());
  const Expr copy = *expr;
  EXPECT_EQ(&copy.root(), &expr->root());
  EXPECT_EQ(copy.ToString(), "(m1 * 2)");
}

}  // namespace
}  // namespace vigil::metricmath
