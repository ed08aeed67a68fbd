//! The function around the body: two entries, the stack frame, the pool.
//!
//! ```text
//! array_entry:                       ; extern fn(args: *const f64) -> f64
//!     [push rbx; lea rbx,[ptr+8*R]]  ; only if there are more arguments than registers
//!     movsd xmm0,[ptr] ...           ; the register arguments
//!     [jmp common]                   ; only if the register entry has a prologue
//! register_entry:                    ; extern fn(f64, ...) -> f64 (up to 8 arguments)
//!     [push rbx; lea rbx,[rsp+48]]   ; Win64 with 5..8 arguments: the stack arguments
//! common:
//!     [sub rsp,F]                    ; spill slots, shadow space, saved xmm6-15 (Win64);
//!                                    ; over a page, a page at a time (`grow_stack`)
//!     ...body...                     ; result in xmm0
//!     [add rsp,F] [pop rbx]
//!     ret
//! pool:                              ; masks, constants, call slots
//! ```
//! `R` is the number of register arguments of the ABI; arguments beyond it are read from
//! `[rbx + 8*(i-R)]` by the body, in both entries.

use super::dag::Dag;
use super::lower::{Body, Schedule, Target, lower};
use super::{Abi, CodegenOptions, Compiled};
use crate::error::{Error, ErrorKind, Result, Span};
use crate::workspace::Workspace;
use crate::x64::{Assembler, Cond, Gpr, Inst, Label, Mem, SseOp, SseStoreOp, Xmm};

/// Stack frame layout of a body.
struct Frame {
    /// Bytes subtracted from `rsp` (0: no frame).
    size: i32,
    /// Where the callee-saved XMM registers are saved.
    save_base: i32,
    /// Which callee-saved XMM registers the body uses (bit `n` for `xmm<n>`), saved in
    /// ascending order from `save_base`.
    saved: u16,
}

impl Frame {
    /// `calls`: does the body still make a call (other than tail calls)? `Err` with the size
    /// when the frame would be larger than `limit` bytes (or than a `sub rsp, imm32` takes).
    fn new(body: &Body, abi: Abi, pushed: bool, calls: bool, limit: usize) -> Result<Frame, usize> {
        let saved = body.used_xmm & !abi.caller_saved_xmm();
        if body.slots == 0 && !calls && saved == 0 {
            return Ok(Frame {
                size: 0,
                save_base: 0,
                saved,
            });
        }
        // (in `usize`: the slots of a huge expression overflow an `i32` of bytes)
        let locals = abi.shadow_space() + 8 * body.slots as usize;
        let save_base = (locals + 15) & !15;
        let mut size = save_base + 16 * saved.count_ones() as usize;
        // At entry rsp is 8 past a multiple of 16 (the return address); calls and the
        // aligned saves need it on a multiple of 16 again.
        let pushed = if pushed { 8 } else { 0 };
        while (8 + pushed + size) % 16 != 0 {
            size += 8;
        }
        if size > limit.min(i32::MAX as usize) {
            return Err(size);
        }
        Ok(Frame {
            size: size as i32,
            save_base: save_base as i32,
            saved,
        })
    }

    /// The saved registers with their save slots, in ascending register order.
    fn saves(&self) -> impl Iterator<Item = (Xmm, Mem)> + use<> {
        let (mut left, mut at) = (self.saved, self.save_base);
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            let r = Xmm::from_num(left.trailing_zeros() as u8);
            left &= left - 1;
            at += 16;
            Some((r, Mem::base_disp(Gpr::Rsp, at - 16)))
        })
    }
}

/// Assembles the whole function, and returns what `finish` makes of it: `finish` gets the
/// assembler with the whole function emitted (its labels not yet resolved) and the
/// function's [`Layout`]. [`to_compiled`] copies the code out; `compile_then` lends it.
///
/// (Out of line, with `finish` and the assembler's `finish_reusing` inlined into it: inlined into
/// `compile_with`'s closure instead, its many live values crowded the registers of the
/// stages before it there, and it then called `finish_reusing`, which saved and restored six
/// registers and returned its output through memory; apart, a compilation of `2*x^0.5` took
/// 90 fewer instructions, of the 40-operation expression 1 300 fewer.)
#[inline(never)]
pub fn assemble<R>(
    dag: &Dag,
    arity: usize,
    registry: Option<&crate::Registry>,
    options: &CodegenOptions,
    ws: &mut Workspace,
    finish: impl FnOnce(&mut Assembler, Layout) -> Result<R>,
) -> Result<R> {
    let layout = emit(dag, arity, registry, options, ws)?;
    finish(&mut ws.asm, layout)
}

/// Emits the entries, the body, the epilogue and the pool into the workspace's assembler.
#[inline(always)]
fn emit(
    dag: &Dag,
    arity: usize,
    registry: Option<&crate::Registry>,
    options: &CodegenOptions,
    ws: &mut Workspace,
) -> Result<Layout> {
    let abi = options.abi;
    let bytes = 64 + 12 * dag.order.len();
    // (the assembler and the pool are used in place: moving them out of the workspace and
    // back cost 62 instructions for the pool, over a hundred for the assembler)
    let asm = &mut ws.asm;
    asm.reset(bytes, options.listing);
    let pool = &mut ws.pool;
    pool.clear();
    let target = Target {
        abi,
        avx: options.avx,
        max_code_len: options.max_code_len,
    };
    let branches = ws.plan.branches();
    let schedule = Schedule {
        dag,
        marks: &branches.marks,
        fused: &branches.fused,
        pairs: ws.plan.pairs(),
    };
    // (the body stays in the workspace, where `lower` wrote it)
    let body = lower(schedule, arity, target, registry, asm, pool, &mut ws.lower)?;
    let regs = abi.register_args();
    let memory_args = arity > regs;
    let mut edits = Vec::new();
    let tails = Tails::of(body, &mut edits);
    let frame = Frame::new(
        body,
        abi,
        memory_args,
        tails.calls_left,
        options.max_frame_len,
    )
    .map_err(|size| frame_too_large(size, options.max_frame_len, dag))?;
    // (made only when the array entry may jump to it, or the listing shows it: a label
    // costs a push and a bind, a few dozen instructions of the smallest compilation)
    let common = (memory_args || options.listing).then(|| asm.new_label());

    // array entry
    let array_entry = asm.offset();
    let ptr = abi.pointer_arg();
    if memory_args {
        asm.push(Gpr::Rbx);
        asm.lea(Gpr::Rbx, Mem::base_disp(ptr, 8 * regs as i32));
    }
    if arity > 0 {
        // `movsd xmm<i>,[ptr+8*i]`, one call for all of them (and none without arguments)
        asm.emit_each((0..arity.min(regs)).map(|i| Inst::Sse {
            op: SseOp::Movsd,
            dst: Xmm::from_num(i as u8),
            src: Mem::base_disp(ptr, 8 * i as i32).into(),
        }));
    }
    let register_entry = if arity <= 8 {
        if memory_args && let Some(common) = common {
            asm.jmp(common);
        }
        let at = asm.offset();
        if memory_args {
            // Win64 with 5..8 arguments: they are on the caller's stack above the return
            // address and the 32-byte shadow space; after our push, at rsp+48.
            asm.push(Gpr::Rbx);
            asm.lea(
                Gpr::Rbx,
                Mem::base_disp(Gpr::Rsp, 8 + 8 + abi.shadow_space() as i32),
            );
        }
        Some(at)
    } else {
        None
    };
    if let Some(common) = common {
        asm.bind(common);
    }
    prologue(asm, &frame);
    emit_body(asm, body, &frame, memory_args, &edits);
    if tails.end_reached {
        epilogue(asm, &frame, memory_args);
    }
    pool.emit(asm);
    let relocs = pool.relocs(|l| asm.label_offset(l));
    Ok(Layout {
        relocs,
        array_entry,
        register_entry,
        arity,
        abi,
    })
}

/// Where things are in an assembled function, apart from its bytes.
pub(super) struct Layout {
    /// Address slots to fill before the code runs.
    pub relocs: Vec<super::Reloc>,
    /// Offset of the array entry.
    pub array_entry: usize,
    /// Offset of the register entry, if there is one.
    pub register_entry: Option<usize>,
    /// Number of arguments.
    pub arity: usize,
    /// The calling convention of both entries.
    pub abi: Abi,
}

/// The `finish` of [`assemble`] for [`Compiled`]: resolves the labels and copies the code
/// (and the listing) out of the assembler, which keeps its vectors for the next compilation.
/// (Inlined into `assemble`, as the copy was before `assemble` took a `finish`.)
#[inline(always)]
pub(super) fn to_compiled(asm: &mut Assembler, layout: Layout) -> Result<Compiled> {
    let out = asm.finish_reusing().map_err(internal_error)?;
    Ok(Compiled {
        relocs: layout.relocs,
        array_entry: layout.array_entry,
        register_entry: layout.register_entry,
        arity: layout.arity,
        abi: layout.abi,
        code: out.code,
        listing: out.listing,
        labels: out.labels.into_boxed_slice(),
    })
}

/// An error of the assembler (a label bound twice or never, a jump out of range): a bug
/// of the code generator, reported rather than panicking.
#[cold]
pub(super) fn internal_error(e: crate::x64::AsmError) -> Error {
    Error::new(
        ErrorKind::CodeTooLarge,
        Span::default(),
        format!("internal assembler error: {e:?}"),
    )
}

/// The tail calls of a body: a `call` with its arguments in registers whose result is the
/// function's (nothing follows it but the epilogue, or a jump to it) becomes the epilogue
/// and a `jmp`, so the function called returns straight to our caller:
/// `if(x > 0, exp(x), sin(x))` ends in `jmp [exp]` on one side and `jmp [sin]` on the other.
/// With them, the other edits of a body: dead stores and jumps to the next instruction are
/// left out. What becomes of each instruction goes into a vector of [`Edit`]s that the
/// caller passes to [`Tails::of`] (left empty: every one is emitted as it is). (Not a field:
/// a `Tails` holding a vector was made in memory and copied out of [`Tails::of`] with loads
/// spanning several stores, which the CPU cannot forward; two flags come back in a
/// register.)
struct Tails {
    /// Does any path still reach the end of the body (the epilogue and `ret`)?
    end_reached: bool,
    /// Does the body still make a call (so the frame must align the stack)?
    calls_left: bool,
}

/// What becomes of one instruction of a body.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// Emitted as it is.
    Keep,
    /// A `call` that becomes the epilogue and a `jmp`.
    TailCall,
    /// A jump to the end that only followed a tail call: left out.
    AfterTailCall,
    /// A store nothing reads back, or a jump to the next instruction: left out.
    Omit,
}

impl Tails {
    /// The tails of `body`, and in `edits`, which must be empty, what becomes of its
    /// instructions (left empty when every one is kept as it is).
    fn of(body: &Body, edits: &mut Vec<Edit>) -> Tails {
        if body.binds.is_empty() && body.plain_calls.is_empty() && body.dead_stores.is_empty() {
            return Tails {
                end_reached: true,
                calls_left: body.has_calls,
            };
        }
        Tails::find(body, edits)
    }

    /// [`Tails::of`] a body with something to edit: one pass over the body and its lists (a
    /// body with thousands of branching `if`s stays linear). (Out of line: most bodies have
    /// nothing to edit.)
    #[cold]
    #[inline(never)]
    fn find(body: &Body, edits: &mut Vec<Edit>) -> Tails {
        let end = body.insts.len();
        // where each label is bound (once), and which positions have a label
        let mut label_at: Vec<usize> = Vec::new();
        let mut labelled = vec![false; end + 1];
        for &(at, label) in &body.binds {
            let k = label.index() as usize;
            if k >= label_at.len() {
                label_at.resize(k + 1, usize::MAX);
            }
            label_at[k] = at;
            labelled[at] = true;
        }
        let bound = |at: usize, l: Label| label_at.get(l.index() as usize) == Some(&at);
        edits.clear();
        edits.resize(end, Edit::Keep);
        for &i in &body.dead_stores {
            edits[i] = Edit::Omit;
        }
        for (i, inst) in body.insts.iter().enumerate() {
            // a jump to the next instruction (a then-side before an empty else-side)
            if let Inst::Jmp(l) = *inst
                && bound(i + 1, l)
            {
                edits[i] = Edit::Omit;
            }
        }
        for &i in &body.plain_calls {
            match body.insts.get(i + 1) {
                None => edits[i] = Edit::TailCall,
                Some(&Inst::Jmp(l)) if bound(end, l) => {
                    edits[i] = Edit::TailCall;
                    if !labelled[i + 1] {
                        edits[i + 1] = Edit::AfterTailCall;
                    }
                }
                _ => {}
            }
        }
        // (left-out stores and jumps to the next instruction change no path)
        let kept = |i: usize| !matches!(edits[i], Edit::TailCall | Edit::AfterTailCall);
        // the end is reached by falling into it, or by a jump that stays
        let falls = end.checked_sub(1).is_none_or(kept);
        let jumped = body.insts.iter().enumerate().any(|(i, inst)| {
            kept(i) && matches!(*inst, Inst::Jmp(l) | Inst::Jcc(_, l) if bound(end, l))
        });
        let calls = |(i, inst): (usize, &Inst)| matches!(inst, Inst::Call(_)) && kept(i);
        let tails = Tails {
            end_reached: falls || jumped,
            calls_left: body.insts.iter().enumerate().any(calls),
        };
        if edits.iter().all(|e| *e == Edit::Keep) && body.binds.is_empty() {
            edits.clear();
        }
        tails
    }
}

/// The body's instructions, with the labels of branching `if`s bound where they belong and
/// the [`Edit`]s of [`Tails::of`] made. (Inlined: `assemble` made generic left it out of line,
/// which cost E1 some fifty instructions.)
#[inline(always)]
fn emit_body(asm: &mut Assembler, body: &Body, frame: &Frame, pushed: bool, edits: &[Edit]) {
    if edits.is_empty() {
        asm.emit_all(&body.insts);
    } else {
        emit_edited_body(asm, body, frame, pushed, edits);
    }
}

/// [`emit_body`] when there is something to bind, to turn into a tail call or to leave out.
#[cold]
#[inline(never)]
fn emit_edited_body(asm: &mut Assembler, body: &Body, frame: &Frame, pushed: bool, edits: &[Edit]) {
    let mut binds = body.binds.iter().peekable();
    for (i, &inst) in body.insts.iter().enumerate() {
        while let Some(&(_, label)) = binds.next_if(|(at, _)| *at == i) {
            asm.bind(label);
        }
        match (edits[i], inst) {
            (Edit::TailCall, Inst::Call(target)) => {
                leave(asm, frame, pushed);
                asm.emit(Inst::JmpIndirect(target));
            }
            (Edit::AfterTailCall | Edit::Omit, _) => {}
            _ => asm.emit(inst),
        }
    }
    for &(_, label) in binds {
        asm.bind(label);
    }
}

fn prologue(asm: &mut Assembler, frame: &Frame) {
    reserve_stack(asm, frame.size);
    for (r, at) in frame.saves() {
        asm.emit(Inst::SseStore {
            op: SseStoreOp::Movapd,
            dst: at,
            src: r,
        });
    }
}

/// The smallest page of the systems the code runs on, and the step of [`grow_stack`].
const PAGE: i32 = 4096;

/// `sub rsp, size` (nothing for 0), a page at a time when it is more than a page.
#[inline]
pub(super) fn reserve_stack(asm: &mut Assembler, size: i32) {
    if size > PAGE {
        grow_stack(asm, size);
    } else if size > 0 {
        asm.sub(Gpr::Rsp, size);
    }
}

/// `sub rsp, size` for a frame larger than a page, a page at a time, reading each new page
/// before going further down (as the compilers' stack probes do: `__chkstk` on Windows,
/// `-fstack-clash-protection` elsewhere). A stack ends in a guard page: Windows commits its
/// stack a page at a time as that page is touched, and a thread's stack elsewhere sits above
/// a guard page and then other memory. One `sub rsp` of more than a page could step over the
/// guard, and the frame's first store would then fault on Windows, or write into whatever
/// memory lies below a thread's stack; probed, a frame too large for the stack faults on
/// the guard page, which Rust reports as a stack overflow.
///
/// ```text
///     mov r11,rsp
///     sub r11,PAGES*4096     ; where the probes end
/// top:
///     sub rsp,4096
///     mov r10,[rsp]          ; touch the new page (r10, r11: free in both conventions)
///     cmp rsp,r11
///     jne top
///     sub rsp,REST           ; the part of a page left, below the last page touched
/// ```
#[cold]
#[inline(never)]
fn grow_stack(asm: &mut Assembler, size: i32) {
    let (pages, rest) = (size / PAGE, size % PAGE);
    asm.mov(Gpr::R11, Gpr::Rsp);
    asm.sub(Gpr::R11, pages * PAGE);
    let top = asm.new_label();
    asm.bind(top);
    asm.sub(Gpr::Rsp, PAGE);
    asm.mov(Gpr::R10, Mem::base(Gpr::Rsp));
    asm.cmp(Gpr::Rsp, Gpr::R11);
    asm.jcc_short(Cond::Ne, top);
    if rest > 0 {
        asm.sub(Gpr::Rsp, rest);
    }
}

/// The error for a frame of `size` bytes over `limit`, spanning the expression.
fn frame_too_large(size: usize, limit: usize, dag: &Dag) -> Error {
    Error::new(
        ErrorKind::FrameTooLarge,
        dag.ast.span(dag.root),
        format!(
            "the expression keeps too many values at once: its stack frame would be {size} \
             bytes; the limit is {limit}"
        ),
    )
}

/// (Inlined, as [`emit_body`] is: out of line, 40 instructions more for E1.)
#[inline(always)]
fn epilogue(asm: &mut Assembler, frame: &Frame, pushed: bool) {
    leave(asm, frame, pushed);
    asm.ret();
}

/// The epilogue but its `ret`: the saved registers, `rsp` and `rbx` as at the entry.
/// (Inlined: out of line, its call and its tests cost more than its usual nothing to do.)
#[inline(always)]
fn leave(asm: &mut Assembler, frame: &Frame, pushed: bool) {
    for (r, at) in frame.saves() {
        asm.emit(Inst::Sse {
            op: SseOp::Movapd,
            dst: r,
            src: at.into(),
        });
    }
    if frame.size > 0 {
        asm.add(Gpr::Rsp, frame.size);
    }
    if pushed {
        asm.pop(Gpr::Rbx);
    }
}
