//! The [`Assembler`]: the code buffer, labels and their patches, data directives, recording
//! (to interleave independent instruction sequences) and `finish`. Its methods per mnemonic
//! are in [`mnemonics`]; the compact path of [`Assembler::emit`] in `compact`.

use super::encode::{Fixup, FixupKind, write_any};
use super::inst::Inst;
use super::listing::{Data, Item, ListingEntry};
use super::mem::Label;

mod compact;
pub mod mnemonics;
pub use mnemonics::{AluForm, AvxForm, AvxMove, CallTarget, MovForm, Movq, SseMove};

/// Why [`Assembler::finish`] failed.
///
/// ```
/// use jit_compiler::x64::{AsmError, Assembler};
/// let mut a = Assembler::new();
/// let nowhere = a.new_label();
/// a.jmp(nowhere);
/// assert_eq!(a.finish().unwrap_err(), AsmError::UnboundLabel(nowhere));
/// assert_eq!(AsmError::UnboundLabel(nowhere).to_string(), "label L0 is used but never bound");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsmError {
    /// A label was referenced but never bound.
    UnboundLabel(Label),
    /// A label was bound twice.
    LabelBoundTwice(Label),
    /// A label that this assembler did not make (it came from another one).
    ForeignLabel(Label),
    /// A short (rel8) jump's target is more than 127/128 bytes away.
    Rel8OutOfRange {
        /// Target label.
        label: Label,
        /// The needed displacement.
        distance: i64,
    },
    /// A rel32 displacement does not fit (code larger than 2 GiB, or a RIP-relative operand
    /// whose added displacement takes it past ±2 GiB).
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
            AsmError::ForeignLabel(l) => write!(f, "label {l} was made by another assembler"),
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

/// The finished machine code, its listing and the label addresses.
///
/// ```
/// use jit_compiler::x64::{Assembler, Gpr::*};
/// let mut a = Assembler::new().with_listing(true);
/// a.xor(Rax, Rax);
/// a.ret();
/// let out = a.finish().unwrap();
/// assert_eq!(out.code, [0x48, 0x33, 0xC0, 0xC3]);
/// assert_eq!(out.listing.len(), 2);
/// assert_eq!((out.listing[1].offset, out.listing[1].len), (3, 1));
/// ```
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
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new();
    /// let (end, unused) = (a.new_label(), a.new_label());
    /// a.nop();
    /// a.bind(end);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.label_offset(end), Some(1));
    /// assert_eq!(out.label_offset(unused), None);
    /// ```
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

impl Assembler {
    /// An empty assembler without listing.
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let out = Assembler::new().finish().unwrap();
    /// assert!(out.code.is_empty() && out.listing.is_empty());
    /// ```
    pub fn new() -> Assembler {
        Assembler::default()
    }

    /// An assembler with room for `bytes` bytes of code before it reallocates.
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::with_capacity(4096);
    /// a.ret();
    /// assert_eq!(a.finish().unwrap().code, [0xC3]);
    /// ```
    pub fn with_capacity(bytes: usize) -> Assembler {
        Assembler {
            code: Vec::with_capacity(bytes),
            ..Assembler::default()
        }
    }

    /// Turns the listing on or off. When on, every instruction is recorded (as an [`Inst`]
    /// value with its offset and length); when off, emitting allocates nothing per
    /// instruction beyond the code bytes.
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// for on in [false, true] {
    ///     let mut a = Assembler::new().with_listing(on);
    ///     a.nop();
    ///     let out = a.finish().unwrap();
    ///     assert_eq!(out.code, [0x90]); // the same bytes either way
    ///     assert_eq!(out.listing.len(), usize::from(on));
    /// }
    /// ```
    pub fn with_listing(mut self, on: bool) -> Assembler {
        self.listing = on.then(Vec::new);
        self
    }

    /// The current code size, i.e. the offset of the next instruction.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// let mut a = Assembler::new();
    /// a.push(Rbx);
    /// assert_eq!(a.offset(), 1);
    /// a.push(R12);
    /// assert_eq!(a.offset(), 3);
    /// ```
    pub fn offset(&self) -> usize {
        self.code.len()
    }

    /// A new, unbound label.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Cond, Gpr::*};
    /// let mut a = Assembler::new();
    /// let done = a.new_label(); // referenced before it is bound
    /// a.test(Rdi, Rdi);
    /// a.jcc_short(Cond::E, done);
    /// a.dec(Rdi);
    /// a.bind(done);
    /// a.ret();
    /// assert_eq!(
    ///     a.finish().unwrap().code,
    ///     [0x48, 0x85, 0xFF, 0x74, 0x03, 0x48, 0xFF, 0xCF, 0xC3]
    /// );
    /// ```
    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() as u32 - 1)
    }

    /// Binds `label` to the current offset. Binding twice is reported by `finish`.
    ///
    /// ```
    /// use jit_compiler::x64::{AsmError, Assembler};
    /// let mut a = Assembler::new();
    /// let l = a.new_label();
    /// a.nop();
    /// a.bind(l);
    /// assert_eq!(a.label_offset(l), Some(1));
    /// a.bind(l);
    /// assert_eq!(a.finish().unwrap_err(), AsmError::LabelBoundTwice(l));
    /// ```
    pub fn bind(&mut self, label: Label) {
        if self.recording {
            return self.fail(AsmError::PlacedWhileRecording);
        }
        match self.labels.get_mut(label.0 as usize) {
            Some(slot @ None) => *slot = Some(self.code.len()),
            Some(Some(_)) => self.fail(AsmError::LabelBoundTwice(label)),
            None => self.fail(AsmError::ForeignLabel(label)),
        }
    }

    /// Records the first error; `finish` returns it.
    fn fail(&mut self, e: AsmError) {
        self.error.get_or_insert(e);
    }

    /// Appends one instruction (all mnemonic methods go through here). SSE2 and AVX `xmm`
    /// forms with register, `[base+disp8]` or RIP-relative operands, and `ret`, take a
    /// compact path (see `asm/compact.rs`); the bytes are those of
    /// [`encode`](super::encode()) either way.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Inst};
    /// let mut a = Assembler::new();
    /// a.emit(Inst::Push(Rbp));
    /// a.push(Rbp); // the same instruction through its mnemonic method
    /// assert_eq!(a.finish().unwrap().code, [0x55, 0x55]);
    /// ```
    #[inline]
    pub fn emit(&mut self, inst: Inst) {
        self.emit_ref(&inst);
    }

    /// [`Assembler::emit`] of an instruction where it is, such as in a list of them (passed
    /// by value, an instruction is copied to the stack first). (Inlined where it is called:
    /// the call goes, and where a mnemonic method makes a known instruction, its kind is
    /// tested at compile time.)
    #[inline(always)]
    pub(crate) fn emit_ref(&mut self, inst: &Inst) {
        if self.listing.is_none() && self.write_reg(inst) {
            return;
        }
        self.emit_mem(inst);
    }

    /// [`Assembler::emit_ref`] of each instruction of `insts`, in order (a body's: inlined
    /// into its one caller). The listing is tested once for them all, not once per
    /// instruction, and the memory forms are emitted in the loop too, without a call each.
    #[inline(always)]
    pub(crate) fn emit_all(&mut self, insts: &[Inst]) {
        if self.listing.is_some() {
            // (every instruction is then listed, through the general encoder)
            return insts.iter().for_each(|inst| self.emit_any(inst));
        }
        for inst in insts {
            if !self.write_reg(inst) {
                self.emit_mem_here(inst);
            }
        }
    }

    /// Appends `inst` if it is a compact register form and there is room for it, and tells
    /// whether it did; the caller has made sure there is no listing to add to. These forms
    /// write bytes and nothing else (no listing entry, no growing of a vector: the room is
    /// checked first), so they make no call; in [`Assembler::emit_ref`], the rest are out of
    /// line, where their registers are saved.
    #[inline(always)]
    fn write_reg(&mut self, inst: &Inst) -> bool {
        self.has_room() && compact::write_reg(inst, &mut self.code)
    }

    /// True when the compact paths may run: there is no listing to add to, and there is room
    /// for an instruction in the code.
    #[inline(always)]
    fn compact_room(&self) -> bool {
        self.listing.is_none() && self.has_room()
    }

    /// True when there is room in the code for an instruction of the compact paths (they
    /// write up to 16 bytes, then cut the code back to the instruction's length).
    #[inline(always)]
    fn has_room(&self) -> bool {
        self.code.capacity() - self.code.len() >= 16
    }

    /// [`Assembler::emit`] for an instruction that is not a register form: loads and stores
    /// with a `[base+disp8]` or RIP-relative operand take their compact path (kept apart:
    /// their addressing needs more registers), the rest the general encoder.
    #[inline(never)]
    fn emit_mem(&mut self, inst: &Inst) {
        self.emit_mem_here(inst);
    }

    /// [`Assembler::emit_ref`] of each instruction `insts` makes, in order, in one call for
    /// them all. Where they all have one form, such as the loads of an array entry
    /// (`movsd xmm<i>,[rdi+8*i]`), the tests of that form fold away, and the instructions
    /// are emitted without a call each.
    #[inline(never)]
    pub(crate) fn emit_each(&mut self, insts: impl Iterator<Item = Inst>) {
        for inst in insts {
            if !(self.listing.is_none() && self.write_reg(&inst)) {
                self.emit_mem_here(&inst);
            }
        }
    }

    /// The body of [`Assembler::emit_mem`], inlined into the loops of [`Assembler::emit_all`]
    /// and [`Assembler::emit_each`]: no call per instruction (and in `emit_each`, the tests
    /// of a known form fold away).
    #[inline(always)]
    fn emit_mem_here(&mut self, inst: &Inst) {
        if self.compact_room() {
            let start = self.code.len();
            match compact::write_mem(inst, &mut self.code) {
                Some(None) => return,
                // (a full vector grows in a tail call: a call here would need registers saved)
                Some(Some(f)) if self.patches.len() == self.patches.capacity() => {
                    return self.patch_growing(start, f.offset, f.label, f.addend);
                }
                Some(Some(f)) => return self.patch(start, f),
                None => {}
            }
        }
        self.emit_any(inst);
    }

    /// [`Assembler::patch`] for [`Assembler::emit_mem`] when the vector of patches is full:
    /// out of line, with its arguments in registers, it is a tail call there.
    #[cold]
    #[inline(never)]
    fn patch_growing(&mut self, start: usize, offset: usize, label: Label, addend: i32) {
        let kind = FixupKind::Rel32;
        self.patch(
            start,
            Fixup {
                offset,
                kind,
                label,
                addend,
            },
        );
    }

    /// [`Assembler::emit`] through the general encoder.
    #[inline(never)]
    fn emit_any(&mut self, inst: &Inst) {
        let start = self.code.len();
        if let Some(f) = write_any(inst, &mut self.code) {
            self.patch(start, f);
        }
        self.list(start, Item::Inst(*inst));
    }

    /// Records the label reference `f` of the instruction that starts at `start` and ends at
    /// the current offset.
    #[inline(always)]
    fn patch(&mut self, start: usize, f: Fixup) {
        let (at, end) = (start + f.offset, self.code.len());
        let (kind, label, addend) = (f.kind, f.label, f.addend);
        self.patches.push(Patch {
            at,
            end,
            kind,
            label,
            addend,
        });
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
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Inst};
    /// let mut a = Assembler::new();
    /// a.emit_interleaved(&[
    ///     vec![Inst::Push(Rax), Inst::Push(Rcx), Inst::Push(Rdx)],
    ///     vec![Inst::Pop(Rbx)],
    /// ]);
    /// assert_eq!(a.finish().unwrap().code, [0x50, 0x5B, 0x51, 0x52]);
    /// ```
    pub fn emit_interleaved(&mut self, sequences: &[Vec<Inst>]) {
        let longest = sequences.iter().map(Vec::len).max().unwrap_or(0);
        for i in 0..longest {
            for inst in sequences.iter().filter_map(|s| s.get(i)) {
                self.emit(*inst);
            }
        }
    }

    /// Pads with `int3` (`0xCC`) bytes up to a multiple of `n` (a power of two, at most 4096:
    /// a page). `int3` rather than `nop` because padding is only used between code and data,
    /// where falling into it is a bug that should trap.
    ///
    /// # Panics
    /// If `n` is not a power of two of at most 4096 (larger ones would pad by gigabytes).
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new().with_listing(true);
    /// a.ret();
    /// a.align(4);
    /// a.data_u64(7);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code[..4], [0xC3, 0xCC, 0xCC, 0xCC]);
    /// assert!(out.listing_text().contains("align 4\n"));
    /// ```
    #[inline]
    pub fn align(&mut self, n: usize) {
        assert!(
            n.is_power_of_two() && n <= 4096,
            "alignment must be a power of two of at most 4096"
        );
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
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new().with_listing(true);
    /// a.data_f64(1.0);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0, 0, 0, 0, 0, 0, 0xF0, 0x3F]);
    /// assert!(out.listing_text().ends_with("dq 0x3ff0000000000000 ; 1.0\n"));
    /// ```
    pub fn data_f64(&mut self, v: f64) {
        self.data(Data::F64(v), &v.to_le_bytes());
    }

    /// Appends a `u64` constant.
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new().with_listing(true);
    /// a.data_u64(0x0102);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x02, 0x01, 0, 0, 0, 0, 0, 0]);
    /// assert!(out.listing_text().ends_with("dq 0x0000000000000102\n"));
    /// ```
    pub fn data_u64(&mut self, v: u64) {
        self.data(Data::U64(v), &v.to_le_bytes());
    }

    /// Appends a `u128` constant (e.g. a 16-byte sign mask for `andpd`/`xorpd`).
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new();
    /// a.data_u128(1 << 127); // the sign bit of the high lane
    /// let code = a.finish().unwrap().code;
    /// assert_eq!(code.len(), 16);
    /// assert_eq!(code[15], 0x80);
    /// ```
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
    /// The first of: a label bound, padding or data placed inside [`record`](Self::record); a
    /// label bound twice; a label of another assembler; a label referenced but never bound;
    /// a short jump or a 32-bit displacement out of range.
    ///
    /// ```
    /// use jit_compiler::x64::{AsmError, Assembler};
    /// let mut a = Assembler::new();
    /// let far = a.new_label();
    /// a.jmp_short(far);
    /// for _ in 0..200 {
    ///     a.nop();
    /// }
    /// a.bind(far);
    /// assert!(matches!(a.finish(), Err(AsmError::Rel8OutOfRange { distance: 200, .. })));
    /// ```
    pub fn finish(mut self) -> Result<AsmOutput, AsmError> {
        self.resolve()?;
        let listing = self.listing.unwrap_or_default();
        Ok(AsmOutput {
            code: self.code,
            listing,
            labels: self.labels,
        })
    }

    /// Empties the assembler for new code, keeping the memory of its vectors (see
    /// `crate::workspace`), with room for `bytes` of code and the listing on or off.
    pub(crate) fn reset(&mut self, bytes: usize, listing: bool) {
        self.code.clear();
        self.code.reserve(bytes);
        self.labels.clear();
        self.patches.clear();
        self.listing = listing.then(Vec::new);
        self.error = None;
        self.recording = false;
    }

    /// [`Assembler::finish`] that copies the code out (into a vector of exactly its size) and
    /// keeps the vectors for the next [`Assembler::reset`] (finished and reset in place: the
    /// assembler is too big to move cheaply). The output's label table is only filled when
    /// there is a listing (it serves to print it); ask [`Assembler::label_offset`] before
    /// finishing otherwise. (Inlined into its one caller: its output goes straight into the
    /// caller's result.)
    #[inline]
    pub(crate) fn finish_reusing(&mut self) -> Result<AsmOutput, AsmError> {
        self.resolve()?;
        let listing = self.listing.take().unwrap_or_default();
        Ok(AsmOutput {
            code: self.code.clone(),
            labels: if listing.is_empty() {
                Vec::new()
            } else {
                self.labels.clone()
            },
            listing,
        })
    }

    /// [`Assembler::finish_reusing`] without the copy: resolves the labels in place and lends
    /// the code, which stays here until the next [`Assembler::reset`].
    #[inline]
    pub(crate) fn finish_in_place(&mut self) -> Result<&[u8], AsmError> {
        self.resolve()?;
        Ok(&self.code)
    }

    /// The offset `label` is bound to, if it is bound yet.
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new();
    /// let l = a.new_label();
    /// assert_eq!(a.label_offset(l), None);
    /// a.nop();
    /// a.bind(l);
    /// assert_eq!(a.label_offset(l), Some(1));
    /// ```
    pub fn label_offset(&self, label: Label) -> Option<usize> {
        self.labels.get(label.0 as usize).copied().flatten()
    }

    /// Patches every label reference into the code.
    #[inline]
    fn resolve(&mut self) -> Result<(), AsmError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for p in &self.patches {
            let target = match self.labels.get(p.label.0 as usize) {
                Some(&Some(target)) => target,
                Some(None) => return Err(AsmError::UnboundLabel(p.label)),
                None => return Err(AsmError::ForeignLabel(p.label)),
            };
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
}
