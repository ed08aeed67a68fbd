//! A small lowering of trivial-jit's simplified AST into Cranelift IR, used as the
//! "Cranelift opt=speed" peer. The generated function takes the arguments in registers:
//! `extern "C" fn(f64, ..) -> f64` (up to 8 arguments).
//!
//! Semantics follow trivial-jit: `PowI` uses the exact squaring sequence of
//! `jit_compiler::ops::powi_steps`; transcendental functions, `round`, `sign`, `%`, `powf`,
//! `atan2`, `hypot`, `min` and `max` are calls to `extern "C"` Rust helpers that apply the
//! very `UnaryOp`/`BinaryOp` definitions. `if(c, a, b)` evaluates both branches and selects
//! (no operation in the language has a side effect). User functions are not supported.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::immediates::Ieee64;
use cranelift_codegen::ir::{AbiParam, FuncRef, InstBuilder, Signature, Value, types};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};
use trivial_jit::compiler::ops::{PowStep, powi_steps};
use trivial_jit::compiler::{BinaryOp, Expr, Node, UnaryOp};

macro_rules! unary_helpers {
    ($($fname:ident => $op:ident),* $(,)?) => {
        $(extern "C" fn $fname(x: f64) -> f64 { UnaryOp::$op.apply(x) })*
        /// The helper (symbol name and address) for a unary operation done by a call.
        fn unary_helper(op: UnaryOp) -> Option<(&'static str, *const u8)> {
            match op {
                $(UnaryOp::$op => Some((stringify!($fname), $fname as *const u8)),)*
                _ => None,
            }
        }
    };
}

macro_rules! binary_helpers {
    ($($fname:ident => $op:ident),* $(,)?) => {
        $(extern "C" fn $fname(a: f64, b: f64) -> f64 { BinaryOp::$op.apply(a, b) })*
        /// The helper (symbol name and address) for a binary operation done by a call.
        fn binary_helper(op: BinaryOp) -> Option<(&'static str, *const u8)> {
            match op {
                $(BinaryOp::$op => Some((stringify!($fname), $fname as *const u8)),)*
                _ => None,
            }
        }
    };
}

unary_helpers! {
    tjb_round => Round, tjb_sign => Sign, tjb_exp => Exp, tjb_exp2 => Exp2, tjb_ln => Ln,
    tjb_log2 => Log2, tjb_log10 => Log10, tjb_sin => Sin, tjb_cos => Cos, tjb_tan => Tan,
    tjb_asin => Asin, tjb_acos => Acos, tjb_atan => Atan, tjb_sinh => Sinh, tjb_cosh => Cosh,
    tjb_tanh => Tanh,
}

/// `Pow` only survives simplification with a non-constant exponent, where it is `powf`.
extern "C" fn tjb_powf(a: f64, b: f64) -> f64 {
    a.powf(b)
}

binary_helpers! {
    tjb_rem => Rem, tjb_powf2 => Powf, tjb_atan2 => Atan2, tjb_hypot => Hypot,
    tjb_min => Min, tjb_max => Max,
}

fn helper_of(node: Node) -> Option<(&'static str, *const u8, usize)> {
    match node {
        Node::Unary(op, _) => unary_helper(op).map(|(n, p)| (n, p, 1)),
        Node::Binary(BinaryOp::Pow, _, _) => Some(("tjb_powf", tjb_powf as *const u8, 2)),
        Node::Binary(op, _, _) => binary_helper(op).map(|(n, p)| (n, p, 2)),
        _ => None,
    }
}

/// The Cranelift compiler: one target ISA (host, `opt_level=speed`) shared by every function.
pub struct Cranelift {
    isa: OwnedTargetIsa,
}

/// A function compiled by Cranelift, in a `JITModule` of its own that is freed on drop.
pub struct ClFn {
    module: Option<JITModule>,
    ptr: *const u8,
    arity: usize,
}

impl ClFn {
    /// The number of arguments.
    pub fn arity(&self) -> usize {
        self.arity
    }

    /// The entry: `extern "C" fn(f64 x arity) -> f64`, valid while `self` lives.
    pub fn ptr(&self) -> *const u8 {
        self.ptr
    }
}

impl Drop for ClFn {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the only pointer into this module's memory is `self.ptr`, which dies
            // with `self`; callers never keep it beyond the `ClFn`'s life.
            unsafe { module.free_memory() };
        }
    }
}

impl Cranelift {
    /// The host ISA with `opt_level=speed`.
    pub fn new() -> Result<Cranelift, String> {
        let mut flags = settings::builder();
        for (k, v) in [
            ("opt_level", "speed"),
            ("use_colocated_libcalls", "false"),
            ("is_pic", "false"),
        ] {
            flags.set(k, v).map_err(|e| e.to_string())?;
        }
        let isa = cranelift_native::builder()?
            .finish(settings::Flags::new(flags))
            .map_err(|e| e.to_string())?;
        Ok(Cranelift { isa })
    }

    /// Source text → callable: parse and simplify with jit_compiler, lower, finalize.
    pub fn compile(&self, src: &str) -> Result<ClFn, String> {
        let expr = trivial_jit::compiler::parse(src)
            .map_err(|e| e.to_string())?
            .simplified();
        self.compile_expr(&expr)
    }

    /// Lowers a (simplified) expression.
    pub fn compile_expr(&self, expr: &Expr) -> Result<ClFn, String> {
        let arity = expr.arity();
        if arity > 8 {
            return Err("more than 8 arguments".into());
        }
        let ast = expr.ast();
        let nodes = ast.nodes();
        let root = expr.root().index();

        // Reachable nodes only, so that no dead helper call is emitted.
        let mut live = vec![false; nodes.len()];
        if root < nodes.len() {
            live[root] = true;
        }
        for i in (0..nodes.len()).rev() {
            if live[i] {
                if let Node::Call(..) = nodes[i] {
                    return Err("user functions are not supported by the Cranelift lowering".into());
                }
                for c in ast.children(nodes[i]).iter() {
                    live[c.index()] = true;
                }
            }
        }

        let mut jb = JITBuilder::with_isa(self.isa.clone(), default_libcall_names());
        let mut helpers: Vec<(&'static str, usize)> = Vec::new();
        for (i, &node) in nodes.iter().enumerate() {
            if live[i]
                && let Some((name, ptr, n)) = helper_of(node)
                && !helpers.iter().any(|h| h.0 == name)
            {
                jb.symbol(name, ptr);
                helpers.push((name, n));
            }
        }
        let mut module = JITModule::new(jb);
        let frontend_config = module.target_config();
        let call_conv = frontend_config.default_call_conv;

        let mut sig = Signature::new(call_conv);
        for _ in 0..arity {
            sig.params.push(AbiParam::new(types::F64));
        }
        sig.returns.push(AbiParam::new(types::F64));
        let mut helper_ids = HashMap::new();
        for &(name, n) in &helpers {
            let mut hs = Signature::new(call_conv);
            for _ in 0..n {
                hs.params.push(AbiParam::new(types::F64));
            }
            hs.returns.push(AbiParam::new(types::F64));
            let id = module
                .declare_function(name, Linkage::Import, &hs)
                .map_err(|e| e.to_string())?;
            helper_ids.insert(name, id);
        }

        let mut ctx = module.make_context();
        ctx.func.signature = sig.clone();
        let mut fbc = FunctionBuilderContext::new();
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
            let block = b.create_block();
            b.append_block_params_for_function_params(block);
            b.switch_to_block(block);
            b.seal_block(block);
            let params = b.block_params(block).to_vec();
            let mut refs: HashMap<&'static str, FuncRef> = HashMap::new();
            let mut vals: Vec<Option<Value>> = vec![None; nodes.len()];
            let v = |vals: &Vec<Option<Value>>, id: trivial_jit::compiler::NodeId| {
                vals[id.index()].expect("children before parents")
            };
            for (i, &node) in nodes.iter().enumerate() {
                if !live[i] {
                    continue;
                }
                if let Some((name, _, _)) = helper_of(node) {
                    let fref = *refs
                        .entry(name)
                        .or_insert_with(|| module.declare_func_in_func(helper_ids[name], b.func));
                    let args: Vec<Value> = ast.children(node).iter().map(|c| v(&vals, c)).collect();
                    let call = b.ins().call(fref, &args);
                    vals[i] = Some(b.inst_results(call)[0]);
                    continue;
                }
                let value = match node {
                    Node::Num(x) => b.ins().f64const(Ieee64::with_float(x)),
                    Node::Arg(k) => *params
                        .get(k as usize)
                        .ok_or_else(|| format!("argument {k} out of range"))?,
                    Node::Unary(op, a) => {
                        let a = v(&vals, a);
                        match op {
                            UnaryOp::Neg => b.ins().fneg(a),
                            UnaryOp::Sqrt => b.ins().sqrt(a),
                            UnaryOp::Abs => b.ins().fabs(a),
                            UnaryOp::Floor => b.ins().floor(a),
                            UnaryOp::Ceil => b.ins().ceil(a),
                            UnaryOp::Trunc => b.ins().trunc(a),
                            other => return Err(format!("no lowering for {other:?}")),
                        }
                    }
                    Node::Binary(op, x, y) => {
                        let (x, y) = (v(&vals, x), v(&vals, y));
                        let cmp = |b: &mut FunctionBuilder, cc: FloatCC| {
                            let c = b.ins().fcmp(cc, x, y);
                            let one = b.ins().f64const(Ieee64::with_float(1.0));
                            let zero = b.ins().f64const(Ieee64::with_float(0.0));
                            b.ins().select(c, one, zero)
                        };
                        match op {
                            BinaryOp::Add => b.ins().fadd(x, y),
                            BinaryOp::Sub => b.ins().fsub(x, y),
                            BinaryOp::Mul => b.ins().fmul(x, y),
                            BinaryOp::Div => b.ins().fdiv(x, y),
                            BinaryOp::Lt => cmp(&mut b, FloatCC::LessThan),
                            BinaryOp::Le => cmp(&mut b, FloatCC::LessThanOrEqual),
                            BinaryOp::Gt => cmp(&mut b, FloatCC::GreaterThan),
                            BinaryOp::Ge => cmp(&mut b, FloatCC::GreaterThanOrEqual),
                            BinaryOp::Eq => cmp(&mut b, FloatCC::Equal),
                            BinaryOp::Ne => cmp(&mut b, FloatCC::NotEqual),
                            other => return Err(format!("no lowering for {other:?}")),
                        }
                    }
                    Node::PowI(a, n) => {
                        let x = v(&vals, a);
                        if n == 0 {
                            b.ins().f64const(Ieee64::with_float(1.0))
                        } else {
                            let mut base = x;
                            let mut acc: Option<Value> = None;
                            for step in powi_steps(n.unsigned_abs()) {
                                match step {
                                    PowStep::Accumulate => {
                                        acc = Some(match acc {
                                            None => base,
                                            Some(p) => b.ins().fmul(p, base),
                                        })
                                    }
                                    PowStep::Square => base = b.ins().fmul(base, base),
                                }
                            }
                            let p = acc.expect("n > 0 has a set bit");
                            if n < 0 {
                                let one = b.ins().f64const(Ieee64::with_float(1.0));
                                b.ins().fdiv(one, p)
                            } else {
                                p
                            }
                        }
                    }
                    Node::If(c, x, y) => {
                        let (c, x, y) = (v(&vals, c), v(&vals, x), v(&vals, y));
                        let zero = b.ins().f64const(Ieee64::with_float(0.0));
                        let truthy = b.ins().fcmp(FloatCC::OrderedNotEqual, c, zero);
                        b.ins().select(truthy, x, y)
                    }
                    Node::Call(..) => unreachable!("rejected above"),
                };
                vals[i] = Some(value);
            }
            let result = vals
                .get(root)
                .copied()
                .flatten()
                .ok_or("empty expression")?;
            b.ins().return_(&[result]);
            b.finalize(frontend_config);
        }
        let id = module
            .declare_function("expr", Linkage::Export, &sig)
            .map_err(|e| e.to_string())?;
        module
            .define_function(id, &mut ctx)
            .map_err(|e| format!("{e:?}"))?;
        module.clear_context(&mut ctx);
        module.finalize_definitions().map_err(|e| e.to_string())?;
        let ptr = module.get_finalized_function(id);
        Ok(ClFn {
            module: Some(module),
            ptr,
            arity,
        })
    }
}
