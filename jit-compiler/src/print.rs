//! The printer: a tree back to source text with the fewest parentheses, such that parsing the
//! text gives the same tree (`parse(print(ast)) == ast` for every tree the parser can build).
//!
//! It walks the tree with an explicit stack of tasks, so deep trees print in linear time
//! without recursion.
//!
//! A simplified tree is a DAG: `x*2 → x+x` makes one node the operand of a sum twice. Printed
//! naively, nested doublings (`((x*y)*2)*2*…`) would double the text at every level, so a sum
//! of one shared operand prints as `s + s` only while `s` is small, and as `2*s` (the same
//! value, bit for bit) beyond that: the text stays linear in the number of nodes.

use crate::ast::{Node, NodeId};
use crate::expr::Expr;
use crate::ops::{BinaryOp, UnaryOp};
use std::fmt::{self, Write};

/// Precedence levels of the grammar, loosest first. A child printed where a higher level is
/// required gets parentheses.
const COMPARE: u8 = 1;
const SUM: u8 = 2;
const PRODUCT: u8 = 3;
const UNARY: u8 = 4;
const POWER: u8 = 5;
const ROOT: u8 = 6;
const ATOM: u8 = 7;

/// A shared operand `s` of `s + s` is printed twice only up to this many (expanded) nodes.
const DOUBLE_PRINT_LIMIT: u64 = 16;

enum Task {
    Node(NodeId, u8),
    Text(&'static str),
    /// The `^n` of a lowered integer power.
    PowI(i64),
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ast().is_empty() {
            return Ok(());
        }
        let mut out = String::new();
        Printer {
            expr: self,
            out: &mut out,
            sizes: printed_sizes(self),
        }
        .print(self.root());
        f.write_str(&out)
    }
}

struct Printer<'e, 'o> {
    expr: &'e Expr,
    out: &'o mut String,
    /// Per node, the number of nodes it prints as (empty when no node is shared by a sum).
    sizes: Vec<u64>,
}

/// For each node, how many nodes its text holds, given the `2*s` rule for `s + s` (saturating;
/// children come before parents, so one forward pass). Empty when the tree has no `s + s`.
fn printed_sizes(expr: &Expr) -> Vec<u64> {
    let ast = expr.ast();
    let doubled = |n: &Node| matches!(n, Node::Binary(BinaryOp::Add, a, b) if a == b);
    if !ast.nodes().iter().any(doubled) {
        return Vec::new();
    }
    let mut sizes: Vec<u64> = Vec::with_capacity(ast.len());
    for &node in ast.nodes() {
        // cannot fail (indexing): children come before their parents.
        let size = match node {
            Node::Binary(BinaryOp::Add, a, b) if a == b => {
                let s = sizes[a.index()];
                if s <= DOUBLE_PRINT_LIMIT {
                    1 + 2 * s
                } else {
                    2 + s
                }
            }
            _ => ast
                .children(node)
                .iter()
                .fold(1u64, |acc, c| acc.saturating_add(sizes[c.index()])),
        };
        sizes.push(size);
    }
    sizes
}

impl Printer<'_, '_> {
    /// Is `node` a sum `s + s` of one shared node too big to print twice (see the module docs)?
    fn prints_as_double(&self, node: Node) -> Option<NodeId> {
        match node {
            Node::Binary(BinaryOp::Add, a, b)
                if a == b
                    && self
                        .sizes
                        .get(a.index())
                        .is_some_and(|&s| s > DOUBLE_PRINT_LIMIT) =>
            {
                Some(a)
            }
            _ => None,
        }
    }

    fn print(&mut self, root: NodeId) {
        let mut tasks = vec![Task::Node(root, 0)];
        while let Some(task) = tasks.pop() {
            match task {
                Task::Text(s) => self.out.push_str(s),
                Task::Node(id, min_level) => self.node(id, min_level, &mut tasks),
                Task::PowI(n) => {
                    let _ = write!(self.out, "^{n}");
                }
            }
        }
    }

    /// Prints what can be printed now and pushes the rest, in reverse order, onto `tasks`.
    fn node(&mut self, id: NodeId, min_level: u8, tasks: &mut Vec<Task>) {
        let node = self.expr.ast().node(id);
        let level = self.level(node);
        let parens = level < min_level;
        if parens {
            self.out.push('(');
            tasks.push(Task::Text(")"));
        }
        let mut later: Vec<Task> = Vec::with_capacity(6);
        if let Some(a) = self.prints_as_double(node) {
            self.out.push_str("2*");
            later.push(Task::Node(a, UNARY));
            tasks.extend(later.into_iter().rev());
            return;
        }
        match node {
            Node::Num(v) => self.number(v),
            Node::Arg(i) => {
                let name = self.expr.args().get(i as usize).map_or("?", String::as_str);
                self.out.push_str(name);
            }
            Node::Unary(UnaryOp::Neg, a) => {
                self.out.push('-');
                later.push(Task::Node(a, UNARY));
            }
            Node::Unary(op, a) => {
                self.out.push_str(op.name());
                self.out.push('(');
                later.extend([Task::Node(a, 0), Task::Text(")")]);
            }
            Node::Binary(op @ (BinaryOp::Min | BinaryOp::Max), ..) => {
                // `min(a, b, c)` is `min(min(a, b), c)`: a left chain printed back as one
                // call, however long (nested calls would pass the parser's depth limit)
                let mut operands = Vec::new();
                let mut at = id;
                while let Node::Binary(o, left, right) = self.expr.ast().node(at) {
                    if o != op {
                        break;
                    }
                    operands.push(right);
                    at = left;
                }
                operands.push(at);
                self.out.push_str(op.name());
                self.out.push('(');
                for (i, &x) in operands.iter().rev().enumerate() {
                    if i > 0 {
                        later.push(Task::Text(", "));
                    }
                    later.push(Task::Node(x, 0));
                }
                later.push(Task::Text(")"));
            }
            Node::Binary(op, a, b) if op.is_function() => {
                // `powf` (a power the simplifier left to `f64::powf`: its exponent is not an
                // integer constant, nor ±0.5) is written `pow`, which the parser reads back
                // as the same power
                self.out.push_str(match op {
                    BinaryOp::Powf => "pow",
                    _ => op.name(),
                });
                self.out.push('(');
                later.extend([
                    Task::Node(a, 0),
                    Task::Text(", "),
                    Task::Node(b, 0),
                    Task::Text(")"),
                ]);
            }
            Node::Binary(op, a, b) => {
                let (left, right) = child_levels(op);
                later.extend([
                    Task::Node(a, left),
                    Task::Text(infix_text(op)),
                    Task::Node(b, right),
                ]);
            }
            Node::PowI(a, n) => {
                // `x^n` with `n` possibly negative re-parses as `x^(-n)`: the same value, not
                // the same tree. Only simplified trees hold `PowI`.
                later.extend([Task::Node(a, ROOT), Task::PowI(n)]);
            }
            Node::If(c, a, b) => {
                self.out.push_str("if(");
                later.extend([
                    Task::Node(c, 0),
                    Task::Text(", "),
                    Task::Node(a, 0),
                    Task::Text(", "),
                    Task::Node(b, 0),
                    Task::Text(")"),
                ]);
            }
            Node::Call(f, list) => {
                let name = self
                    .expr
                    .registry()
                    .and_then(|r| r.functions().get(f as usize))
                    .map_or("?", |func| func.name.as_str());
                self.out.push_str(name);
                self.out.push('(');
                for (i, &arg) in self.expr.ast().call_args(list).iter().enumerate() {
                    if i > 0 {
                        later.push(Task::Text(", "));
                    }
                    later.push(Task::Node(arg, 0));
                }
                later.push(Task::Text(")"));
            }
        }
        tasks.extend(later.into_iter().rev());
    }

    fn level(&self, node: Node) -> u8 {
        if self.prints_as_double(node).is_some() {
            return PRODUCT;
        }
        match node {
            Node::Num(v) if v.is_sign_negative() && !v.is_nan() => UNARY,
            Node::Num(_) | Node::Arg(_) | Node::If(..) | Node::Call(..) => ATOM,
            Node::Unary(UnaryOp::Neg, _) => UNARY,
            Node::Unary(..) => ATOM,
            Node::PowI(..) => POWER,
            Node::Binary(op, ..) if op.is_function() => ATOM,
            Node::Binary(op, ..) if op.is_comparison() => COMPARE,
            Node::Binary(BinaryOp::Add | BinaryOp::Sub, ..) => SUM,
            Node::Binary(BinaryOp::Pow, ..) => POWER,
            Node::Binary(..) => PRODUCT,
        }
    }

    fn number(&mut self, v: f64) {
        let shadowed = |name: &str| self.expr.args().iter().any(|a| a == name);
        if v.is_nan() {
            self.out
                .push_str(if shadowed("nan") { "(0/0)" } else { "nan" });
            return;
        }
        if v.is_sign_negative() {
            self.out.push('-');
        }
        let a = v.abs();
        if a.is_infinite() {
            self.out
                .push_str(if shadowed("inf") { "1e999" } else { "inf" });
        } else if a == 0.0 || (1e-5..1e16).contains(&a) {
            let _ = write!(self.out, "{a}");
        } else {
            let _ = write!(self.out, "{a:e}");
        }
    }
}

/// The levels the left and right operands of an infix operator need.
fn child_levels(op: BinaryOp) -> (u8, u8) {
    use BinaryOp::*;
    match op {
        Lt | Le | Gt | Ge | Eq | Ne => (SUM, SUM),
        Add | Sub => (SUM, PRODUCT),
        Mul | Div | Rem => (PRODUCT, UNARY),
        // the base of a power is a root or an atom; the exponent a unary
        Pow => (ROOT, UNARY),
        Powf | Atan2 | Hypot | Min | Max => (0, 0),
    }
}

fn infix_text(op: BinaryOp) -> &'static str {
    use BinaryOp::*;
    match op {
        Add => " + ",
        Sub => " - ",
        Mul => "*",
        Div => "/",
        Rem => "%",
        Pow => "^",
        Lt => " < ",
        Le => " <= ",
        Gt => " > ",
        Ge => " >= ",
        Eq => " == ",
        Ne => " != ",
        Powf | Atan2 | Hypot | Min | Max => ", ",
    }
}

#[cfg(test)]
mod tests {
    use crate::parse;

    fn round(src: &str) -> String {
        parse(src).unwrap().to_string()
    }

    #[test]
    fn fewest_parentheses() {
        assert_eq!(round("((a)+(b))*c"), "(a + b)*c");
        assert_eq!(round("a-(b-c)"), "a - (b - c)");
        assert_eq!(round("(a-b)-c"), "a - b - c");
        assert_eq!(round("2^3^2"), "2^3^2");
        assert_eq!(round("(2^3)^2"), "(2^3)^2");
        assert_eq!(round("-x^2"), "-x^2");
        assert_eq!(round("(-x)^2"), "(-x)^2");
        assert_eq!(round("√x^2"), "sqrt(x)^2");
        assert_eq!(round("2^-x"), "2^-x");
        assert_eq!(round("a*(-b)"), "a*-b");
        assert_eq!(round("(a<b)==(c>=d)"), "(a < b) == (c >= d)");
        assert_eq!(round("min(a,b,c)"), "min(a, b, c)");
        assert_eq!(round("min(min(a,b),c)"), "min(a, b, c)"); // the same tree
        assert_eq!(round("min(a,min(b,c))"), "min(a, min(b, c))");
        assert_eq!(round("max(min(a,b),c,d)"), "max(min(a, b), c, d)");
        assert_eq!(
            round("1e300 + 5e-324 + 0.5 + 1e-7"),
            "1e300 + 5e-324 + 0.5 + 1e-7"
        );
        assert_eq!(round("inf + nan"), "inf + nan");
    }

    /// Found by `fuzz/run.sh` (parse_any): nested doublings of a big operand made the text
    /// of the simplified tree (a DAG) exponentially long.
    #[test]
    fn shared_sums_print_in_linear_size() {
        let src = format!(
            "(sin(x)*cos(y)*tan(z)*exp(w)*ln(v)*abs(u)){}",
            "*2".repeat(64)
        );
        let e = parse(&src).unwrap().simplified();
        let text = e.to_string();
        assert!(text.len() < 4 * src.len(), "{} bytes", text.len());
        assert!(text.starts_with("2*(2*(2*"), "{text}");
        // the same value: `2*s` is `s + s`, bit for bit
        let again = parse(&text).unwrap();
        let args = [0.3, 1.7, -2.5, 0.1, 4.0, -9.0];
        assert_eq!(
            again.eval(&args).unwrap().to_bits(),
            e.eval(&args).unwrap().to_bits()
        );
        // small shared operands still print twice
        assert_eq!(round_simplified("x*2*2"), "x + x + (x + x)");
    }

    #[test]
    fn a_simplified_power_prints_as_source() {
        let e = parse("x^y + x^0.3").unwrap().simplified();
        let text = e.to_string();
        assert_eq!(text, "pow(x, y) + pow(x, 0.3)");
        let again = parse(&text).unwrap();
        for args in [[2.0, 0.5], [-1.5, 3.0], [0.0, -1.0]] {
            assert_eq!(
                again.eval(&args).unwrap().to_bits(),
                e.eval(&args).unwrap().to_bits()
            );
        }
    }

    fn round_simplified(src: &str) -> String {
        parse(src).unwrap().simplified().to_string()
    }

    #[test]
    fn a_long_min_prints_as_one_call_that_parses_back() {
        let src = format!("min({})", vec!["x"; 20_000].join(", "));
        let e = parse(&src).unwrap();
        let text = e.to_string();
        assert_eq!(text, src);
        assert_eq!(parse(&text).unwrap(), e);
    }

    #[test]
    fn shadowed_constants_print_as_literals() {
        let e = crate::parse_with_args("inf + pi", &["inf"]).unwrap();
        assert_eq!(e.to_string(), "inf + 3.141592653589793");
    }
}
