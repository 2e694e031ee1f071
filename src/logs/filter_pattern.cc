#include "logs/filter_pattern.h"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace vigil::logs {
namespace {

using Json = nlohmann::json;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// '*' in `pattern` matches any run of characters; everything else itself.
bool Glob(std::string_view pattern, std::string_view s) {
  size_t p = 0, i = 0, star = std::string_view::npos, resume = 0;
  while (i < s.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = i;
    } else if (p < pattern.size() && pattern[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// ---- Comparisons and boolean expressions (JSON and space-delimited patterns) ----

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIsTrue, kIsFalse, kIsNull, kNotExists };

struct Comparison {
  std::string selector;           // "$.a.b[0]" or a field name
  std::vector<std::string> path;  // JSON: the selector's steps ("a", "b", "[0]")
  Op op = Op::kEq;
  std::string text;              // the value as written (unquoted)
  std::optional<double> number;  // when the value is an unquoted number
};

struct Expr {
  enum Kind { kCompare, kAnd, kOr } kind = kCompare;
  Comparison compare;
  std::vector<Expr> operands;  // kAnd, kOr
};

// Compares a string or number field value (`number` set when the field is numeric).
bool CompareScalar(const Comparison& c, const std::string* str, std::optional<double> number) {
  switch (c.op) {
    case Op::kEq:
    case Op::kNe: {
      bool equal = false;
      if (c.number && number) {
        equal = *number == *c.number;
      } else if (str != nullptr) {
        equal = Glob(c.text, *str);
      }
      return c.op == Op::kEq ? equal : !equal;
    }
    case Op::kLt:
      return c.number && number && *number < *c.number;
    case Op::kLe:
      return c.number && number && *number <= *c.number;
    case Op::kGt:
      return c.number && number && *number > *c.number;
    case Op::kGe:
      return c.number && number && *number >= *c.number;
    default:
      return false;
  }
}

const Json* Select(const Json& doc, const std::vector<std::string>& path) {
  const Json* at = &doc;
  for (const std::string& step : path) {
    if (step.front() == '[') {
      if (!at->is_array()) return nullptr;
      const size_t index = static_cast<size_t>(std::strtoull(step.c_str() + 1, nullptr, 10));
      if (index >= at->size()) return nullptr;
      at = &(*at)[index];
    } else {
      if (!at->is_object()) return nullptr;
      const auto it = at->find(step);
      if (it == at->end()) return nullptr;
      at = &*it;
    }
  }
  return at;
}

bool EvalJson(const Expr& e, const Json& doc) {
  if (e.kind == Expr::kAnd) {
    for (const Expr& o : e.operands) {
      if (!EvalJson(o, doc)) return false;
    }
    return true;
  }
  if (e.kind == Expr::kOr) {
    for (const Expr& o : e.operands) {
      if (EvalJson(o, doc)) return true;
    }
    return false;
  }
  const Comparison& c = e.compare;
  const Json* v = Select(doc, c.path);
  switch (c.op) {
    case Op::kNotExists:
      return v == nullptr;
    case Op::kIsNull:
      return v != nullptr && v->is_null();
    case Op::kIsTrue:
      return v != nullptr && v->is_boolean() && v->get<bool>();
    case Op::kIsFalse:
      return v != nullptr && v->is_boolean() && !v->get<bool>();
    default:
      break;
  }
  if (v == nullptr) return false;
  if (v->is_number()) return CompareScalar(c, nullptr, v->get<double>());
  if (v->is_string()) return CompareScalar(c, &v->get_ref<const std::string&>(), std::nullopt);
  return false;
}

// A space-delimited field's value compared as the pattern says.
bool EvalField(const Expr& e, std::string_view value) {
  if (e.kind == Expr::kAnd || e.kind == Expr::kOr) {
    for (const Expr& o : e.operands) {
      const bool r = EvalField(o, value);
      if (e.kind == Expr::kAnd && !r) return false;
      if (e.kind == Expr::kOr && r) return true;
    }
    return e.kind == Expr::kAnd;
  }
  const std::string s(value);
  return CompareScalar(e.compare, &s, ParseNumber(value));
}

// ---- The tokenizer and parser of JSON and space-delimited patterns ----

struct Token {
  enum Kind { kEnd, kPunct, kString, kWord } kind = kEnd;
  std::string text;
  size_t at = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  StatusOr<Token> Next() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
    Token t;
    t.at = pos_;
    if (pos_ >= s_.size()) return t;
    const char c = s_[pos_];
    static constexpr std::string_view kTwo[] = {"&&", "||", "!=", "<=", ">=", "..."};
    for (std::string_view op : kTwo) {
      if (s_.substr(pos_, op.size()) == op) {
        pos_ += op.size();
        t.kind = Token::kPunct;
        t.text = std::string(op);
        return t;
      }
    }
    if (std::string_view("{}[](),=<>").find(c) != std::string_view::npos) {
      ++pos_;
      t.kind = Token::kPunct;
      t.text = std::string(1, c);
      return t;
    }
    if (c == '"') {
      ++pos_;
      t.kind = Token::kString;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        t.text.push_back(s_[pos_++]);
      }
      if (pos_ >= s_.size()) return Error(t.at, "a quoted string is not closed");
      ++pos_;
      return t;
    }
    t.kind = Token::kWord;
    const bool selector = c == '$';  // $.a[0].b: brackets belong to it
    while (pos_ < s_.size() && !IsSpace(s_[pos_])) {
      const char d = s_[pos_];
      const bool bracket = d == '[' || d == ']';
      if (std::string_view("{}[](),=<>!&|\"").find(d) != std::string_view::npos &&
          !(selector && bracket)) {
        break;
      }
      t.text.push_back(d);
      ++pos_;
    }
    if (t.text.empty()) return Error(t.at, std::string("unexpected '") + c + "'");
    return t;
  }

  static Status Error(size_t at, const std::string& what) {
    return InvalidArgumentError("invalid filter pattern at character " + std::to_string(at + 1) +
                                ": " + what);
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// "$.a.b[0].c" into {"a", "b", "[0]", "c"}; `at` places errors.
Status ParseJsonPath(const std::string& s, size_t at, std::vector<std::string>* path) {
  if (s.size() < 3 || s[0] != '$' || s[1] != '.') {
    return Lexer::Error(at, "a JSON selector starts with $. ('" + s + "')");
  }
  size_t i = 2;
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
      continue;
    }
    if (s[i] == '[') {
      const size_t close = s.find(']', i);
      if (close == std::string::npos || close == i + 1 ||
          s.find_first_not_of("0123456789", i + 1) != close) {
        return Lexer::Error(at, "an array index is [digits] ('" + s + "')");
      }
      path->push_back(s.substr(i, close - i + 1));
      i = close + 1;
      continue;
    }
    size_t end = s.find_first_of(".[", i);
    if (end == std::string::npos) end = s.size();
    const std::string step = s.substr(i, end - i);
    if (step == "*") return Lexer::Error(at, "wildcard selectors are not supported");
    path->push_back(step);
    i = end;
  }
  if (path->empty()) return Lexer::Error(at, "empty JSON selector");
  return OkStatus();
}

class ExprParser {
 public:
  // `json`: selectors must be $.paths; otherwise they are field names.
  ExprParser(std::string_view text, bool json) : lexer_(text), json_(json) {}

  Status Start() { return Advance(); }
  const Token& peek() const { return tok_; }
  Status Advance() {
    ASSIGN_OR_RETURN(tok_, lexer_.Next());
    return OkStatus();
  }
  Status Expect(std::string_view punct) {
    if (tok_.kind != Token::kPunct || tok_.text != punct) {
      return Lexer::Error(tok_.at, "expected '" + std::string(punct) + "'" + Found());
    }
    return Advance();
  }
  bool At(std::string_view punct) const { return tok_.kind == Token::kPunct && tok_.text == punct; }

  // The condition on a space-delimited field whose name was read already.
  StatusOr<Expr> ParseOrAfter(std::string selector) {
    pending_ = std::move(selector);
    return ParseOr();
  }

  // or := and ('||' and)*;  and := primary ('&&' primary)*;  primary := '(' or ')' | compare
  StatusOr<Expr> ParseOr() {
    ASSIGN_OR_RETURN(Expr first, ParseAnd());
    if (!At("||")) return first;
    Expr e;
    e.kind = Expr::kOr;
    e.operands.push_back(std::move(first));
    while (At("||")) {
      RETURN_IF_ERROR(Advance());
      ASSIGN_OR_RETURN(Expr next, ParseAnd());
      e.operands.push_back(std::move(next));
    }
    return e;
  }

 private:
  StatusOr<Expr> ParseAnd() {
    ASSIGN_OR_RETURN(Expr first, ParsePrimary());
    if (!At("&&")) return first;
    Expr e;
    e.kind = Expr::kAnd;
    e.operands.push_back(std::move(first));
    while (At("&&")) {
      RETURN_IF_ERROR(Advance());
      ASSIGN_OR_RETURN(Expr next, ParsePrimary());
      e.operands.push_back(std::move(next));
    }
    return e;
  }

  StatusOr<Expr> ParsePrimary() {
    if (At("(")) {
      RETURN_IF_ERROR(Advance());
      ASSIGN_OR_RETURN(Expr e, ParseOr());
      RETURN_IF_ERROR(Expect(")"));
      return e;
    }
    if (tok_.kind != Token::kWord && !pending_) {
      return Lexer::Error(tok_.at, "expected a selector" + Found());
    }
    Expr e;
    Comparison& c = e.compare;
    c.selector = tok_.text;
    if (pending_) {
      c.selector = std::move(*pending_);
      pending_.reset();
    } else {
      if (json_) RETURN_IF_ERROR(ParseJsonPath(c.selector, tok_.at, &c.path));
      RETURN_IF_ERROR(Advance());
    }
    if (tok_.kind == Token::kWord && (tok_.text == "IS" || tok_.text == "NOT")) {
      if (!json_) return Lexer::Error(tok_.at, "IS and NOT EXISTS apply to JSON selectors");
      const bool is = tok_.text == "IS";
      RETURN_IF_ERROR(Advance());
      const std::string word = tok_.kind == Token::kWord ? tok_.text : "";
      if (is && word == "TRUE") {
        c.op = Op::kIsTrue;
      } else if (is && word == "FALSE") {
        c.op = Op::kIsFalse;
      } else if (is && word == "NULL") {
        c.op = Op::kIsNull;
      } else if (!is && word == "EXISTS") {
        c.op = Op::kNotExists;
      } else {
        return Lexer::Error(
            tok_.at, is ? "expected TRUE, FALSE or NULL after IS" : "expected EXISTS after NOT");
      }
      RETURN_IF_ERROR(Advance());
      return e;
    }
    static constexpr std::pair<std::string_view, Op> kOps[] = {{"=", Op::kEq}, {"!=", Op::kNe},
                                                               {"<", Op::kLt}, {"<=", Op::kLe},
                                                               {">", Op::kGt}, {">=", Op::kGe}};
    bool found = false;
    for (const auto& [text, op] : kOps) {
      if (At(text)) {
        c.op = op;
        found = true;
      }
    }
    if (!found) return Lexer::Error(tok_.at, "expected a comparison after " + c.selector + Found());
    RETURN_IF_ERROR(Advance());
    if (tok_.kind != Token::kWord && tok_.kind != Token::kString) {
      return Lexer::Error(tok_.at, "expected a value" + Found());
    }
    c.text = tok_.text;
    if (tok_.kind == Token::kWord) c.number = ParseNumber(c.text);
    if (c.op != Op::kEq && c.op != Op::kNe && !c.number) {
      return Lexer::Error(tok_.at, "<, <=, > and >= compare numbers; '" + c.text + "' is not one");
    }
    RETURN_IF_ERROR(Advance());
    return e;
  }

  std::string Found() const {
    return tok_.kind == Token::kEnd ? ", found the end" : ", found '" + tok_.text + "'";
  }

  Lexer lexer_;
  bool json_;
  Token tok_;
  std::optional<std::string> pending_;  // a selector read ahead
};

// Whether every comparison in `e` is on `name`.
bool NamesOnly(const Expr& e, const std::string& name) {
  if (e.kind == Expr::kCompare) return e.compare.selector == name;
  for (const Expr& o : e.operands) {
    if (!NamesOnly(o, name)) return false;
  }
  return true;
}

// ---- Unstructured terms ----

struct Term {
  enum Kind { kRequired, kExcluded, kOptional } kind = kRequired;
  std::string text;
  // RE2, not std::regex: matching takes time linear in the message whatever the pattern (a
  // backtracking engine let a fuzzed %pattern% spin for minutes on a 100-byte message), and
  // the compiled program's memory is bounded. Shared: patterns are copied, never changed.
  std::shared_ptr<const re2::RE2> regex;

  bool In(std::string_view message) const {
    if (regex) return re2::RE2::PartialMatch(message, *regex);
    return message.find(text) != std::string_view::npos;
  }
};

// Splits a message into space-delimited fields: "quoted" and [bracketed] runs are one field
// (without their delimiters).
std::vector<std::string_view> SplitFields(std::string_view m) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < m.size()) {
    while (i < m.size() && m[i] == ' ') ++i;
    if (i >= m.size()) break;
    const char open = m[i];
    const char close = open == '"' ? '"' : open == '[' ? ']' : '\0';
    if (close != '\0') {
      const size_t end = m.find(close, i + 1);
      if (end != std::string_view::npos) {
        fields.push_back(m.substr(i + 1, end - i - 1));
        i = end + 1;
        continue;
      }
    }
    const size_t end = std::min(m.find(' ', i), m.size());
    fields.push_back(m.substr(i, end - i));
    i = end;
  }
  return fields;
}

}  // namespace

struct FilterPattern::Impl {
  enum Kind { kTerms, kJson, kDelimited } kind = kTerms;
  std::vector<Term> terms;
  Expr json;
  // Space-delimited: each element is `...`, a name, or a condition on its field.
  struct Element {
    bool ellipsis = false;
    std::string name;
    std::optional<Expr> condition;
  };
  std::vector<Element> elements;

  // Binds pattern elements from `e` to message fields from `f`; bound[e] = field index.
  bool Bind(const std::vector<std::string_view>& fields, size_t e, size_t f,
            std::vector<size_t>* bound) const {
    if (e == elements.size()) return f == fields.size();
    const Element& el = elements[e];
    if (el.ellipsis) {
      for (size_t k = f; k <= fields.size(); ++k) {
        if (Bind(fields, e + 1, k, bound)) return true;
      }
      return false;
    }
    if (f >= fields.size()) return false;
    if (el.condition && !EvalField(*el.condition, fields[f])) return false;
    (*bound)[e] = f;
    return Bind(fields, e + 1, f + 1, bound);
  }
};

FilterPattern::FilterPattern() = default;
FilterPattern::~FilterPattern() = default;
FilterPattern::FilterPattern(FilterPattern&&) noexcept = default;
FilterPattern& FilterPattern::operator=(FilterPattern&&) noexcept = default;
FilterPattern::FilterPattern(const FilterPattern&) = default;
FilterPattern& FilterPattern::operator=(const FilterPattern&) = default;

StatusOr<FilterPattern> FilterPattern::Parse(std::string_view text) {
  FilterPattern p;
  p.text_ = std::string(text);
  size_t start = 0;
  while (start < text.size() && IsSpace(text[start])) ++start;
  if (start == text.size() || text.substr(start) == "\"\"") return p;  // everything
  auto impl = std::make_shared<Impl>();

  if (text[start] == '{') {
    impl->kind = Impl::kJson;
    ExprParser parser(text, /*json=*/true);
    RETURN_IF_ERROR(parser.Start());
    RETURN_IF_ERROR(parser.Expect("{"));
    ASSIGN_OR_RETURN(impl->json, parser.ParseOr());
    RETURN_IF_ERROR(parser.Expect("}"));
    if (parser.peek().kind != Token::kEnd) {
      return Lexer::Error(parser.peek().at, "unexpected text after '}'");
    }
  } else if (text[start] == '[') {
    impl->kind = Impl::kDelimited;
    ExprParser parser(text, /*json=*/false);
    RETURN_IF_ERROR(parser.Start());
    RETURN_IF_ERROR(parser.Expect("["));
    while (!parser.At("]")) {
      Impl::Element el;
      if (parser.At("...")) {
        el.ellipsis = true;
        RETURN_IF_ERROR(parser.Advance());
      } else {
        const Token name = parser.peek();
        if (name.kind != Token::kWord) {
          return Lexer::Error(name.at, "expected a field name or '...'");
        }
        el.name = name.text;
        RETURN_IF_ERROR(parser.Advance());
        if (!parser.At(",") && !parser.At("]")) {  // not a bare name: a condition on the field
          ASSIGN_OR_RETURN(Expr e, parser.ParseOrAfter(el.name));
          if (!NamesOnly(e, el.name)) {
            return Lexer::Error(
                name.at, "the conditions of field '" + el.name + "' may only compare that field");
          }
          el.condition = std::move(e);
        }
      }
      impl->elements.push_back(std::move(el));
      if (parser.At(",")) {
        RETURN_IF_ERROR(parser.Advance());
      } else if (!parser.At("]")) {
        return Lexer::Error(parser.peek().at, "expected ',' or ']'");
      }
    }
    RETURN_IF_ERROR(parser.Advance());
    if (parser.peek().kind != Token::kEnd) {
      return Lexer::Error(parser.peek().at, "unexpected text after ']'");
    }
  } else {
    impl->kind = Impl::kTerms;
    size_t i = start;
    while (i < text.size()) {
      while (i < text.size() && IsSpace(text[i])) ++i;
      if (i >= text.size()) break;
      const size_t at = i;
      Term t;
      if (text[i] == '-' || text[i] == '?') {
        t.kind = text[i] == '-' ? Term::kExcluded : Term::kOptional;
        ++i;
      }
      if (i < text.size() && text[i] == '"') {
        const size_t close = text.find('"', i + 1);
        if (close == std::string_view::npos) return Lexer::Error(i, "a quoted term is not closed");
        t.text = std::string(text.substr(i + 1, close - i - 1));
        i = close + 1;
      } else if (i < text.size() && text[i] == '%') {
        const size_t close = text.find('%', i + 1);
        if (close == std::string_view::npos || close == i + 1) {
          return Lexer::Error(i, "a regular expression is %between percent signs%");
        }
        t.text = std::string(text.substr(i + 1, close - i - 1));
        re2::RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(1 << 20);
        t.regex = std::make_shared<const re2::RE2>(t.text, options);
        if (!t.regex->ok()) {
          return Lexer::Error(i, "bad regular expression: " + t.regex->error());
        }
        i = close + 1;
      } else {
        while (i < text.size() && !IsSpace(text[i])) t.text.push_back(text[i++]);
      }
      if (t.text.empty() && !t.regex) return Lexer::Error(at, "an empty term");
      impl->terms.push_back(std::move(t));
    }
  }
  p.impl_ = std::move(impl);
  return p;
}

bool FilterPattern::Matches(std::string_view message) const {
  if (impl_ == nullptr) return true;
  switch (impl_->kind) {
    case Impl::kTerms: {
      bool any_optional = false, optional_found = false;
      for (const Term& t : impl_->terms) {
        switch (t.kind) {
          case Term::kRequired:
            if (!t.In(message)) return false;
            break;
          case Term::kExcluded:
            if (t.In(message)) return false;
            break;
          case Term::kOptional:
            any_optional = true;
            optional_found = optional_found || t.In(message);
            break;
        }
      }
      return !any_optional || optional_found;
    }
    case Impl::kJson: {
      const Json doc = Json::parse(message, nullptr, /*allow_exceptions=*/false);
      return doc.is_object() && EvalJson(impl_->json, doc);
    }
    case Impl::kDelimited: {
      const std::vector<std::string_view> fields = SplitFields(message);
      std::vector<size_t> bound(impl_->elements.size());
      return impl_->Bind(fields, 0, 0, &bound);
    }
  }
  return false;
}

FilterPattern::Extraction FilterPattern::Extract(std::string_view message,
                                                 const std::vector<std::string>& selectors) const {
  Extraction x;
  // Constants stand for themselves; "$..." selectors are read from the message below.
  auto constants = [&] {
    for (const std::string& sel : selectors) {
      x.fields.push_back(sel.starts_with("$") ? std::nullopt : std::optional<std::string>(sel));
    }
  };
  constants();
  if (impl_ == nullptr || impl_->kind == Impl::kTerms) {
    x.matched = Matches(message);
    return x;
  }
  if (impl_->kind == Impl::kJson) {
    const Json doc = Json::parse(message, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return x;
    x.matched = EvalJson(impl_->json, doc);
    for (size_t i = 0; i < selectors.size(); ++i) {
      std::vector<std::string> path;
      if (!selectors[i].starts_with("$.") || !ParseJsonPath(selectors[i], 0, &path).ok()) continue;
      const Json* v = Select(doc, path);
      if (v == nullptr || v->is_null() || v->is_structured()) continue;
      x.fields[i] = v->is_string() ? v->get<std::string>() : v->dump();
    }
    return x;
  }
  const std::vector<std::string_view> fields = SplitFields(message);
  std::vector<size_t> bound(impl_->elements.size());
  x.matched = impl_->Bind(fields, 0, 0, &bound);
  if (!x.matched) return x;  // no field is bound to a name
  for (size_t i = 0; i < selectors.size(); ++i) {
    if (!selectors[i].starts_with("$")) continue;
    const std::string_view name = std::string_view(selectors[i]).substr(1);
    for (size_t e = 0; e < impl_->elements.size(); ++e) {
      if (impl_->elements[e].name == name) x.fields[i] = std::string(fields[bound[e]]);
    }
  }
  return x;
}

std::optional<double> FilterPattern::Extraction::Number(size_t i) const {
  return fields[i] ? ParseNumber(*fields[i]) : std::nullopt;
}

std::optional<double> FilterPattern::Value(std::string_view selector,
                                           std::string_view message) const {
  return Extract(message, {std::string(selector)}).Number(0);
}

}  // namespace vigil::logs
