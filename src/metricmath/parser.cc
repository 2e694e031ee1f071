// Parse(): a recursive-descent parser over the tokens of lexer.h, binary operators by
// precedence climbing over kOperators; plus the Expr accessors that walk the tree.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "metricmath/ast.h"
#include "metricmath/evaluator.h"
#include "metricmath/lexer.h"
#include "metricmath/metricmath.h"
#include "metricmath/value.h"

namespace vigil::metricmath {
namespace {

// The words that may stand alone, as a function's argument.
constexpr std::string_view kKeywords[] = {"REPEAT", "LINEAR", "ASC", "DESC",
                                          "SUM",    "AVG",    "MIN", "MAX"};

// The binary operators. Levels run from the loosest, 0, to kBinaryLevels - 1; all of them are
// left-associative. '^' (level -1) binds tighter than unary minus and is parsed apart.
struct OperatorSpec {
  BinaryOp op;
  const char* text;
  TokenKind token;
  int level;
};
constexpr OperatorSpec kOperators[] = {
    {BinaryOp::kOr, "OR", TokenKind::kOr, 0},     {BinaryOp::kAnd, "AND", TokenKind::kAnd, 1},
    {BinaryOp::kEq, "==", TokenKind::kEq, 2},     {BinaryOp::kNe, "!=", TokenKind::kNe, 2},
    {BinaryOp::kLt, "<", TokenKind::kLt, 2},      {BinaryOp::kLe, "<=", TokenKind::kLe, 2},
    {BinaryOp::kGt, ">", TokenKind::kGt, 2},      {BinaryOp::kGe, ">=", TokenKind::kGe, 2},
    {BinaryOp::kAdd, "+", TokenKind::kPlus, 3},   {BinaryOp::kSub, "-", TokenKind::kMinus, 3},
    {BinaryOp::kMul, "*", TokenKind::kStar, 4},   {BinaryOp::kDiv, "/", TokenKind::kSlash, 4},
    {BinaryOp::kPow, "^", TokenKind::kCaret, -1},
};
constexpr int kBinaryLevels = 5;

std::optional<BinaryOp> OpAtLevel(TokenKind token, int level) {
  for (const OperatorSpec& spec : kOperators) {
    if (spec.token == token && spec.level == level) return spec.op;
  }
  return std::nullopt;
}

Node MakeBinary(BinaryOp op, size_t pos, Node lhs, Node rhs) {
  Node node;
  node.kind = NodeKind::kBinary;
  node.op = op;
  node.pos = pos;
  node.children.push_back(std::move(lhs));
  node.children.push_back(std::move(rhs));
  return node;
}

std::string ArityMessage(const FunctionSpec& spec, size_t got) {
  std::string takes = std::to_string(spec.min_args);
  if (spec.max_args == spec.min_args + 1) {
    takes += " or " + std::to_string(spec.max_args);
  } else if (spec.max_args > spec.min_args) {
    takes += " to " + std::to_string(spec.max_args);
  }
  return std::string(spec.name) + " takes " + takes +
         (spec.min_args == 1 && spec.max_args == 1 ? " argument" : " arguments") + ", got " +
         std::to_string(got);
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens)
      : text_(text), tokens_(std::move(tokens)) {}

  StatusOr<Node> ParseAll() {
    ASSIGN_OR_RETURN(Node root, ParseBinary(0));
    if (Peek().kind != TokenKind::kEnd) {
      return Error(Peek(), "expected an operator or the end of the expression, found " +
                               DescribeToken(Peek()));
    }
    return root;
  }

 private:
  // Counts one level of nesting while in scope.
  class Nest {
   public:
    explicit Nest(int& depth) : depth_(++depth) {}
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    ~Nest() { --depth_; }
    bool too_deep() const { return depth_ > kMaxNestingDepth; }

   private:
    int& depth_;
  };

  const Token& Peek() const { return tokens_[next_]; }
  // The current token, moving past it; the kEnd token is never passed.
  const Token& Take() {
    const Token& t = tokens_[next_];
    if (t.kind != TokenKind::kEnd) ++next_;
    return t;
  }

  Status Error(const Token& at, std::string_view message) const {
    return SyntaxError(text_, at.pos, message);
  }
  Status TooDeep(const Token& at) const {
    return Error(at, "the expression is nested more than " + std::to_string(kMaxNestingDepth) +
                         " levels deep");
  }

  StatusOr<Node> ParseBinary(int level) {
    if (level == kBinaryLevels) return ParseUnary();
    ASSIGN_OR_RETURN(Node lhs, ParseBinary(level + 1));
    while (std::optional<BinaryOp> op = OpAtLevel(Peek().kind, level)) {
      const size_t pos = Take().pos;
      ASSIGN_OR_RETURN(Node rhs, ParseBinary(level + 1));
      lhs = MakeBinary(*op, pos, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  // unary := '-' unary | primary ['^' unary]. So -2^2 is -(2^2) and 2^-1 is allowed.
  StatusOr<Node> ParseUnary() {
    if (Peek().kind == TokenKind::kMinus) {
      const Token& minus = Take();
      Nest nest(depth_);
      if (nest.too_deep()) return TooDeep(minus);
      ASSIGN_OR_RETURN(Node operand, ParseUnary());
      Node node;
      node.kind = NodeKind::kUnaryMinus;
      node.pos = minus.pos;
      node.children.push_back(std::move(operand));
      return node;
    }
    ASSIGN_OR_RETURN(Node base, ParsePrimary());
    if (Peek().kind != TokenKind::kCaret) return base;
    const Token& caret = Take();
    Nest nest(depth_);
    if (nest.too_deep()) return TooDeep(caret);
    ASSIGN_OR_RETURN(Node exponent, ParseUnary());
    return MakeBinary(BinaryOp::kPow, caret.pos, std::move(base), std::move(exponent));
  }

  StatusOr<Node> ParsePrimary() {
    const Token& t = Take();
    Node node;
    node.pos = t.pos;
    node.text = std::string(t.text);
    switch (t.kind) {
      case TokenKind::kNumber:
        node.kind = NodeKind::kNumber;
        node.number = t.number;
        return node;
      case TokenKind::kString:
        node.kind = NodeKind::kString;
        return node;
      case TokenKind::kId:
        if (Peek().kind == TokenKind::kLParen) {
          return Error(t, "unknown function '" + node.text + "' (function names are uppercase)");
        }
        node.kind = NodeKind::kId;
        return node;
      case TokenKind::kName:
        if (Peek().kind == TokenKind::kLParen) return ParseCall(std::move(node));
        for (std::string_view keyword : kKeywords) {
          if (keyword == t.text) {
            node.kind = NodeKind::kKeyword;
            return node;
          }
        }
        if (FindFunction(t.text) != nullptr) {
          return Error(Peek(),
                       "expected '(' after " + node.text + ", found " + DescribeToken(Peek()));
        }
        return Error(t, "unknown keyword '" + node.text + "'");
      case TokenKind::kLParen: {
        Nest nest(depth_);
        if (nest.too_deep()) return TooDeep(t);
        ASSIGN_OR_RETURN(Node inner, ParseBinary(0));
        if (Peek().kind != TokenKind::kRParen) {
          return Error(Peek(), "expected ')' to close the '(' at position " +
                                   std::to_string(t.pos) + ", found " + DescribeToken(Peek()));
        }
        Take();
        return inner;
      }
      case TokenKind::kLBracket:
        node.kind = NodeKind::kArray;
        return ParseList(std::move(node), TokenKind::kRBracket, "the array");
      default:
        return Error(t, "expected a number, an id or a function, found " + DescribeToken(t));
    }
  }

  // Called with the function name taken and '(' next.
  StatusOr<Node> ParseCall(Node node) {
    node.kind = NodeKind::kCall;
    const FunctionSpec* spec = FindFunction(node.text);
    if (spec == nullptr) {
      return ErrorAt(node.pos, IsUnsupportedFunction(node.text) ? node.text + " is not supported"
                                                                : "unknown function " + node.text);
    }
    Take();  // '('
    if (Peek().kind == TokenKind::kRParen) {
      Take();
    } else {
      const std::string name = node.text;  // not node.text: node is moved into the call
      ASSIGN_OR_RETURN(node, ParseList(std::move(node), TokenKind::kRParen, name));
    }
    if (node.children.size() < spec->min_args || node.children.size() > spec->max_args) {
      return ErrorAt(node.pos, ArityMessage(*spec, node.children.size()));
    }
    return node;
  }

  // Parses "expr (',' expr)* close" into node.children. The opening token is already taken.
  StatusOr<Node> ParseList(Node node, TokenKind close, const std::string& what) {
    Nest nest(depth_);
    if (nest.too_deep()) return TooDeep(tokens_[next_ - 1]);
    while (true) {
      ASSIGN_OR_RETURN(Node element, ParseBinary(0));
      node.children.push_back(std::move(element));
      if (Peek().kind == close) break;
      if (Peek().kind != TokenKind::kComma) {
        return Error(Peek(), std::string("expected ',' or '") +
                                 (close == TokenKind::kRParen ? ")" : "]") + "' in " + what +
                                 ", found " + DescribeToken(Peek()));
      }
      Take();
    }
    Take();  // the closing token
    return node;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  int depth_ = 0;
};

void AppendText(const Node& node, std::string& out) {
  auto append_list = [&](const char* open, const char* close) {
    out += open;
    for (size_t i = 0; i < node.children.size(); ++i) {
      if (i > 0) out += ", ";
      AppendText(node.children[i], out);
    }
    out += close;
  };
  switch (node.kind) {
    case NodeKind::kNumber:
      out += FormatNumber(node.number);
      break;
    case NodeKind::kString:
      out += "\"" + node.text + "\"";
      break;
    case NodeKind::kId:
    case NodeKind::kKeyword:
      out += node.text;
      break;
    case NodeKind::kCall:
      out += node.text;
      append_list("(", ")");
      break;
    case NodeKind::kArray:
      append_list("[", "]");
      break;
    case NodeKind::kUnaryMinus:
      out += "(-";
      AppendText(node.children[0], out);
      out += ")";
      break;
    case NodeKind::kBinary:
      out += "(";
      AppendText(node.children[0], out);
      out += std::string(" ") + BinaryOpText(node.op) + " ";
      AppendText(node.children[1], out);
      out += ")";
      break;
  }
}

void CollectIds(const Node& node, std::vector<std::string>& ids) {
  if (node.kind == NodeKind::kId && std::find(ids.begin(), ids.end(), node.text) == ids.end()) {
    ids.push_back(node.text);
  }
  for (const Node& child : node.children) CollectIds(child, ids);
}

}  // namespace

const char* BinaryOpText(BinaryOp op) {
  for (const OperatorSpec& spec : kOperators) {
    if (spec.op == op) return spec.text;
  }
  return "?";
}

StatusOr<Expr> Parse(std::string_view expression) {
  if (expression.size() > kMaxExpressionLength) {
    return InvalidArgumentError("The expression is " + std::to_string(expression.size()) +
                                " characters long; the limit is " +
                                std::to_string(kMaxExpressionLength));
  }
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(expression));
  ASSIGN_OR_RETURN(Node root, Parser(expression, std::move(tokens)).ParseAll());
  return Expr(std::make_shared<const Node>(std::move(root)));
}

std::string Expr::ToString() const {
  std::string out;
  AppendText(*root_, out);
  return out;
}

std::vector<std::string> ReferencedIds(const Expr& expr) {
  std::vector<std::string> ids;
  CollectIds(expr.root(), ids);
  return ids;
}

}  // namespace vigil::metricmath
