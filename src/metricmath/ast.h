#pragma once
// The syntax tree of a metric math expression. Private to src/metricmath.

#include <cstddef>
#include <string>
#include <vector>

namespace vigil::metricmath {

enum class NodeKind {
  kNumber,      // number
  kString,      // text: the contents between the quotes
  kId,          // text: the id
  kKeyword,     // text: a bare uppercase word such as REPEAT or DESC
  kCall,        // text: the function name; children: the arguments
  kArray,       // children: the elements
  kUnaryMinus,  // children[0]: the operand
  kBinary,      // op; children[0], children[1]: the operands
};

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kPow, kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr };

// The operator as written, e.g. "<=" or "AND".
const char* BinaryOpText(BinaryOp op);

struct Node {
  NodeKind kind = NodeKind::kNumber;
  // 1-based byte offset in the expression that errors about this node point at: the start of
  // a literal, id, keyword, function name or '[', or the operator of a unary or binary node.
  size_t pos = 0;
  double number = 0;
  BinaryOp op = BinaryOp::kAdd;
  std::string text;
  std::vector<Node> children;
};

}  // namespace vigil::metricmath
