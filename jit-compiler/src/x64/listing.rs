//! The listing: offset, bytes and Intel syntax for every instruction and directive.

use core::fmt::Write;

use super::asm::AsmOutput;
use super::inst::Inst;
use super::mem::Label;

/// A data directive's value.
///
/// ```
/// use jit_compiler::x64::{Assembler, Data, Item};
/// let mut a = Assembler::new().with_listing(true);
/// a.data_f64(0.5);
/// a.data_u128(u128::MAX >> 1);
/// let out = a.finish().unwrap();
/// assert_eq!(out.listing[0].item, Item::Data(Data::F64(0.5)));
/// assert_eq!(out.listing[1].item, Item::Data(Data::U128(u128::MAX >> 1)));
/// assert!(out.listing_text().contains("dq 0xffffffffffffffff, 0x7fffffffffffffff\n"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Data {
    /// `dq` holding a double.
    F64(f64),
    /// `dq` holding an integer.
    U64(u64),
    /// 16 bytes (two `dq`, low half first in memory).
    U128(u128),
}

/// What a listing line shows.
///
/// ```
/// use jit_compiler::x64::{Assembler, Data, Inst, Item};
/// let mut a = Assembler::new().with_listing(true);
/// a.ret();
/// a.align(8);
/// a.data_u64(3);
/// let items: Vec<Item> = a.finish().unwrap().listing.iter().map(|e| e.item).collect();
/// assert_eq!(items, [Item::Inst(Inst::Ret), Item::Align(8), Item::Data(Data::U64(3))]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Item {
    /// An instruction.
    Inst(Inst),
    /// A data directive.
    Data(Data),
    /// `int3` padding up to the given alignment.
    Align(usize),
}

/// One listing line: where, how many bytes, what.
///
/// ```
/// use jit_compiler::x64::{Assembler, Gpr::*, Inst, Item, ListingEntry};
/// let mut a = Assembler::new().with_listing(true);
/// a.nop();
/// a.push(R13);
/// let out = a.finish().unwrap();
/// let push = ListingEntry { offset: 1, len: 2, item: Item::Inst(Inst::Push(R13)) };
/// assert_eq!(out.listing[1], push);
/// assert_eq!(out.code[push.offset..push.offset + push.len], [0x41, 0x55]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ListingEntry {
    /// Offset of the first byte.
    pub offset: usize,
    /// Number of bytes.
    pub len: usize,
    /// The instruction or directive.
    pub item: Item,
}

impl AsmOutput {
    /// The listing as text: a `L<n>:` line where labels are bound, then one line per entry,
    /// `offset  bytes  text`, e.g. `0008  f2 0f 58 05 10 00 00 00  addsd xmm0,[20h]`.
    /// Branch and RIP-relative targets print as offsets. Empty without
    /// [`Assembler::with_listing`](super::Assembler::with_listing).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Cond, Gpr::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// let top = a.new_label();
    /// a.bind(top);
    /// a.dec(Rcx);
    /// a.jcc_short(Cond::Ne, top);
    /// a.ret();
    /// let out = a.finish().unwrap();
    /// assert_eq!(
    ///     out.listing_text(),
    ///     "L0:\n\
    ///      0000  48 ff c9                          dec rcx\n\
    ///      0003  75 fb                             jne short 0\n\
    ///      0005  c3                                ret\n"
    /// );
    /// ```
    pub fn listing_text(&self) -> String {
        let mut labels: Vec<(usize, Label)> = (self.labels.iter().enumerate())
            .filter_map(|(i, o)| o.map(|o| (o, Label(i as u32))))
            .collect();
        labels.sort();
        let mut next_label = labels.iter().peekable();
        let resolve = |l: Label| self.label_offset(l).map(|o| o as u64);
        let mut out = String::new();
        for e in &self.listing {
            while let Some((_, l)) = next_label.next_if(|(o, _)| *o <= e.offset) {
                let _ = writeln!(out, "{l}:");
            }
            let _ = write!(out, "{:04x}  ", e.offset);
            let bytes = &self.code[e.offset..e.offset + e.len];
            for b in bytes {
                let _ = write!(out, "{b:02x} ");
            }
            let pad = 33usize.saturating_sub(3 * bytes.len());
            let _ = write!(out, "{:pad$} ", "");
            let _ = match e.item {
                Item::Inst(i) => write!(out, "{}", i.display_with(&resolve)),
                Item::Data(d) => write_data(&mut out, d),
                Item::Align(n) => write!(out, "align {n}"),
            };
            out.push('\n');
        }
        for (_, l) in next_label {
            let _ = writeln!(out, "{l}:");
        }
        out
    }
}

/// `dq 0x3ff0000000000000 ; 1.0`
fn write_data(out: &mut String, d: Data) -> core::fmt::Result {
    match d {
        Data::F64(v) => write!(out, "dq {:#018x} ; {v:?}", v.to_bits()),
        Data::U64(v) => write!(out, "dq {v:#018x}"),
        Data::U128(v) => write!(out, "dq {:#018x}, {:#018x}", v as u64, (v >> 64) as u64),
    }
}
