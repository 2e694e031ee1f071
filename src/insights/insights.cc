#include "insights/insights.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "common/ascii.h"
#include "common/syntax_error.h"

namespace vigil::insights {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsWordChar(char c) { return IsLetter(c) || IsDigit(c) || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }


enum class TokenKind {
  kEnd,
  kWord,        // bare word: keyword or identifier
  kIdentifier,  // "double-quoted"
  kString,      // 'single-quoted'
  kNumber,      // digits
  kLParen,
  kRParen,
  kComma,
  kEq,
  kNe,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t pos = 0;    // 1-based
  std::string text;  // words and numbers as written; quoted text unescaped
};

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "the end of the query";
    case TokenKind::kWord:
    case TokenKind::kNumber:
      return "'" + t.text + "'";
    case TokenKind::kIdentifier:
      return "the identifier \"" + t.text + "\"";
    case TokenKind::kString:
      return "the string '" + t.text + "'";
    case TokenKind::kLParen:
      return "'('";
    case TokenKind::kRParen:
      return "')'";
    case TokenKind::kComma:
      return "','";
    case TokenKind::kEq:
      return "'='";
    case TokenKind::kNe:
      return "'!='";
  }
  return "?";
}

StatusOr<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (true) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    Token t;
    t.pos = i + 1;
    if (i == s.size()) {
      out.push_back(std::move(t));
      return out;
    }
    const char c = s[i];
    if (IsLetter(c) || c == '_') {
      size_t j = i;
      while (j < s.size() && IsWordChar(s[j])) ++j;
      t.kind = TokenKind::kWord;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (IsDigit(c)) {
      size_t j = i;
      while (j < s.size() && IsDigit(s[j])) ++j;
      t.kind = TokenKind::kNumber;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (c == '"' || c == '\'') {
      t.kind = c == '"' ? TokenKind::kIdentifier : TokenKind::kString;
      size_t j = i + 1;
      while (j < s.size() && s[j] != c) {
        if (s[j] == '\\' && j + 1 < s.size()) ++j;
        t.text.push_back(s[j++]);
      }
      if (j == s.size()) {
        return SyntaxError(s, t.pos,
                           c == '"' ? "unterminated identifier (a \" without its closing \")"
                                    : "unterminated string (a ' without its closing ')");
      }
      i = j + 1;
    } else if (c == '!' && i + 1 < s.size() && s[i + 1] == '=') {
      t.kind = TokenKind::kNe;
      i += 2;
    } else if (c == '<' && i + 1 < s.size() && s[i + 1] == '>') {
      t.kind = TokenKind::kNe;
      i += 2;
    } else if (c == '=') {
      t.kind = TokenKind::kEq;
      i += s.substr(i, 2) == "==" ? 2 : 1;
    } else if (c == '(' || c == ')' || c == ',') {
      t.kind = c == '(' ? TokenKind::kLParen : c == ')' ? TokenKind::kRParen : TokenKind::kComma;
      ++i;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      std::string what = byte >= 0x20 && byte < 0x7f ? std::string("unexpected character '") + c +
                                                           "'"
                                                     : "unexpected byte";
      if (c == '/' || c == '-' || c == '.' || c == ':') {
        what += "; identifiers with characters other than letters, digits and _ are written in "
                "double quotes, e.g. \"AWS/EC2\"";
      }
      return SyntaxError(s, t.pos, what);
    }
    out.push_back(std::move(t));
  }
}

std::optional<Function> FunctionNamed(std::string_view word) {
  static constexpr std::pair<std::string_view, Function> kFunctions[] = {
      {"AVG", Function::kAvg},
      {"COUNT", Function::kCount},
      {"MAX", Function::kMax},
      {"MIN", Function::kMin},
      {"SUM", Function::kSum},
  };
  for (const auto& [name, f] : kFunctions) {
    if (EqualsIgnoreCase(word, name)) return f;
  }
  return std::nullopt;
}

bool IsReserved(std::string_view word) {
  static constexpr std::string_view kReserved[] = {"SELECT", "FROM", "WHERE", "GROUP", "BY",
                                                   "ORDER",  "LIMIT", "AND",  "OR",    "NOT",
                                                   "IN",     "ASC",   "DESC", "SCHEMA"};
  return std::any_of(std::begin(kReserved), std::end(kReserved),
                     [&](std::string_view k) { return EqualsIgnoreCase(word, k); });
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  StatusOr<Query> Run() {
    Query q;
    RETURN_IF_ERROR(Keyword("SELECT"));
    ASSIGN_OR_RETURN(q.function, ParseFunction());
    RETURN_IF_ERROR(Expect(TokenKind::kLParen, "'(' after the function"));
    ASSIGN_OR_RETURN(q.metric, Identifier("a metric name"));
    RETURN_IF_ERROR(Expect(TokenKind::kRParen, "')' after the metric name"));
    RETURN_IF_ERROR(Keyword("FROM"));
    if (IsKeyword("SCHEMA")) {
      Next();
      RETURN_IF_ERROR(Expect(TokenKind::kLParen, "'(' after SCHEMA"));
      ASSIGN_OR_RETURN(q.ns, Identifier("a namespace"));
      std::vector<std::string> keys;
      while (Peek().kind == TokenKind::kComma) {
        Next();
        ASSIGN_OR_RETURN(std::string key, Identifier("a dimension name"));
        keys.push_back(std::move(key));
      }
      RETURN_IF_ERROR(Expect(TokenKind::kRParen, "',' or ')' in SCHEMA(...)"));
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      q.schema = std::move(keys);
    } else {
      ASSIGN_OR_RETURN(q.ns, Identifier("a namespace or SCHEMA(...)"));
    }
    if (IsKeyword("WHERE")) {
      Next();
      ASSIGN_OR_RETURN(q.where, ParseOr());
    }
    if (IsKeyword("GROUP")) {
      Next();
      RETURN_IF_ERROR(Keyword("BY"));
      do {
        if (!q.group_by.empty()) Next();  // the comma
        ASSIGN_OR_RETURN(std::string key, Identifier("a dimension name"));
        q.group_by.push_back(std::move(key));
      } while (Peek().kind == TokenKind::kComma);
    }
    if (IsKeyword("ORDER")) {
      Next();
      RETURN_IF_ERROR(Keyword("BY"));
      ASSIGN_OR_RETURN(q.order_by, ParseFunction());
      RETURN_IF_ERROR(Expect(TokenKind::kLParen, "'(' after the function"));
      RETURN_IF_ERROR(Expect(TokenKind::kRParen, "')': ORDER BY functions take no argument"));
      if (IsKeyword("DESC")) {
        q.descending = true;
        Next();
      } else if (IsKeyword("ASC")) {
        Next();
      }
    }
    if (IsKeyword("LIMIT")) {
      Next();
      const Token& t = Peek();
      int64_t n = 0;
      const auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
      if (t.kind != TokenKind::kNumber || r.ec != std::errc() || n < 1 || n > kMaxLimit) {
        return Error("expected a LIMIT from 1 to " + std::to_string(kMaxLimit));
      }
      q.limit = n;
      Next();
    }
    if (Peek().kind != TokenKind::kEnd) {
      return Error("expected WHERE, GROUP BY, ORDER BY, LIMIT or the end of the query");
    }
    return q;
  }

 private:
  const Token& Peek() const { return tokens_[at_]; }
  void Next() {
    if (at_ + 1 < tokens_.size()) ++at_;
  }
  bool IsKeyword(std::string_view word) const {
    return Peek().kind == TokenKind::kWord && EqualsIgnoreCase(Peek().text, word);
  }
  Status Error(std::string_view expected) const {
    return SyntaxError(text_, Peek().pos, std::string(expected) + ", found " + Describe(Peek()));
  }
  Status Keyword(std::string_view word) {
    if (!IsKeyword(word)) return Error("expected " + std::string(word));
    Next();
    return OkStatus();
  }
  Status Expect(TokenKind kind, std::string_view what) {
    if (Peek().kind != kind) return Error("expected " + std::string(what));
    Next();
    return OkStatus();
  }
  StatusOr<std::string> Identifier(std::string_view what) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kIdentifier ||
        (t.kind == TokenKind::kWord && !IsReserved(t.text))) {
      if (t.text.empty()) return Error("expected " + std::string(what) + " (not empty)");
      std::string out = t.text;
      Next();
      return out;
    }
    return Error("expected " + std::string(what));
  }
  StatusOr<std::string> Value() {
    if (Peek().kind != TokenKind::kString) return Error("expected a value in single quotes");
    std::string out = Peek().text;
    Next();
    return out;
  }
  StatusOr<Function> ParseFunction() {
    const std::optional<Function> f =
        Peek().kind == TokenKind::kWord ? FunctionNamed(Peek().text) : std::nullopt;
    if (!f) return Error("expected one of AVG, COUNT, MAX, MIN, SUM");
    Next();
    return *f;
  }

  // or := and (OR and)* ; and := unary (AND unary)* ; unary := NOT unary | ( or ) | comparison
  StatusOr<Condition> ParseOr() {
    ASSIGN_OR_RETURN(Condition left, ParseAnd());
    while (IsKeyword("OR")) {
      Next();
      ASSIGN_OR_RETURN(Condition right, ParseAnd());
      left = Condition{Condition::Kind::kOr, {}, {}, {std::move(left), std::move(right)}};
    }
    return left;
  }
  StatusOr<Condition> ParseAnd() {
    ASSIGN_OR_RETURN(Condition left, ParseUnary());
    while (IsKeyword("AND")) {
      Next();
      ASSIGN_OR_RETURN(Condition right, ParseUnary());
      left = Condition{Condition::Kind::kAnd, {}, {}, {std::move(left), std::move(right)}};
    }
    return left;
  }
  StatusOr<Condition> ParseUnary() {
    if (++depth_ > kMaxDepth) return Error("conditions nest too deeply");
    StatusOr<Condition> out = ParseUnaryInner();
    --depth_;
    return out;
  }
  StatusOr<Condition> ParseUnaryInner() {
    if (IsKeyword("NOT")) {
      Next();
      ASSIGN_OR_RETURN(Condition operand, ParseUnary());
      return Condition{Condition::Kind::kNot, {}, {}, {std::move(operand)}};
    }
    if (Peek().kind == TokenKind::kLParen) {
      Next();
      ASSIGN_OR_RETURN(Condition inner, ParseOr());
      RETURN_IF_ERROR(Expect(TokenKind::kRParen, "')' or AND/OR"));
      return inner;
    }
    Condition c;
    ASSIGN_OR_RETURN(c.dimension, Identifier("a dimension name"));
    if (Peek().kind == TokenKind::kEq || Peek().kind == TokenKind::kNe) {
      c.kind = Peek().kind == TokenKind::kEq ? Condition::Kind::kEq : Condition::Kind::kNe;
      Next();
      ASSIGN_OR_RETURN(std::string v, Value());
      c.values.push_back(std::move(v));
      return c;
    }
    c.kind = Condition::Kind::kIn;
    if (IsKeyword("NOT")) {
      c.kind = Condition::Kind::kNotIn;
      Next();
      if (!IsKeyword("IN")) return Error("expected IN after NOT");
    }
    if (!IsKeyword("IN")) return Error("expected =, !=, IN or NOT IN");
    Next();
    RETURN_IF_ERROR(Expect(TokenKind::kLParen, "'(' after IN"));
    do {
      if (!c.values.empty()) Next();  // the comma
      ASSIGN_OR_RETURN(std::string v, Value());
      c.values.push_back(std::move(v));
    } while (Peek().kind == TokenKind::kComma);
    RETURN_IF_ERROR(Expect(TokenKind::kRParen, "',' or ')' in the IN list"));
    return c;
  }

  static constexpr int kMaxDepth = 64;
  std::string_view text_;
  std::vector<Token> tokens_;
  size_t at_ = 0;
  int depth_ = 0;
};

// The value of dimension `name` in `key`, or nullopt.
std::optional<std::string_view> DimensionValue(const tsdb::SeriesKey& key, std::string_view name) {
  const auto it = std::lower_bound(
      key.dimensions.begin(), key.dimensions.end(), name,
      [](const tsdb::Dimension& d, std::string_view n) { return d.name < n; });
  if (it == key.dimensions.end() || it->name != name) return std::nullopt;
  return std::string_view(it->value);
}

bool Holds(const Condition& c, const tsdb::SeriesKey& key) {
  switch (c.kind) {
    case Condition::Kind::kAnd:
      return Holds(c.operands[0], key) && Holds(c.operands[1], key);
    case Condition::Kind::kOr:
      return Holds(c.operands[0], key) || Holds(c.operands[1], key);
    case Condition::Kind::kNot:
      return !Holds(c.operands[0], key);
    default:
      break;
  }
  const std::optional<std::string_view> v = DimensionValue(key, c.dimension);
  const bool in = v && std::find(c.values.begin(), c.values.end(), *v) != c.values.end();
  return c.kind == Condition::Kind::kEq || c.kind == Condition::Kind::kIn ? in : !in;
}

std::string GroupLabel(const Query& q, const tsdb::SeriesKey& key) {
  std::string label;
  for (const std::string& name : q.group_by) {
    if (!label.empty()) label.push_back(' ');
    const std::optional<std::string_view> v = DimensionValue(key, name);
    label.append(v ? *v : std::string_view("Other"));
  }
  return label;
}

}  // namespace

bool IsQuery(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) ++i;
  return text.size() - i >= 6 && EqualsIgnoreCase(text.substr(i, 6), "SELECT") &&
         (text.size() - i == 6 || !IsWordChar(text[i + 6]));
}

StatusOr<Query> Parse(std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(text));
  return Parser(text, std::move(tokens)).Run();
}

bool Matches(const Query& q, const tsdb::SeriesKey& key) {
  if (key.ns != q.ns || key.metric != q.metric) return false;
  if (q.schema) {
    if (key.dimensions.size() != q.schema->size()) return false;
    for (size_t i = 0; i < key.dimensions.size(); ++i) {
      if (key.dimensions[i].name != (*q.schema)[i]) return false;
    }
  }
  return !q.where || Holds(*q.where, key);
}

void Aggregator::Stats::Merge(const tsdb::Datapoint& dp) {
  Merge(Stats{dp.sample_count, dp.sum, dp.minimum, dp.maximum});
}

void Aggregator::Stats::Merge(const Stats& o) {
  if (o.count <= 0) return;
  if (count <= 0) {
    *this = o;
    return;
  }
  count += o.count;
  sum += o.sum;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
}

double Aggregator::Stats::Value(Function f) const {
  switch (f) {
    case Function::kAvg:
      return count > 0 ? sum / count : 0;
    case Function::kCount:
      return count;
    case Function::kMax:
      return max;
    case Function::kMin:
      return min;
    case Function::kSum:
      return sum;
  }
  return 0;
}

void Aggregator::Add(const tsdb::SeriesKey& key, std::span<const tsdb::Datapoint> datapoints) {
  if (datapoints.empty()) return;
  std::map<int64_t, Stats>& periods = groups_[GroupLabel(*query_, key)];
  for (const tsdb::Datapoint& dp : datapoints) periods[dp.timestamp_ms].Merge(dp);
}

void Aggregator::Merge(const Aggregator& other) {
  for (const auto& [label, periods] : other.groups_) {
    std::map<int64_t, Stats>& mine = groups_[label];
    for (const auto& [t, stats] : periods) mine[t].Merge(stats);
  }
}

std::vector<Result> Aggregator::Finish() const {
  struct Ranked {
    const std::string* label;
    const std::map<int64_t, Stats>* periods;
    double rank = 0;
  };
  std::vector<Ranked> ranked;
  ranked.reserve(groups_.size());
  for (const auto& [label, periods] : groups_) {
    Ranked r{&label, &periods};
    if (query_->order_by) {
      Stats total;
      for (const auto& [t, s] : periods) total.Merge(s);
      r.rank = total.Value(*query_->order_by);
    }
    ranked.push_back(r);
  }
  if (query_->order_by) {
    // Stable: equal ranks keep label order.
    std::stable_sort(ranked.begin(), ranked.end(), [&](const Ranked& a, const Ranked& b) {
      return query_->descending ? a.rank > b.rank : a.rank < b.rank;
    });
  }
  const size_t keep = std::min<size_t>(ranked.size(), static_cast<size_t>(query_->limit.value_or(kMaxLimit)));
  std::vector<Result> out;
  out.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    Result& r = out.emplace_back();
    r.label = *ranked[i].label;
    r.timestamps_ms.reserve(ranked[i].periods->size());
    r.values.reserve(ranked[i].periods->size());
    for (const auto& [t, s] : *ranked[i].periods) {
      r.timestamps_ms.push_back(t);
      r.values.push_back(s.Value(query_->function));
    }
  }
  return out;
}

}  // namespace vigil::insights
