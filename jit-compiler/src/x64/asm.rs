//! The [`Assembler`]: one method per mnemonic, labels, data directives, recording (to
//! interleave independent instruction sequences) and `finish`.

use super::encode::{FixupKind, encode};
use super::inst::{
    AluOp, AvxOp, AvxScalarOp, AvxStoreOp, AvxUnaryOp, Cond, GprFromXmmOp, Inst, ShiftOp, SseImmOp,
    SseOp, SseStoreOp, UnaryOp, XmmFromGprOp,
};
use super::listing::{Data, Item, ListingEntry};
use super::mem::{GprMem, Label, Mem, XmmMem, YmmMem};
use super::reg::{Gpr, Xmm, Ymm};

/// Why [`Assembler::finish`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsmError {
    /// A label was referenced but never bound.
    UnboundLabel(Label),
    /// A label was bound twice.
    LabelBoundTwice(Label),
    /// A short (rel8) jump's target is more than 127/128 bytes away.
    Rel8OutOfRange {
        /// Target label.
        label: Label,
        /// The needed displacement.
        distance: i64,
    },
    /// A rel32 displacement does not fit (code larger than 2 GiB).
    Rel32OutOfRange(Label),
    /// A label was bound, or padding or data placed, inside [`Assembler::record`]: its
    /// position would not be where the recorded instructions end up.
    PlacedWhileRecording,
}

impl core::fmt::Display for AsmError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AsmError::UnboundLabel(l) => write!(f, "label {l} is used but never bound"),
            AsmError::LabelBoundTwice(l) => write!(f, "label {l} is bound twice"),
            AsmError::Rel8OutOfRange { label, distance } => {
                write!(
                    f,
                    "short jump to {label} spans {distance} bytes (rel8: -128..=127)"
                )
            }
            AsmError::Rel32OutOfRange(l) => write!(f, "displacement to {l} exceeds 32 bits"),
            AsmError::PlacedWhileRecording => {
                write!(
                    f,
                    "a label, padding or data placed while recording instructions"
                )
            }
        }
    }
}

impl std::error::Error for AsmError {}

/// A label reference to patch at `finish`.
#[derive(Clone, Copy, Debug)]
struct Patch {
    /// Position of the field in the code.
    at: usize,
    /// End of the instruction (displacements are relative to it).
    end: usize,
    kind: FixupKind,
    label: Label,
    addend: i32,
}

/// The vectors of an [`Assembler`], kept between compilations (see `crate::workspace`).
#[derive(Default)]
pub(crate) struct AsmBuffers {
    code: Vec<u8>,
    labels: Vec<Option<usize>>,
    patches: Vec<Patch>,
}

/// The finished machine code, its listing and the label addresses.
#[derive(Clone, Debug)]
pub struct AsmOutput {
    /// The machine code (and data).
    pub code: Vec<u8>,
    /// One entry per instruction/directive; empty unless the listing was enabled.
    pub listing: Vec<ListingEntry>,
    /// Offset of each label, by label index.
    pub(crate) labels: Vec<Option<usize>>,
}

impl AsmOutput {
    /// The offset a label was bound to.
    pub fn label_offset(&self, label: Label) -> Option<usize> {
        self.labels.get(label.0 as usize).copied().flatten()
    }
}

/// A typed x86-64 assembler. Intel operand order: destination first.
///
/// ```
/// use jit_compiler::x64::{Assembler, Cond, Gpr::*, Mem, Xmm::*};
/// let mut a = Assembler::new().with_listing(true);
/// let one = a.new_label();
/// let done = a.new_label();
/// a.ucomisd(Xmm0, Xmm1);
/// a.jcc(Cond::A, done);
/// a.addsd(Xmm0, Mem::rip(one)); // x + 1.0
/// a.bind(done);
/// a.ret();
/// a.align(8);
/// a.bind(one);
/// a.data_f64(1.0);
/// let out = a.finish().unwrap();
/// assert_eq!(out.label_offset(one), Some(24));
/// assert!(out.listing_text().contains("addsd xmm0,[18h]"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Assembler {
    code: Vec<u8>,
    labels: Vec<Option<usize>>,
    patches: Vec<Patch>,
    listing: Option<Vec<ListingEntry>>,
    error: Option<AsmError>,
    /// Inside [`Assembler::record`] (labels, padding and data cannot be placed).
    recording: bool,
}

/// Operand pairs accepted by the SSE moves `movsd`, `movapd`, `movupd`:
/// `(Xmm, Xmm)`, `(Xmm, Mem)` (load) and `(Mem, Xmm)` (store).
pub trait SseMove {
    /// The instruction for the given load and store opcodes.
    fn inst(self, load: SseOp, store: SseStoreOp) -> Inst;
}

impl SseMove for (Xmm, Xmm) {
    fn inst(self, op: SseOp, _: SseStoreOp) -> Inst {
        Inst::Sse {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl SseMove for (Xmm, Mem) {
    fn inst(self, op: SseOp, _: SseStoreOp) -> Inst {
        Inst::Sse {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl SseMove for (Mem, Xmm) {
    fn inst(self, _: SseOp, op: SseStoreOp) -> Inst {
        Inst::SseStore {
            op,
            dst: self.0,
            src: self.1,
        }
    }
}

/// Operand pairs accepted by `movq`: the [`SseMove`] pairs plus `(Xmm, Gpr)` and `(Gpr, Xmm)`.
pub trait Movq {
    /// The instruction.
    fn inst(self) -> Inst;
}

impl<T: SseMove> Movq for T {
    fn inst(self) -> Inst {
        SseMove::inst(self, SseOp::Movq, SseStoreOp::Movq)
    }
}

impl Movq for (Xmm, Gpr) {
    fn inst(self) -> Inst {
        Inst::XmmFromGpr {
            op: XmmFromGprOp::Movq,
            dst: self.0,
            src: self.1,
        }
    }
}

impl Movq for (Gpr, Xmm) {
    fn inst(self) -> Inst {
        Inst::GprFromXmm {
            op: GprFromXmmOp::Movq,
            dst: self.0,
            src: self.1,
        }
    }
}

/// Operand pairs accepted by the AVX moves `vmovupd`/`vmovapd`:
/// `(Ymm, Ymm)`, `(Ymm, Mem)` and `(Mem, Ymm)`.
pub trait AvxMove {
    /// The instruction for the given load and store opcodes.
    fn inst(self, load: AvxUnaryOp, store: AvxStoreOp) -> Inst;
}

impl AvxMove for (Ymm, Ymm) {
    fn inst(self, op: AvxUnaryOp, _: AvxStoreOp) -> Inst {
        Inst::AvxUnary {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl AvxMove for (Ymm, Mem) {
    fn inst(self, op: AvxUnaryOp, _: AvxStoreOp) -> Inst {
        Inst::AvxUnary {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl AvxMove for (Mem, Ymm) {
    fn inst(self, _: AvxUnaryOp, op: AvxStoreOp) -> Inst {
        Inst::AvxStore {
            op,
            dst: self.0,
            src: self.1,
        }
    }
}

/// Operand pairs accepted by `mov`: `(Gpr, Gpr)`, `(Gpr, Mem)`, `(Mem, Gpr)` and
/// `(Gpr, integer)` for `i32`, `u32`, `i64`, `u64` (signed values are sign-extended to 64
/// bits; the encoding is the shortest [`MovImmForm`](super::MovImmForm)).
pub trait MovForm {
    /// The instruction.
    fn inst(self) -> Inst;
}

impl MovForm for (Gpr, Gpr) {
    fn inst(self) -> Inst {
        Inst::Mov {
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl MovForm for (Gpr, Mem) {
    fn inst(self) -> Inst {
        Inst::Mov {
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl MovForm for (Mem, Gpr) {
    fn inst(self) -> Inst {
        Inst::MovStore {
            dst: self.0,
            src: self.1,
        }
    }
}

/// Implements `MovForm` for `(Gpr, integer)`.
macro_rules! mov_imm {
    ($($t:ty => $conv:expr),*) => {$(
        impl MovForm for (Gpr, $t) {
            fn inst(self) -> Inst {
                let conv: fn($t) -> u64 = $conv;
                Inst::MovImm { dst: self.0, imm: conv(self.1) }
            }
        }
    )*};
}

mov_imm!(u64 => |v| v, u32 => u64::from, i64 => |v| v as u64, i32 => |v| i64::from(v) as u64);

/// Operand pairs accepted by `add`, `sub`, `and`, `or`, `xor`, `cmp`:
/// `(Gpr, Gpr)`, `(Gpr, Mem)` and `(Gpr, i32)`.
pub trait AluForm {
    /// The instruction for `op`.
    fn inst(self, op: AluOp) -> Inst;
}

impl AluForm for (Gpr, Gpr) {
    fn inst(self, op: AluOp) -> Inst {
        Inst::Alu {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl AluForm for (Gpr, Mem) {
    fn inst(self, op: AluOp) -> Inst {
        Inst::Alu {
            op,
            dst: self.0,
            src: self.1.into(),
        }
    }
}

impl AluForm for (Gpr, i32) {
    fn inst(self, op: AluOp) -> Inst {
        Inst::AluImm {
            op,
            dst: self.0,
            imm: self.1,
        }
    }
}

/// Call targets: a [`Gpr`], a [`Mem`] holding the address, or a [`Label`] (rel32).
pub trait CallTarget {
    /// The instruction.
    fn inst(self) -> Inst;
}

impl CallTarget for Gpr {
    fn inst(self) -> Inst {
        Inst::Call(GprMem::Gpr(self))
    }
}

impl CallTarget for Mem {
    fn inst(self) -> Inst {
        Inst::Call(GprMem::Mem(self))
    }
}

impl CallTarget for Label {
    fn inst(self) -> Inst {
        Inst::CallLabel(self)
    }
}

/// Defines `fn name(&mut self, dst: Xmm, src: impl Into<XmmMem>)` methods.
macro_rules! sse_methods {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " xmm, xmm/m` (see [`SseOp::", stringify!($op), "`]).")]
        pub fn $name(&mut self, dst: Xmm, src: impl Into<XmmMem>) {
            self.emit(Inst::Sse { op: SseOp::$op, dst, src: src.into() });
        }
    )*};
}

/// Operand triples accepted by the three-operand AVX instructions: `(Ymm, Ymm, S)` with `S`
/// one of `Ymm`, `Mem`, `YmmMem` (VEX.256), or `(Xmm, Xmm, S)` with `S` one of `Xmm`, `Mem`,
/// `XmmMem` (VEX.128).
pub trait AvxForm {
    /// The instruction for `op`.
    fn inst(self, op: AvxOp) -> Inst;
}

/// Implements `AvxForm` for one vector width.
macro_rules! avx_form {
    ($reg:ty, $rm:ty, $variant:ident) => {
        impl<S: Into<$rm>> AvxForm for ($reg, $reg, S) {
            fn inst(self, op: AvxOp) -> Inst {
                Inst::$variant {
                    op,
                    dst: self.0,
                    src1: self.1,
                    src2: self.2.into(),
                }
            }
        }
    };
}

avx_form!(Ymm, YmmMem, Avx);
avx_form!(Xmm, XmmMem, Avx128);

/// Defines the three-operand AVX scalar-double methods.
macro_rules! avx_scalar_methods {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " xmm, xmm, xmm/m64` (AVX): `dst = src1 op src2` in the low double, without overwriting a source.")]
        pub fn $name(&mut self, dst: Xmm, src1: Xmm, src2: impl Into<XmmMem>) {
            self.emit(Inst::AvxScalar {
                op: AvxScalarOp::$op,
                dst,
                src1,
                src2: src2.into(),
            });
        }
    )*};
}

/// Defines the three-operand AVX methods.
macro_rules! avx_methods {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " ymm, ymm, ymm/m` (VEX.256) or `", stringify!($name), " xmm, xmm, xmm/m` (VEX.128).")]
        pub fn $name<D, S1, S2>(&mut self, dst: D, src1: S1, src2: S2)
        where
            (D, S1, S2): AvxForm,
        {
            self.emit((dst, src1, src2).inst(AvxOp::$op));
        }
    )*};
}

/// Defines the integer ALU methods.
macro_rules! alu_methods {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " r64, r64/m64/imm32` (imm8 form when the value fits).")]
        pub fn $name<D, S>(&mut self, dst: D, src: S)
        where
            (D, S): AluForm,
        {
            self.emit((dst, src).inst(AluOp::$op));
        }
    )*};
}

/// Defines `fn name(&mut self, r: Gpr)` methods for [`UnaryOp`] and shifts.
macro_rules! unary_methods {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), " r64`.")]
        pub fn $name(&mut self, dst: Gpr) {
            self.emit(Inst::Unary { op: UnaryOp::$op, dst });
        }
    )*};
}

impl Assembler {
    /// An empty assembler without listing.
    pub fn new() -> Assembler {
        Assembler::default()
    }

    /// An assembler with room for `bytes` bytes of code before it reallocates.
    pub fn with_capacity(bytes: usize) -> Assembler {
        Assembler {
            code: Vec::with_capacity(bytes),
            ..Assembler::default()
        }
    }

    /// Turns the listing on or off. When on, every instruction is recorded (as an [`Inst`]
    /// value with its offset and length); when off, emitting allocates nothing per
    /// instruction beyond the code bytes.
    pub fn with_listing(mut self, on: bool) -> Assembler {
        self.listing = on.then(Vec::new);
        self
    }

    /// The current code size, i.e. the offset of the next instruction.
    pub fn offset(&self) -> usize {
        self.code.len()
    }

    /// A new, unbound label.
    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() as u32 - 1)
    }

    /// Binds `label` to the current offset. Binding twice is reported by `finish`.
    pub fn bind(&mut self, label: Label) {
        if self.recording {
            return self.fail(AsmError::PlacedWhileRecording);
        }
        match self.labels.get_mut(label.0 as usize) {
            Some(slot @ None) => *slot = Some(self.code.len()),
            _ => self.fail(AsmError::LabelBoundTwice(label)),
        }
    }

    /// Records the first error; `finish` returns it.
    fn fail(&mut self, e: AsmError) {
        self.error.get_or_insert(e);
    }

    /// Appends one instruction (all mnemonic methods go through here).
    pub fn emit(&mut self, inst: Inst) {
        let enc = encode(&inst);
        let start = self.code.len();
        enc.write(&mut self.code);
        let end = self.code.len();
        if let Some(f) = enc.fixup() {
            let (at, kind, label, addend) = (start + f.offset, f.kind, f.label, f.addend);
            self.patches.push(Patch {
                at,
                end,
                kind,
                label,
                addend,
            });
        }
        self.list(start, Item::Inst(inst));
    }

    /// Adds a listing entry for the bytes from `start` to the current offset.
    fn list(&mut self, start: usize, item: Item) {
        let len = self.code.len() - start;
        if let Some(listing) = &mut self.listing {
            listing.push(ListingEntry {
                offset: start,
                len,
                item,
            });
        }
    }

    /// Runs `f` with the instructions it emits set aside instead of appended, and returns
    /// them in order, to be emitted later: several independent sequences recorded this way
    /// can be interleaved with [`Assembler::emit_interleaved`]. Labels are made as usual (a
    /// recorded instruction may refer to one); binding one, padding or adding data inside
    /// `f` is an error that `finish` reports, since the recorded instructions are not in
    /// place yet (and [`offset`](Self::offset) inside `f` counts from the start of the
    /// recording). Recordings nest.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// let (_, first) = a.record(|a| {
    ///     a.mulsd(Xmm0, Xmm0);
    ///     a.addsd(Xmm0, Xmm2);
    /// });
    /// let (_, second) = a.record(|a| a.mulsd(Xmm1, Xmm1));
    /// assert_eq!(a.offset(), 0); // nothing appended yet
    /// a.emit_interleaved(&[first, second]);
    /// let text = a.finish().unwrap().listing_text();
    /// let order: Vec<&str> = text.lines().map(|l| l.split("  ").last().unwrap().trim()).collect();
    /// assert_eq!(order, ["mulsd xmm0,xmm0", "mulsd xmm1,xmm1", "addsd xmm0,xmm2"]);
    /// ```
    pub fn record<R>(&mut self, f: impl FnOnce(&mut Assembler) -> R) -> (R, Vec<Inst>) {
        // `f` assembles into a scratch code buffer with the listing on; its bytes and label
        // references are dropped and the listed instructions kept. (`emit` itself knows
        // nothing of this: the common path stays as short as it was.)
        let code = std::mem::take(&mut self.code);
        let patches = self.patches.len();
        let listing = self.listing.replace(Vec::new());
        let outer = std::mem::replace(&mut self.recording, true);
        let r = f(self);
        self.recording = outer;
        let listed = std::mem::replace(&mut self.listing, listing).unwrap_or_default();
        self.patches.truncate(patches);
        self.code = code;
        let recorded = listed.into_iter().filter_map(|entry| match entry.item {
            Item::Inst(inst) => Some(inst),
            Item::Data(_) | Item::Align(_) => None,
        });
        (r, recorded.collect())
    }

    /// Emits instruction sequences one instruction from each in turn (the first of each,
    /// then the second of each, ...), until all are used up. For independent sequences on
    /// disjoint registers, such as copies of a loop body for different elements, this puts
    /// independent work next to each other, which the CPU can overlap.
    pub fn emit_interleaved(&mut self, sequences: &[Vec<Inst>]) {
        let longest = sequences.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for inst in sequences.iter().filter_map(|s| s.get(i)) {
                self.emit(*inst);
            }
        }
    }

    /// Pads with `int3` (`0xCC`) bytes up to a multiple of `n` (a power of two). `int3`
    /// rather than `nop` because padding is only used between code and data, where falling
    /// into it is a bug that should trap.
    ///
    /// # Panics
    /// If `n` is not a power of two.
    pub fn align(&mut self, n: usize) {
        assert!(n.is_power_of_two(), "alignment must be a power of two");
        if self.recording {
            return self.fail(AsmError::PlacedWhileRecording);
        }
        let start = self.code.len();
        let pad = start.next_multiple_of(n) - start;
        self.code.resize(start + pad, 0xCC);
        if pad > 0 {
            self.list(start, Item::Align(n));
        }
    }

    /// Appends an `f64` constant (8 bytes, little-endian).
    pub fn data_f64(&mut self, v: f64) {
        self.data(Data::F64(v), &v.to_le_bytes());
    }

    /// Appends a `u64` constant.
    pub fn data_u64(&mut self, v: u64) {
        self.data(Data::U64(v), &v.to_le_bytes());
    }

    /// Appends a `u128` constant (e.g. a 16-byte sign mask for `andpd`/`xorpd`).
    pub fn data_u128(&mut self, v: u128) {
        self.data(Data::U128(v), &v.to_le_bytes());
    }

    /// Appends data bytes.
    fn data(&mut self, d: Data, bytes: &[u8]) {
        if self.recording {
            return self.fail(AsmError::PlacedWhileRecording);
        }
        let start = self.code.len();
        self.code.extend_from_slice(bytes);
        self.list(start, Item::Data(d));
    }

    /// Resolves all label references.
    ///
    /// # Errors
    /// A label referenced but unbound, bound twice, or a short jump out of range.
    pub fn finish(mut self) -> Result<AsmOutput, AsmError> {
        self.resolve()?;
        let listing = self.listing.unwrap_or_default();
        Ok(AsmOutput {
            code: self.code,
            listing,
            labels: self.labels,
        })
    }

    /// An assembler that writes into the memory of an earlier one, with room for `bytes`.
    pub(crate) fn reusing(buffers: AsmBuffers, bytes: usize) -> Assembler {
        let AsmBuffers {
            mut code,
            mut labels,
            mut patches,
        } = buffers;
        code.clear();
        code.reserve(bytes);
        labels.clear();
        patches.clear();
        Assembler {
            code,
            labels,
            patches,
            listing: None,
            error: None,
            recording: false,
        }
    }

    /// [`Assembler::finish`] that copies the code out (into a vector of exactly its size) and
    /// gives back the buffers for the next [`Assembler::reusing`]. The output's label table
    /// is only filled when there is a listing (it serves to print it); ask
    /// [`Assembler::label_offset`] before finishing otherwise.
    pub(crate) fn finish_reusing(mut self) -> (Result<AsmOutput, AsmError>, AsmBuffers) {
        let out = self.resolve().map(|()| {
            let listing = self.listing.take().unwrap_or_default();
            AsmOutput {
                code: self.code.clone(),
                labels: if listing.is_empty() {
                    Vec::new()
                } else {
                    self.labels.clone()
                },
                listing,
            }
        });
        let buffers = AsmBuffers {
            code: self.code,
            labels: self.labels,
            patches: self.patches,
        };
        (out, buffers)
    }

    /// The offset `label` is bound to, if it is bound yet.
    pub fn label_offset(&self, label: Label) -> Option<usize> {
        self.labels.get(label.0 as usize).copied().flatten()
    }

    /// Patches every label reference into the code.
    fn resolve(&mut self) -> Result<(), AsmError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for p in &self.patches {
            let target = self.label_offset(p.label);
            let target = target.ok_or(AsmError::UnboundLabel(p.label))?;
            let distance = target as i64 + i64::from(p.addend) - p.end as i64;
            match p.kind {
                FixupKind::Rel8 => {
                    let d = i8::try_from(distance).map_err(|_| AsmError::Rel8OutOfRange {
                        label: p.label,
                        distance,
                    })?;
                    self.code[p.at] = d as u8;
                }
                FixupKind::Rel32 => {
                    let d =
                        i32::try_from(distance).map_err(|_| AsmError::Rel32OutOfRange(p.label))?;
                    self.code[p.at..p.at + 4].copy_from_slice(&d.to_le_bytes());
                }
            }
        }
        Ok(())
    }

    // ---- SSE2 ----

    /// `movsd xmm, xmm/m64` or `movsd m64, xmm`.
    pub fn movsd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): SseMove,
    {
        self.emit(SseMove::inst((dst, src), SseOp::Movsd, SseStoreOp::Movsd));
    }

    /// `movapd xmm, xmm/m128` or `movapd m128, xmm` (memory must be 16-byte aligned).
    pub fn movapd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): SseMove,
    {
        self.emit(SseMove::inst((dst, src), SseOp::Movapd, SseStoreOp::Movapd));
    }

    /// `movupd xmm, xmm/m128` or `movupd m128, xmm` (unaligned).
    pub fn movupd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): SseMove,
    {
        self.emit(SseMove::inst((dst, src), SseOp::Movupd, SseStoreOp::Movupd));
    }

    /// `movq xmm, r64`, `movq r64, xmm`, `movq xmm, xmm/m64` or `movq m64, xmm`.
    pub fn movq<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): Movq,
    {
        self.emit((dst, src).inst());
    }

    sse_methods! {
        addsd => Addsd, subsd => Subsd, mulsd => Mulsd, divsd => Divsd, sqrtsd => Sqrtsd,
        minsd => Minsd, maxsd => Maxsd,
        addpd => Addpd, subpd => Subpd, mulpd => Mulpd, divpd => Divpd, sqrtpd => Sqrtpd,
        minpd => Minpd, maxpd => Maxpd,
        andpd => Andpd, andnpd => Andnpd, orpd => Orpd, xorpd => Xorpd,
        ucomisd => Ucomisd, unpcklpd => Unpcklpd, unpckhpd => Unpckhpd,
    }

    /// `cmpsd xmm, xmm/m64, imm8`: predicate 0–7 (`eq lt le unord neq nlt nle ord`).
    pub fn cmpsd(&mut self, dst: Xmm, src: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Cmpsd,
            dst,
            src: src.into(),
            imm: pred,
        });
    }

    /// `cmppd xmm, xmm/m128, imm8`.
    pub fn cmppd(&mut self, dst: Xmm, src: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Cmppd,
            dst,
            src: src.into(),
            imm: pred,
        });
    }

    /// `shufpd xmm, xmm/m128, imm8`.
    pub fn shufpd(&mut self, dst: Xmm, src: impl Into<XmmMem>, imm: u8) {
        self.emit(Inst::SseImm {
            op: SseImmOp::Shufpd,
            dst,
            src: src.into(),
            imm,
        });
    }

    /// `cvtsi2sd xmm, r64`: signed integer to double.
    pub fn cvtsi2sd(&mut self, dst: Xmm, src: Gpr) {
        self.emit(Inst::XmmFromGpr {
            op: XmmFromGprOp::Cvtsi2sd,
            dst,
            src,
        });
    }

    /// `cvttsd2si r64, xmm`: double to signed integer, truncating.
    pub fn cvttsd2si(&mut self, dst: Gpr, src: Xmm) {
        self.emit(Inst::GprFromXmm {
            op: GprFromXmmOp::Cvttsd2si,
            dst,
            src,
        });
    }

    /// `movmskpd r32, xmm`: the two sign bits into bits 0–1 (prints `eax`).
    pub fn movmskpd(&mut self, dst: Gpr, src: Xmm) {
        self.emit(Inst::GprFromXmm {
            op: GprFromXmmOp::Movmskpd,
            dst,
            src,
        });
    }

    // ---- AVX ----

    avx_methods! {
        vaddpd => Vaddpd, vsubpd => Vsubpd, vmulpd => Vmulpd, vdivpd => Vdivpd,
        vminpd => Vminpd, vmaxpd => Vmaxpd,
        vxorpd => Vxorpd, vandpd => Vandpd, vandnpd => Vandnpd, vorpd => Vorpd,
    }

    avx_scalar_methods! {
        vaddsd => Vaddsd, vsubsd => Vsubsd, vmulsd => Vmulsd, vdivsd => Vdivsd,
        vminsd => Vminsd, vmaxsd => Vmaxsd,
    }

    /// `vmovupd ymm, ymm/m256` or `vmovupd m256, ymm`.
    pub fn vmovupd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): AvxMove,
    {
        self.emit((dst, src).inst(AvxUnaryOp::Vmovupd, AvxStoreOp::Vmovupd));
    }

    /// `vmovapd ymm, ymm/m256` or `vmovapd m256, ymm` (memory 32-byte aligned).
    pub fn vmovapd<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): AvxMove,
    {
        self.emit((dst, src).inst(AvxUnaryOp::Vmovapd, AvxStoreOp::Vmovapd));
    }

    /// `vsqrtpd ymm, ymm/m256`.
    pub fn vsqrtpd(&mut self, dst: Ymm, src: impl Into<YmmMem>) {
        self.emit(Inst::AvxUnary {
            op: AvxUnaryOp::Vsqrtpd,
            dst,
            src: src.into(),
        });
    }

    /// `vcmpsd xmm, xmm, xmm/m64, imm8`: predicate 0–31, low double only.
    pub fn vcmpsd(&mut self, dst: Xmm, src1: Xmm, src2: impl Into<XmmMem>, pred: u8) {
        self.emit(Inst::Vcmpsd {
            dst,
            src1,
            src2: src2.into(),
            imm: pred,
        });
    }

    /// `vcmppd ymm, ymm, ymm/m256, imm8`: predicate 0–31.
    pub fn vcmppd(&mut self, dst: Ymm, src1: Ymm, src2: impl Into<YmmMem>, pred: u8) {
        self.emit(Inst::Vcmppd {
            dst,
            src1,
            src2: src2.into(),
            imm: pred,
        });
    }

    /// `vblendvpd ymm, ymm, ymm/m256, ymm`: lanes of `src2` where `mask`'s sign bit is set.
    pub fn vblendvpd(&mut self, dst: Ymm, src1: Ymm, src2: impl Into<YmmMem>, mask: Ymm) {
        self.emit(Inst::Vblendvpd {
            dst,
            src1,
            src2: src2.into(),
            mask,
        });
    }

    /// `vbroadcastsd ymm, m64`: the scalar into all four lanes.
    pub fn vbroadcastsd(&mut self, dst: Ymm, src: Mem) {
        self.emit(Inst::Vbroadcastsd {
            dst,
            src: src.into(),
        });
    }

    /// `vzeroupper`.
    pub fn vzeroupper(&mut self) {
        self.emit(Inst::Vzeroupper);
    }

    // ---- Integer ----

    /// `mov r64, r64/m64/imm`, `mov m64, r64`.
    pub fn mov<D, S>(&mut self, dst: D, src: S)
    where
        (D, S): MovForm,
    {
        self.emit((dst, src).inst());
    }

    /// `lea r64, m`.
    pub fn lea(&mut self, dst: Gpr, src: Mem) {
        self.emit(Inst::Lea { dst, src });
    }

    alu_methods! { add => Add, sub => Sub, and => And, or => Or, xor => Xor, cmp => Cmp }

    /// `test r64, r64`.
    pub fn test(&mut self, dst: Gpr, src: Gpr) {
        self.emit(Inst::Test { dst, src });
    }

    unary_methods! { inc => Inc, dec => Dec, neg => Neg, not => Not }

    /// `shl r64, imm8`.
    pub fn shl(&mut self, dst: Gpr, imm: u8) {
        self.emit(Inst::Shift {
            op: ShiftOp::Shl,
            dst,
            imm,
        });
    }

    /// `shr r64, imm8` (logical).
    pub fn shr(&mut self, dst: Gpr, imm: u8) {
        self.emit(Inst::Shift {
            op: ShiftOp::Shr,
            dst,
            imm,
        });
    }

    /// `sar r64, imm8` (arithmetic).
    pub fn sar(&mut self, dst: Gpr, imm: u8) {
        self.emit(Inst::Shift {
            op: ShiftOp::Sar,
            dst,
            imm,
        });
    }

    /// `push r64`.
    pub fn push(&mut self, r: Gpr) {
        self.emit(Inst::Push(r));
    }

    /// `pop r64`.
    pub fn pop(&mut self, r: Gpr) {
        self.emit(Inst::Pop(r));
    }

    /// `call r64`, `call qword ptr [m]` or `call rel32` to a label.
    pub fn call(&mut self, target: impl CallTarget) {
        self.emit(target.inst());
    }

    /// `ret`.
    pub fn ret(&mut self) {
        self.emit(Inst::Ret);
    }

    /// `jmp rel32` (always the 5-byte form, so the size never depends on the distance).
    pub fn jmp(&mut self, target: Label) {
        self.emit(Inst::Jmp(target));
    }

    /// `jmp r64` or `jmp qword ptr [m]`: to an address held in a register or in memory.
    pub fn jmp_indirect(&mut self, target: impl Into<GprMem>) {
        self.emit(Inst::JmpIndirect(target.into()));
    }

    /// `jmp rel8` (2 bytes; `finish` fails if the target is out of range).
    pub fn jmp_short(&mut self, target: Label) {
        self.emit(Inst::JmpShort(target));
    }

    /// `jcc rel32` (6 bytes).
    pub fn jcc(&mut self, cond: Cond, target: Label) {
        self.emit(Inst::Jcc(cond, target));
    }

    /// `jcc rel8` (2 bytes; `finish` fails if the target is out of range).
    pub fn jcc_short(&mut self, cond: Cond, target: Label) {
        self.emit(Inst::JccShort(cond, target));
    }

    /// `setcc r8`: the low byte of `dst` becomes 1 if `cond` holds, else 0.
    pub fn setcc(&mut self, cond: Cond, dst: Gpr) {
        self.emit(Inst::Setcc(cond, dst));
    }

    /// `movzx r32, r8`: zero-extends the low byte of `src` into all of `dst`.
    pub fn movzx(&mut self, dst: Gpr, src: Gpr) {
        self.emit(Inst::Movzx8 { dst, src });
    }

    /// `int3`.
    pub fn int3(&mut self) {
        self.emit(Inst::Int3);
    }

    /// `nop`.
    pub fn nop(&mut self) {
        self.emit(Inst::Nop);
    }
}
