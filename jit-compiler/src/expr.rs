//! A parsed expression and the reference interpreter (§5 of the spec).

use crate::ast::{Ast, Node, NodeId};
use crate::error::{Error, ErrorKind, Result, Span};
use crate::names::ArgNames;
use crate::ops::{self, BinaryOp};
use crate::registry::Registry;
use crate::spare::{GiveSpare, SPARE};
use std::sync::{Arc, OnceLock};

/// A parsed expression: its tree, its argument names in calling order, and the user
/// functions it may call.
///
/// ```
/// let expr = jit_compiler::parse("(-b+(b^2-4*a*c)^0.5)/(2*a)").unwrap();
/// assert_eq!(expr.args(), ["a", "b", "c"]);
/// assert_eq!(expr.eval(&[1.0, -3.0, 2.0]).unwrap(), 2.0);
/// assert_eq!(expr.to_string(), "(-b + (b^2 - 4*a*c)^0.5)/(2*a)");
/// ```
#[derive(Clone, Debug)]
pub struct Expr {
    ast: Ast,
    args: ArgNames,
    registry: Option<Arc<Registry>>,
    /// What the interpreter needs to know about the tree, worked out at the first `eval`
    /// rather than on every call. (Boxed: it keeps `Expr` under 128 bytes, which the compiler
    /// moves with inline stores instead of a `memcpy` call; every parse moves it.)
    plan: OnceLock<Box<EvalPlan>>,
}

/// Gives the tree's vectors and the argument names to the thread's next parse, in one
/// access to the thread's spare (the tree and the list, left empty, then drop as nothing).
impl Drop for Expr {
    // (inlined into the drop of the whole `Expr`, which then makes one call rather than
    // two: E1-E4 10 instructions fewer a compilation)
    #[inline]
    fn drop(&mut self) {
        // (fails only while the thread's locals are being destroyed: the vectors are then
        // freed by the fields' own drops)
        let _ = SPARE.try_with(|spare| {
            self.ast.give_spare(spare);
            self.args.give_spare(spare);
        });
    }
}

/// Facts about a tree that decide how it is interpreted.
#[derive(Clone, Debug)]
struct EvalPlan {
    /// For each node: is its subtree closed? (Only computed when the tree has a `^`.)
    closed: Vec<bool>,
    /// Does the tree contain `if`? Then only the chosen branches are evaluated.
    has_if: bool,
}

impl EvalPlan {
    fn of(ast: &Ast) -> EvalPlan {
        let has_pow = ast
            .nodes()
            .iter()
            .any(|n| matches!(n, Node::Binary(BinaryOp::Pow, ..)));
        EvalPlan {
            closed: if has_pow { ast.closed() } else { Vec::new() },
            has_if: ast.nodes().iter().any(|n| matches!(n, Node::If(..))),
        }
    }
}

impl Expr {
    /// An expression from its parts, for trees built by hand with [`Ast::push`]: the root
    /// is the last node of `ast`, `args` names the arguments in calling order, and
    /// `registry` holds the user functions that [`Node::Call`]s refer to.
    ///
    /// # Errors
    /// [`ErrorKind::MalformedTree`], with the span of the offending node, unless every pass
    /// can rely on the tree: it has a node; every child comes before its parent (as
    /// [`Ast::push`] requires); every [`Node::Arg`] index is below `args.len()`; and every
    /// [`Node::Call`] names a function of `registry` with its arity, by an argument list of
    /// this tree.
    ///
    /// A node may be the child of several parents: the tree is then a DAG, which evaluation
    /// and compilation handle in time linear in its nodes. Its text ([`Display`](std::fmt::Display))
    /// cannot share, as the language has no names for subexpressions: a shared node is written
    /// out at each use, so a chain of nodes that each use the one before twice prints to a text
    /// that doubles with every link (the printer keeps only the simplifier's `s + s` short, by
    /// writing it `2*s`).
    ///
    /// ```
    /// use jit_compiler::ast::{Ast, Node};
    /// use jit_compiler::ops::BinaryOp;
    /// use jit_compiler::{ErrorKind, Expr, Span};
    /// let mut ast = Ast::new();
    /// let x = ast.push(Node::Arg(0), Span::new(0, 1));
    /// let two = ast.push(Node::Num(2.0), Span::new(2, 3));
    /// ast.push(Node::Binary(BinaryOp::Mul, x, two), Span::new(0, 3));
    /// let expr = Expr::from_parts(ast.clone(), vec!["x".into()], None)?;
    /// assert_eq!((expr.to_string(), expr.eval(&[4.0])?), ("x*2".to_owned(), 8.0));
    /// // `Arg(0)` needs an argument
    /// let err = Expr::from_parts(ast, vec![], None).unwrap_err();
    /// assert_eq!((err.kind(), err.span()), (ErrorKind::MalformedTree, 0..1));
    /// # Ok::<(), jit_compiler::Error>(())
    /// ```
    pub fn from_parts(
        ast: Ast,
        args: Vec<String>,
        registry: Option<Arc<Registry>>,
    ) -> Result<Expr> {
        crate::check::check_tree(&ast, args.len(), registry.as_deref())?;
        Ok(Expr::from_valid_parts(ast, args, registry))
    }

    /// [`Expr::from_parts`] for trees that hold its conditions by construction (the
    /// parser's, the simplifier's).
    pub(crate) fn from_valid_parts(
        ast: Ast,
        args: impl Into<ArgNames>,
        registry: Option<Arc<Registry>>,
    ) -> Expr {
        Expr {
            ast,
            args: args.into(),
            registry,
            plan: OnceLock::new(),
        }
    }

    /// The tree.
    ///
    /// ```
    /// let expr = jit_compiler::parse("x + 1").unwrap();
    /// assert_eq!(expr.ast().len(), 3); // x, 1, x + 1
    /// ```
    pub fn ast(&self) -> &Ast {
        &self.ast
    }

    /// The root node.
    ///
    /// ```
    /// use jit_compiler::{BinaryOp, Node};
    /// let expr = jit_compiler::parse("x + 1").unwrap();
    /// assert!(matches!(expr.ast().node(expr.root()), Node::Binary(BinaryOp::Add, ..)));
    /// ```
    pub fn root(&self) -> NodeId {
        self.ast.root()
    }

    /// The argument names, in calling order.
    ///
    /// ```
    /// assert_eq!(jit_compiler::parse("z*y + x").unwrap().args(), ["x", "y", "z"]);
    /// assert_eq!(jit_compiler::parse_with_args("z*y", &["z", "y"]).unwrap().args(), ["z", "y"]);
    /// ```
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The number of arguments.
    ///
    /// ```
    /// assert_eq!(jit_compiler::parse("x*x + y").unwrap().arity(), 2);
    /// assert_eq!(jit_compiler::parse_with_args("1", &["t"]).unwrap().arity(), 1); // unused, still taken
    /// ```
    pub fn arity(&self) -> usize {
        self.args.len()
    }

    /// The user functions and constants the expression was parsed with.
    ///
    /// ```
    /// use jit_compiler::{Options, Registry};
    /// assert!(jit_compiler::parse("x").unwrap().registry().is_none());
    /// let mut reg = Registry::new();
    /// reg.constant("k", 2.0).unwrap();
    /// let expr = Options::new().registry(reg.into()).parse("k*x").unwrap();
    /// assert_eq!(expr.registry().unwrap().constant_value("k"), Some(2.0));
    /// ```
    pub fn registry(&self) -> Option<&Arc<Registry>> {
        self.registry.as_ref()
    }

    /// The same arguments and user functions with a different tree.
    ///
    /// # Errors
    /// As [`Expr::from_parts`].
    ///
    /// ```
    /// use jit_compiler::ast::{Ast, Node};
    /// let expr = jit_compiler::parse("x + y")?;
    /// let mut ast = Ast::new();
    /// ast.push(Node::Arg(1), expr.ast().span(expr.root()));
    /// assert_eq!(expr.with_ast(ast)?.eval(&[1.0, 2.0])?, 2.0); // just `y`
    /// # Ok::<(), jit_compiler::Error>(())
    /// ```
    pub fn with_ast(&self, ast: Ast) -> Result<Expr> {
        crate::check::check_tree(&ast, self.args.len(), self.registry.as_deref())?;
        Ok(self.with_valid_ast(ast))
    }

    /// [`Expr::with_ast`] for a tree made from this one's by a pass that keeps it valid.
    pub(crate) fn with_valid_ast(&self, ast: Ast) -> Expr {
        Expr::from_valid_parts(ast, self.args.clone(), self.registry.clone())
    }

    /// `Ok` if the expression takes `given` arguments, else the [`ErrorKind::ArgumentCount`]
    /// error that [`eval`](Self::eval) (and a compiled function's checked call) returns.
    ///
    /// ```
    /// let e = jit_compiler::parse("x*y")?;
    /// assert!(e.check_arity(2).is_ok());
    /// let err = e.check_arity(1).unwrap_err();
    /// assert_eq!(err.message(), "the expression takes 2 arguments (x, y), but 1 was given");
    /// # Ok::<(), jit_compiler::Error>(())
    /// ```
    #[inline]
    pub fn check_arity(&self, given: usize) -> Result<()> {
        if given == self.args.len() {
            return Ok(());
        }
        Err(self.arity_error(given))
    }

    #[cold]
    fn arity_error(&self, given: usize) -> Error {
        Error::new(
            ErrorKind::ArgumentCount,
            Span::default(),
            format!(
                "the expression takes {}, but {}",
                crate::error::takes(&self.args),
                crate::error::given(given)
            ),
        )
    }

    /// Evaluates the expression: the reference interpreter. `args` must have
    /// [`arity`](Self::arity) values.
    ///
    /// ```
    /// let e = jit_compiler::parse("x^3").unwrap();
    /// assert_eq!(e.eval(&[1.1]).unwrap(), 1.1 * (1.1 * 1.1)); // the squaring sequence
    /// assert!(e.eval(&[]).is_err());
    /// ```
    pub fn eval(&self, args: &[f64]) -> Result<f64> {
        self.check_arity(args.len())?;
        Ok(Interpreter::new(self).run(args))
    }
}

impl PartialEq for Expr {
    /// Same argument names and the same tree (numbers compared by bits); spans are ignored.
    fn eq(&self, other: &Expr) -> bool {
        self.args == other.args
            && self.ast.len() == other.ast.len()
            && self.ast.same_tree(self.root(), &other.ast, other.root())
    }
}

/// Evaluates a tree. Nodes are stored children first, so without `if` one forward pass over
/// the nodes evaluates everything. With `if`, only the chosen branch may be evaluated (a user
/// function may have side effects), so evaluation follows an explicit stack from the root.
struct Interpreter<'e> {
    expr: &'e Expr,
    plan: &'e EvalPlan,
}

impl<'e> Interpreter<'e> {
    fn new(expr: &'e Expr) -> Self {
        let plan = expr.plan.get_or_init(|| Box::new(EvalPlan::of(&expr.ast)));
        Interpreter { expr, plan }
    }

    fn run(&self, args: &[f64]) -> f64 {
        let ast = &self.expr.ast;
        if ast.is_empty() {
            return f64::NAN;
        }
        if self.plan.has_if {
            return self.run_lazy(args);
        }
        // cannot fail (indexing below): children come before their parents (`Ast::push`),
        // so `values[c]` is filled, and the root is the last node of a non-empty tree.
        let mut values = Vec::with_capacity(ast.len());
        for (i, &node) in ast.nodes().iter().enumerate() {
            let v = self.apply(i, node, args, &|c: NodeId| values[c.index()]);
            values.push(v);
        }
        values[ast.root().index()]
    }

    /// Evaluation from the root with an explicit stack; each node is evaluated at most once.
    fn run_lazy(&self, args: &[f64]) -> f64 {
        let ast = &self.expr.ast;
        // cannot fail (indexing below): every id on the stack is the root or a child of a
        // node of the tree, so it is below `ast.len()`.
        let mut values: Vec<Option<f64>> = vec![None; ast.len()];
        // (node, children done?)
        let mut stack = vec![(ast.root(), false)];
        while let Some((id, expanded)) = stack.pop() {
            if values[id.index()].is_some() {
                continue;
            }
            let node = ast.node(id);
            if let Node::If(c, a, b) = node {
                match values[c.index()] {
                    None => {
                        stack.push((id, false));
                        stack.push((c, false));
                    }
                    Some(cv) => {
                        let chosen = if ops::is_truthy(cv) { a } else { b };
                        match values[chosen.index()] {
                            Some(v) => values[id.index()] = Some(v),
                            None => {
                                stack.push((id, true));
                                stack.push((chosen, false));
                            }
                        }
                    }
                }
                continue;
            }
            if !expanded {
                stack.push((id, true));
                for c in ast.children(node).iter().rev() {
                    if values[c.index()].is_none() {
                        stack.push((c, false));
                    }
                }
                continue;
            }
            let v = self.apply(id.index(), node, args, &|c: NodeId| {
                values[c.index()].unwrap_or(f64::NAN)
            });
            values[id.index()] = Some(v);
        }
        values[ast.root().index()].unwrap_or(f64::NAN)
    }

    /// The value of one node, given its children's values.
    fn apply(&self, index: usize, node: Node, args: &[f64], val: &dyn Fn(NodeId) -> f64) -> f64 {
        match node {
            Node::Num(v) => v,
            Node::Arg(i) => args.get(i as usize).copied().unwrap_or(f64::NAN),
            Node::Unary(op, a) => op.apply(val(a)),
            Node::Binary(BinaryOp::Pow, a, b) => {
                let _ = index;
                ops::pow(
                    val(a),
                    val(b),
                    self.plan.closed.get(b.index()).copied().unwrap_or(false),
                )
            }
            Node::Binary(op, a, b) => op.apply(val(a), val(b)),
            Node::PowI(a, n) => ops::powi(val(a), n),
            Node::If(c, a, b) => {
                if ops::is_truthy(val(c)) {
                    val(a)
                } else {
                    val(b)
                }
            }
            Node::Call(f, list) => {
                let values: Vec<f64> = self
                    .expr
                    .ast
                    .call_args(list)
                    .iter()
                    .map(|&c| val(c))
                    .collect();
                match self
                    .expr
                    .registry
                    .as_ref()
                    .and_then(|r| r.functions().get(f as usize))
                {
                    Some(func) => func.call(&values),
                    None => f64::NAN,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Registry, parse};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn eval(src: &str, args: &[f64]) -> f64 {
        parse(src).unwrap().eval(args).unwrap()
    }

    #[test]
    fn expr_and_compiled_are_moved_without_a_memcpy_call() {
        // Values over 128 bytes are moved with a `memcpy` call on x86-64, and every
        // compilation moves both a few times (see the comments on `plan` and `labels`).
        if cfg!(target_pointer_width = "64") {
            assert!(size_of::<crate::Expr>() <= 128);
            assert!(size_of::<crate::codegen::Compiled>() <= 128);
        }
    }

    #[test]
    fn the_original_projects_examples() {
        assert_eq!(eval("2*x^0.5", &[3.0]), 3.4641016151377544);
        assert_eq!(eval("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)", &[]), -33.0);
        assert_eq!(eval("-1^2", &[]), -1.0);
        assert_eq!(eval("-1^-2", &[]), -1.0);
        assert_eq!(eval("2^3^2", &[]), 512.0);
        assert_eq!(eval("√x^2", &[9.0]), 9.0);
        assert!(eval("√x^2", &[-9.0]).is_nan(), "(√x)^2, not √(x^2)");
        assert!(eval("√-4", &[]).is_nan());
        assert_eq!(eval("--9007199254741195", &[]), 9007199254741195.0);
    }

    #[test]
    fn powers_follow_section_3_2() {
        assert_eq!(eval("x^0", &[f64::NAN]), 1.0);
        assert_eq!(eval("x^0.5", &[-0.0]).to_bits(), (-0.0f64).to_bits());
        assert_eq!(eval("x^-0.5", &[4.0]), 0.5);
        assert_eq!(eval("x^-2", &[2.0]), 0.25);
        assert_eq!(eval("x^(1+1)", &[3.0]), 9.0);
        assert_eq!(eval("x^1.5", &[4.0]), 8.0);
        // a variable exponent is powf, even when its value is an integer
        let x = 1.1f64;
        assert_eq!(eval("x^y", &[x, 3.0]), x.powf(3.0));
    }

    #[test]
    fn if_evaluates_only_the_chosen_branch() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let mut reg = Registry::new();
        reg.closure("tick", 1, move |a| {
            counter.fetch_add(1, Ordering::Relaxed);
            a[0]
        })
        .unwrap();
        let e = crate::Options::new()
            .registry(Arc::new(reg))
            .parse("if(c, tick(1), tick(2)) + tick(c)")
            .unwrap();
        assert_eq!(e.eval(&[0.0]).unwrap(), 2.0);
        assert_eq!(calls.load(Ordering::Relaxed), 2);
        assert!(e.eval(&[f64::NAN]).unwrap().is_nan());
    }

    #[test]
    fn functions_and_comparisons() {
        assert_eq!(eval("min(3, x, 1)", &[2.0]), 1.0);
        assert_eq!(eval("max(nan, 2)", &[]), 2.0);
        assert_eq!(eval("sign(x)", &[-0.0]).to_bits(), (-0.0f64).to_bits());
        assert_eq!(eval("(x < 1) + (x != x)", &[f64::NAN]), 1.0);
        assert_eq!(eval("7 % 4", &[]), 3.0);
        assert_eq!(eval("hypot(3, 4)", &[]), 5.0);
        assert_eq!(eval("log(1)", &[]), 0.0);
    }

    #[test]
    fn wrong_argument_count_is_an_error() {
        let err = parse("x + y").unwrap().eval(&[1.0]).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::ArgumentCount);
    }
}
