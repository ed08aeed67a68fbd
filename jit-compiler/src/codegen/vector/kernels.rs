//! The kernels: the loops around the generated bodies.

use crate::ast::{Node, NodeId};
use crate::codegen::Abi;
use crate::codegen::dag::Dag;
use crate::codegen::frame::reserve_stack;
use crate::codegen::lower::{Schedule, Target, lower};
use crate::codegen::pool::Pool;
use crate::expr::Expr;
use crate::ops::{BinaryOp, UnaryOp};
use crate::x64::{
    Assembler, AvxOp, Cond, Gpr, Inst, Mem, PrefetchOp, Scale, SseOp, SseStoreOp, Xmm,
};

/// Lane patterns of the masks.
use super::*;

/// Vectors per iteration of the map loop (see [`unrolled_block`]).
pub(super) const MAP_UNROLL: usize = 4;

/// Column pointers kept in registers; later columns are loaded into `r11` at each use.
pub(super) const COLUMN_REGS: [Gpr; 4] = [Gpr::Rax, Gpr::R8, Gpr::R9, Gpr::R10];

/// A vectorized `out[i] = f(col0[i], ...)` over `n` elements.
///
/// The kernel is `extern "sysv64" fn(columns: *const *const f64, out: *mut f64, n: usize)`
/// with `n >= lanes` (smaller arrays are the caller's job): blocks of `4*lanes` elements, then
/// of `lanes`, and a last block that ends at `n` and overlaps the one before (elements are
/// recomputed to the same values, so this only needs `out` not to alias a column). `None`
/// when the expression calls functions or needs more than 16 vector registers.
///
/// With [`Prefetch::Ahead`], each turn of the main loop also prefetches the cache lines
/// [`PREFETCH_AHEAD`] bytes past the ones it reads from each column and writes to `out`
/// (`prefetcht0`: a line about to be written is then in the cache when the store comes), for
/// arrays that come from memory rather than from the caches; the results are the same.
///
/// ```
/// use jit_compiler::codegen::{map_kernel, Prefetch, VectorIsa};
/// let e = jit_compiler::parse("2*x^0.5").unwrap();
/// let k = map_kernel(&e, VectorIsa::Avx2, Prefetch::Off, true).unwrap();
/// assert!(k.listing.contains("vsqrtpd"));
/// assert!(!k.listing.contains("prefetch"));
/// let sin = jit_compiler::parse("sin(x)").unwrap();
/// assert!(map_kernel(&sin, VectorIsa::Sse2, Prefetch::Off, false).is_none());
/// // 16 doubles a turn, two cache lines of the column (in rax) and of the output (rsi)
/// let k = map_kernel(&e, VectorIsa::Avx2, Prefetch::Ahead, true).unwrap();
/// for base in ["rax", "rsi"] {
///     for ahead in ["2000h", "2040h"] {
///         let line = format!("prefetcht0 [{base}+rcx*8+{ahead}]");
///         assert!(k.listing.contains(&line), "{line}");
///     }
/// }
/// ```
pub fn map_kernel(
    expr: &Expr,
    isa: VectorIsa,
    prefetch: Prefetch,
    listing: bool,
) -> Option<ArrayKernel> {
    let (ast, root) = expr.simplified_for_codegen();
    let dag = Dag::new(&ast, root);
    if dag.ast.is_empty() || has_calls(&dag) {
        return None;
    }
    let lanes = isa.lanes();
    let block = lanes * MAP_UNROLL;
    let arity = expr.arity();
    let mut asm = Assembler::new().with_listing(listing);
    let mut consts = Consts::new(lanes);
    let (big, small_setup, small, again, tail, done) = (
        asm.new_label(),
        asm.new_label(),
        asm.new_label(),
        asm.new_label(),
        asm.new_label(),
        asm.new_label(),
    );
    for (k, &r) in COLUMN_REGS.iter().enumerate().take(arity) {
        asm.mov(r, Mem::base_disp(Gpr::Rdi, 8 * k as i32));
    }
    asm.xor(Gpr::Rcx, Gpr::Rcx);
    asm.sub(Gpr::Rdx, block as i32); // rdx = n - block: the last start of a whole block
    asm.cmp(Gpr::Rcx, Gpr::Rdx);
    asm.jcc(Cond::G, small_setup);
    asm.bind(big);
    if prefetch == Prefetch::Ahead {
        for k in 0..arity {
            let base = column_base(&mut asm, k as u32);
            prefetch_ahead(&mut asm, base, 8 * block);
        }
        prefetch_ahead(&mut asm, Gpr::Rsi, 8 * block);
    }
    unrolled_block(&dag, isa, arity, &mut asm, &mut consts)?;
    asm.add(Gpr::Rcx, block as i32);
    asm.cmp(Gpr::Rcx, Gpr::Rdx);
    asm.jcc(Cond::Le, big);
    asm.bind(small_setup);
    asm.add(Gpr::Rdx, (block - lanes) as i32); // rdx = n - lanes
    asm.bind(small);
    asm.cmp(Gpr::Rcx, Gpr::Rdx);
    asm.jcc(Cond::G, tail);
    asm.bind(again);
    let r = body(&dag, isa, &mut asm, &mut consts, &column, 0, ALL_REGS).ok()?;
    store(&mut asm, isa, r, 0, 0);
    asm.add(Gpr::Rcx, lanes as i32);
    asm.jmp(small);
    asm.bind(tail);
    // done if the last vector ended exactly at n; else one more vector ending at n
    asm.lea(Gpr::R11, Mem::base_disp(Gpr::Rdx, lanes as i32));
    asm.cmp(Gpr::Rcx, Gpr::R11);
    asm.jcc(Cond::E, done);
    asm.mov(Gpr::Rcx, Gpr::Rdx);
    asm.jmp(again);
    asm.bind(done);
    if isa == VectorIsa::Avx2 {
        asm.vzeroupper();
    }
    asm.ret();
    finish(asm, &consts, lanes, block)
}

/// Prefetches (`prefetcht0`) the cache lines [`PREFETCH_AHEAD`] bytes past the `bytes` that
/// one turn of a loop reads or writes from `[base + rcx*8]` on: one prefetch per line (at
/// least one: a turn of one SSE2 vector covers half a line, and prefetches the same line
/// twice over two turns).
fn prefetch_ahead(asm: &mut Assembler, base: Gpr, bytes: usize) {
    for line in 0..bytes.div_ceil(64) {
        let ahead = PREFETCH_AHEAD + 64 * line as i32;
        asm.prefetch(
            PrefetchOp::Prefetcht0,
            Mem::base_index(base, Gpr::Rcx, Scale::S8, ahead),
        );
    }
}

/// Every vector register.
const ALL_REGS: u16 = 0xFFFF;

/// Element `disp / 8` (from `rcx`) of column `k`.
fn column(asm: &mut Assembler, k: u32, disp: i32) -> Mem {
    Mem::base_index(column_base(asm, k), Gpr::Rcx, Scale::S8, disp)
}

/// The register with column `k`'s pointer: one of [`COLUMN_REGS`], or `r11`, loaded here.
fn column_base(asm: &mut Assembler, k: u32) -> Gpr {
    match COLUMN_REGS.get(k as usize) {
        Some(&r) => r,
        None => {
            asm.mov(Gpr::R11, Mem::base_disp(Gpr::Rdi, 8 * k as i32));
            Gpr::R11
        }
    }
}

/// Stores a result to `out` at element `disp / 8` from `rcx`; a result in memory (the root is
/// a constant or an argument) goes through register `temp`.
fn store(asm: &mut Assembler, isa: VectorIsa, src: Src, disp: i32, temp: u8) {
    let at = Mem::base_index(Gpr::Rsi, Gpr::Rcx, Scale::S8, disp);
    let r = match src {
        Src::Reg(r) => r,
        Src::Mem(m) => {
            match isa {
                VectorIsa::Avx2 => asm.vmovupd(ymm(temp), m),
                VectorIsa::Sse2 => asm.movupd(xmm(temp), m),
            }
            temp
        }
    };
    match isa {
        VectorIsa::Avx2 => asm.vmovupd(at, ymm(r)),
        VectorIsa::Sse2 => asm.movupd(at, xmm(r)),
    }
}

/// The body of the main loop: [`MAP_UNROLL`] copies of the expression, for the vectors at
/// `rcx`, `rcx + lanes`, ... .
///
/// The copies are independent, and the CPU overlaps them best when their instructions sit
/// side by side, as rustc lays out its unrolled loops: when each copy fits in its own share
/// of the sixteen registers (four each, else eight each for pairs of copies), the copies are
/// recorded and emitted interleaved, one instruction of each in turn. Otherwise, and when
/// columns beyond the fourth share `r11`, they follow one another with all registers each.
/// (Measured on `x^7 - 3*x^5 + 2*x^3 - x + 1` over 1M elements, input and output in the L3
/// cache: 3–8% slower than rustc's loop with two copies one after the other, level to 2.5%
/// faster with four interleaved.) The order of the instructions changes nothing in the
/// results: each copy computes its own elements with the same instructions.
fn unrolled_block(
    dag: &Dag,
    isa: VectorIsa,
    arity: usize,
    asm: &mut Assembler,
    consts: &mut Consts,
) -> Option<()> {
    if arity <= COLUMN_REGS.len() {
        for group in [MAP_UNROLL, MAP_UNROLL / 2] {
            if let Some(copies) = record_copies(dag, isa, asm, consts, group) {
                for interleaved in copies.chunks(group) {
                    asm.emit_interleaved(interleaved);
                }
                return Some(());
            }
        }
    }
    for u in 0..MAP_UNROLL {
        let disp = copy_disp(isa, u);
        let r = body(dag, isa, asm, consts, &column, disp, ALL_REGS).ok()?;
        store(asm, isa, r, disp, 0);
    }
    Some(())
}

/// The displacement (from element `rcx`) of the vector that copy `u` of the body computes.
fn copy_disp(isa: VectorIsa, u: usize) -> i32 {
    (8 * isa.lanes() * u) as i32
}

/// The [`MAP_UNROLL`] copies of the body as recorded instruction sequences, copy `u` using
/// only share `u % group` of the registers (`16 / group` each); `None` if one does not fit.
fn record_copies(
    dag: &Dag,
    isa: VectorIsa,
    asm: &mut Assembler,
    consts: &mut Consts,
    group: usize,
) -> Option<Vec<Vec<Inst>>> {
    let share = 16 / group;
    let mut copies = Vec::with_capacity(MAP_UNROLL);
    for u in 0..MAP_UNROLL {
        let regs = (((1u32 << share) - 1) << (share * (u % group))) as u16;
        let disp = copy_disp(isa, u);
        let (fits, insts) = asm.record(|asm| {
            let r = body(dag, isa, asm, consts, &column, disp, regs).ok()?;
            store(asm, isa, r, disp, regs.trailing_zeros() as u8);
            Some(())
        });
        fits?;
        copies.push(insts);
    }
    Some(copies)
}

/// The strict left fold `t = f(t, x)` of a two-argument expression (`t` argument 0, the
/// element argument 1): `extern "sysv64" fn(xs: *const f64, n: usize, init: f64) -> f64`.
///
/// The loop body is the scalar code generator's body for `f` (the same instructions as one
/// call, so the result is bit-identical to calling `f` element by element), with `t` staying
/// in `xmm0` and each element loaded into `xmm1`. `None` when `f` calls functions, or when
/// its spill slots need a frame of more than `max_frame_len` bytes (the limit the scalar
/// function was compiled with,
/// [`CodegenOptions::max_frame_len`](crate::codegen::CodegenOptions::max_frame_len)).
///
/// Each turn also prefetches the element [`PREFETCH_AHEAD`] bytes ahead (`prefetcht0`),
/// whatever the array's length: a step that reads `t` waits on its chain through `t` (4
/// cycles an element for an `addsd`), which leaves the load ports idle, so in cache the
/// prefetches cost nothing, while from memory they keep the loads from waiting. Measured
/// on the Xeon of `bench/last-run-xeon.txt` (a test program, two runs), without → with,
/// GB/s over 10 000 or 100 000 / 100M elements: `t + x` 12.0 / 7.9–8.0 → 12.0 / 11.2–11.5,
/// `-t + x` 11.6 / 6.9 → 11.5 / 10.2, `max(t, x)` 3.1 / 3.0 → 3.0 / 3.0, and `x`, with no
/// chain, 16.7 / 7.6 → 23.2 / 10.9.
///
/// ```
/// use jit_compiler::codegen::fold_kernel;
/// let e = jit_compiler::parse_with_args("t + x*x", &["t", "x"]).unwrap();
/// let k = fold_kernel(&e, 256 << 10, true).unwrap();
/// assert!(k.listing.contains("movsd xmm1,[rdi+rcx*8]"));
/// assert!(k.listing.contains("prefetcht0 [rdi+rcx*8+2000h]"));
/// ```
pub fn fold_kernel(expr: &Expr, max_frame_len: usize, listing: bool) -> Option<ArrayKernel> {
    if expr.arity() != 2 {
        return None;
    }
    let (ast, root) = expr.simplified_for_codegen();
    let dag = Dag::new(&ast, root);
    if dag.ast.is_empty() || has_calls(&dag) {
        return None;
    }
    let mut asm = Assembler::new().with_listing(listing);
    let mut pool = Pool::default();
    let scalar = Target {
        abi: Abi::SysV,
        avx: false,
        max_code_len: usize::MAX,
    };
    // not planned: a body without calls has no branching `if`, blends need no fusing, and
    // divisions stay unpaired (pairs are planned for the scalar function only)
    let schedule = Schedule {
        dag: &dag,
        marks: &[],
        fused: &[],
        pairs: &[],
    };
    let mut buffers = crate::codegen::lower::Buffers::default();
    let b = lower(schedule, 2, scalar, None, &mut asm, &mut pool, &mut buffers).ok()?;
    if b.has_calls {
        return None;
    }
    // the spill slots, as the scalar function's frame would have them, within its limit
    let frame = (8 * b.slots as usize + 15) & !15;
    if frame > max_frame_len {
        return None;
    }
    let frame = frame as i32;
    let (top, done) = (asm.new_label(), asm.new_label());
    asm.test(Gpr::Rsi, Gpr::Rsi);
    asm.jcc(Cond::E, done);
    reserve_stack(&mut asm, frame);
    asm.xor(Gpr::Rcx, Gpr::Rcx);
    asm.bind(top);
    // (a prefetch per element, 8 per cache line: the loop waits on its chain through `t`,
    // not on its loads, so the repeated ones cost nothing measurable; see the doc above)
    prefetch_ahead(&mut asm, Gpr::Rdi, 8);
    asm.movsd(Xmm::Xmm1, Mem::base_index(Gpr::Rdi, Gpr::Rcx, Scale::S8, 0));
    for &inst in &b.insts {
        asm.emit(inst);
    }
    asm.inc(Gpr::Rcx);
    asm.cmp(Gpr::Rcx, Gpr::Rsi);
    asm.jcc(Cond::B, top);
    if frame > 0 {
        asm.add(Gpr::Rsp, frame);
    }
    asm.bind(done);
    asm.ret();
    pool.emit(&mut asm);
    let out = asm.finish().ok()?;
    let listing = out.listing_text();
    Some(ArrayKernel {
        code: out.code,
        lanes: 1,
        block: 1,
        listing,
    })
}

/// Is `f(t, x)` of the form `t + term(x)` or `t * term(x)` (either operand order), or
/// `t - term(x)` (a sum of `-term(x)`: `t - u` is `t + (-u)` bit for bit), with `t` argument
/// `acc` and `term` free of `t`? (The shape is that of the simplified expression, in which
/// `t + -x` is `t - x`.) Returns the operation and the term as an expression of the same
/// arguments.
///
/// ```
/// use jit_compiler::codegen::{reduce_shape, ReduceOp};
/// let e = jit_compiler::parse_with_args("t + x*x", &["t", "x"]).unwrap();
/// assert_eq!(reduce_shape(&e, 0).unwrap().0, ReduceOp::Add);
/// let e = jit_compiler::parse_with_args("t + -x", &["t", "x"]).unwrap();
/// let (op, term) = reduce_shape(&e, 0).unwrap();
/// assert_eq!((op, term.to_string()), (ReduceOp::Add, "-x".to_owned()));
/// let e = jit_compiler::parse_with_args("t*t + x", &["t", "x"]).unwrap();
/// assert!(reduce_shape(&e, 0).is_none());
/// let e = jit_compiler::parse_with_args("x - t", &["t", "x"]).unwrap();
/// assert!(reduce_shape(&e, 0).is_none());
/// ```
pub fn reduce_shape(expr: &Expr, acc: usize) -> Option<(ReduceOp, Expr)> {
    let simple = expr.simplified();
    let ast = simple.ast();
    if ast.is_empty() {
        return None;
    }
    let is_acc = |n: NodeId| ast.node(n) == Node::Arg(acc as u32);
    let (op, l, r, negate) = match ast.node(ast.root()) {
        Node::Binary(BinaryOp::Add, l, r) => (ReduceOp::Add, l, r, false),
        Node::Binary(BinaryOp::Sub, l, r) if is_acc(l) => (ReduceOp::Add, l, r, true),
        Node::Binary(BinaryOp::Mul, l, r) => (ReduceOp::Mul, l, r, false),
        _ => return None,
    };
    let term = match (is_acc(l), is_acc(r)) {
        (true, false) => r,
        (false, true) => l,
        _ => return None,
    };
    let live = ast.reachable(term);
    let uses_acc = ast
        .nodes()
        .iter()
        .zip(&live)
        .any(|(n, &l)| l && *n == Node::Arg(acc as u32));
    if uses_acc {
        return None;
    }
    let mut term_ast = ast.compact(term);
    if negate {
        let (root, span) = (term_ast.root(), ast.span(ast.root()));
        term_ast.push(Node::Unary(UnaryOp::Neg, root), span);
    }
    Some((op, simple.with_valid_ast(term_ast)))
}

/// Whether a [`map_kernel`] or [`fast_reduce_kernel`] prefetches: for arrays that come from
/// memory, or for arrays in the caches, where prefetches cost 3–8% (see [`PREFETCH_AHEAD`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Prefetch {
    /// No prefetches.
    Off,
    /// Each turn of the main loop prefetches (`prefetcht0`) every cache line it reads or
    /// writes, [`PREFETCH_AHEAD`] bytes ahead.
    Ahead,
}

/// How far ahead of the elements they read (and, for a map, write) the array kernels that
/// prefetch do so, in bytes: [`fold_kernel`] always, [`map_kernel`] and
/// [`fast_reduce_kernel`] with [`Prefetch::Ahead`].
///
/// Measured on an Intel Xeon (2.3 GHz, 2 MiB of L2 per core; the machine of
/// `bench/last-run-xeon.txt`), `reduce_fast` of `t + x` with AVX2, medians of three runs
/// each, without → with `prefetcht0` 8 KiB ahead: 25.8–26.2 → 27.4–27.9 GB/s over 4M
/// elements, 13.0–13.3 → 14.5–14.7 over 100M (memory-bound), and `reduce_fast_parallel`
/// over 100M 25.1–25.9 → 27.6–28.0. In the L1 and L2 caches the prefetches cost 3–8% (a
/// loop of intrinsics over 8 000 to 100 000 elements), so the runtime uses this kernel for
/// long arrays only. `prefetcht1` gained up to 5% more from memory but lost 3% from L3;
/// 4 KiB ahead gained less; 32 KiB ahead (8 pages) lost everywhere.
pub const PREFETCH_AHEAD: i32 = 8192;

/// The fast reduction kernel for `t op term(x)` of a two-argument expression (see
/// [`reduce_shape`]; the argument other than `acc` is the element):
/// `extern "sysv64" fn(xs: *const f64, n: usize, partials: *mut f64)` with `n` a multiple of
/// [`ArrayKernel::block`]. It keeps `unroll` vector accumulators, loaded from the `block`
/// doubles at `partials` (the caller starts them at [`ReduceOp::identity`], or continues
/// earlier partial results), adds (multiplies) `term` of element `i` into lane `i mod block`,
/// and stores the `block` partial results back to `partials`. Taking the partials in as well
/// as out lets the runtime feed an array from a vector-aligned element on: it rotates the
/// partials so that each element still lands in its own lane (see `jit-runtime`'s
/// `array.rs`). `None` if the shape does not fit or the term needs calls or too many
/// registers even with one accumulator.
///
/// With [`Prefetch::Ahead`], each turn of the loop also prefetches the cache lines
/// [`PREFETCH_AHEAD`] bytes past the ones it reads (`prefetcht0`), for arrays that come from
/// memory rather than from the caches; the results are the same, bit for bit (a prefetch
/// changes no register).
///
/// ```
/// use jit_compiler::codegen::{fast_reduce_kernel, Prefetch, VectorIsa};
/// let e = jit_compiler::parse_with_args("t + x", &["t", "x"]).unwrap();
/// let (_, k) = fast_reduce_kernel(&e, 0, VectorIsa::Avx2, 4, Prefetch::Off, true).unwrap();
/// assert_eq!(k.block, 16);
/// assert!(k.listing.contains("vaddpd ymm12,ymm12,[rdi+rcx*8]"));
/// assert!(!k.listing.contains("prefetch"));
/// let (_, k) = fast_reduce_kernel(&e, 0, VectorIsa::Avx2, 4, Prefetch::Ahead, true).unwrap();
/// // 16 doubles a turn, two cache lines: one prefetch for each, 8 KiB ahead
/// assert!(k.listing.contains("prefetcht0 [rdi+rcx*8+2000h]"));
/// assert!(k.listing.contains("prefetcht0 [rdi+rcx*8+2040h]"));
/// ```
pub fn fast_reduce_kernel(
    expr: &Expr,
    acc: usize,
    isa: VectorIsa,
    unroll: usize,
    prefetch: Prefetch,
    listing: bool,
) -> Option<(ReduceOp, ArrayKernel)> {
    if expr.arity() != 2 {
        return None;
    }
    let (op, term) = reduce_shape(expr, acc)?;
    let (ast, root) = term.simplified_for_codegen();
    let dag = Dag::new(&ast, root);
    if has_calls(&dag) {
        return None;
    }
    let mut unroll = unroll.clamp(1, 8);
    loop {
        if let Some(k) = fast_reduce_with(&dag, op, isa, unroll, prefetch, listing) {
            return Some((op, k));
        }
        if unroll == 1 {
            return None;
        }
        unroll /= 2;
    }
}

pub(super) fn fast_reduce_with(
    dag: &Dag,
    op: ReduceOp,
    isa: VectorIsa,
    unroll: usize,
    prefetch: Prefetch,
    listing: bool,
) -> Option<ArrayKernel> {
    let lanes = isa.lanes();
    let block = lanes * unroll;
    let mut asm = Assembler::new().with_listing(listing);
    let mut consts = Consts::new(lanes);
    let first_acc = (16 - unroll) as u8;
    let allowed: u16 = (1u16 << first_acc) - 1;
    let arg_mem = |_: &mut Assembler, _: u32, disp: i32| -> Mem {
        Mem::base_index(Gpr::Rdi, Gpr::Rcx, Scale::S8, disp)
    };
    let inst = match op {
        ReduceOp::Add => AvxOp::Vaddpd,
        ReduceOp::Mul => AvxOp::Vmulpd,
    };
    for u in 0..unroll as u8 {
        let at = Mem::base_disp(Gpr::Rdx, 8 * lanes as i32 * i32::from(u));
        match isa {
            VectorIsa::Avx2 => asm.vmovupd(ymm(first_acc + u), at),
            VectorIsa::Sse2 => asm.movupd(xmm(first_acc + u), at),
        }
    }
    let (top, store) = (asm.new_label(), asm.new_label());
    asm.xor(Gpr::Rcx, Gpr::Rcx);
    asm.test(Gpr::Rsi, Gpr::Rsi);
    asm.jcc(Cond::E, store);
    asm.bind(top);
    if prefetch == Prefetch::Ahead {
        prefetch_ahead(&mut asm, Gpr::Rdi, 8 * block);
    }
    for u in 0..unroll {
        let disp = (8 * lanes * u) as i32;
        let r = body(dag, isa, &mut asm, &mut consts, &arg_mem, disp, allowed).ok()?;
        let a = first_acc + u as u8;
        match isa {
            VectorIsa::Avx2 => {
                asm.emit(Inst::Avx {
                    op: inst,
                    dst: ymm(a),
                    src1: ymm(a),
                    src2: ymm_src(r),
                });
            }
            VectorIsa::Sse2 => {
                let src = match r {
                    Src::Reg(r) => xmm(r),
                    Src::Mem(m) => {
                        // possibly unaligned: load first
                        asm.movupd(xmm(0), m);
                        xmm(0)
                    }
                };
                let sse = match op {
                    ReduceOp::Add => SseOp::Addpd,
                    ReduceOp::Mul => SseOp::Mulpd,
                };
                asm.emit(Inst::Sse {
                    op: sse,
                    dst: xmm(a),
                    src: src.into(),
                });
            }
        }
    }
    asm.add(Gpr::Rcx, block as i32);
    asm.cmp(Gpr::Rcx, Gpr::Rsi);
    asm.jcc(Cond::B, top);
    asm.bind(store);
    for u in 0..unroll {
        let at = Mem::base_disp(Gpr::Rdx, (8 * lanes * u) as i32);
        let a = first_acc + u as u8;
        match isa {
            VectorIsa::Avx2 => asm.vmovupd(at, ymm(a)),
            VectorIsa::Sse2 => asm.emit(Inst::SseStore {
                op: SseStoreOp::Movupd,
                dst: at,
                src: xmm(a),
            }),
        }
    }
    if isa == VectorIsa::Avx2 {
        asm.vzeroupper();
    }
    asm.ret();
    finish(asm, &consts, lanes, block)
}
