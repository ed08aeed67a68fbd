//! Memory operands, labels and the "register or memory" operand types.
//!
//! x86-64 addresses have the shape `[base + index*scale + disp]` or `[rip + disp]`. The size
//! of the memory access is never stored here: it is implied by the instruction (`addsd` reads
//! a qword, `addpd` an xmmword, `vaddpd ymm` a ymmword).

use super::reg::{Gpr, Xmm, Ymm};

/// A position in the code, created by [`Assembler::new_label`](super::Assembler::new_label)
/// and bound with [`Assembler::bind`](super::Assembler::bind). Jumps and RIP-relative
/// operands refer to labels; their displacements are filled in by `finish`.
///
/// ```
/// use jit_compiler::x64::Assembler;
/// let mut a = Assembler::new();
/// let skip = a.new_label();
/// a.jmp_short(skip);
/// a.nop();
/// a.bind(skip);
/// let out = a.finish().unwrap();
/// assert_eq!(out.label_offset(skip), Some(3));
/// assert_eq!(out.code, [0xEB, 0x01, 0x90]); // rel8 = 3 - 2
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub(crate) u32);

impl Label {
    /// The label's number (labels are numbered from 0 in creation order).
    ///
    /// ```
    /// use jit_compiler::x64::Assembler;
    /// let mut a = Assembler::new();
    /// let (first, second) = (a.new_label(), a.new_label());
    /// assert_eq!((first.index(), second.index()), (0, 1));
    /// assert_eq!(second.to_string(), "L1");
    /// ```
    pub const fn index(self) -> u32 {
        self.0
    }
}

impl core::fmt::Display for Label {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "L{}", self.0)
    }
}

/// The scale applied to the index register: 1, 2, 4 or 8 (the SIB byte's two `ss` bits).
///
/// ```
/// use jit_compiler::x64::{Gpr::*, Mem, Scale};
/// assert_eq!(Mem::base_index(Rdi, Rcx, Scale::S4, 0).to_string(), "[rdi+rcx*4]");
/// assert_eq!(Mem::base_index(Rdi, Rcx, Scale::S1, 0).to_string(), "[rdi+rcx]");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scale {
    /// `*1`
    S1 = 0,
    /// `*2`
    S2 = 1,
    /// `*4`
    S4 = 2,
    /// `*8`
    S8 = 3,
}

impl Scale {
    /// The two SIB `ss` bits (log2 of the factor).
    ///
    /// ```
    /// use jit_compiler::x64::Scale;
    /// assert_eq!([Scale::S1, Scale::S2, Scale::S4, Scale::S8].map(Scale::bits), [0, 1, 2, 3]);
    /// ```
    pub const fn bits(self) -> u8 {
        self as u8
    }

    /// The multiplication factor (1, 2, 4 or 8).
    ///
    /// ```
    /// use jit_compiler::x64::Scale;
    /// assert_eq!(Scale::S8.factor(), 1 << Scale::S8.bits());
    /// ```
    pub const fn factor(self) -> u8 {
        1 << self as u8
    }
}

/// An index register and its scale: any general register but `rsp`, which a SIB byte cannot
/// name as an index (index number 4 there means "no index"). Made by [`Index::new`], so an
/// operand with `rsp` as its index cannot be built.
///
/// ```
/// use jit_compiler::x64::{Gpr::*, Index, Scale};
/// assert_eq!(Index::new(Rcx, Scale::S8).map(|i| i.reg()), Some(Rcx));
/// assert_eq!(Index::new(Rsp, Scale::S8), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Index {
    reg: Gpr,
    scale: Scale,
}

impl Index {
    /// `reg*scale`, or `None` for `rsp`.
    ///
    /// ```
    /// use jit_compiler::x64::{Gpr::*, Index, Scale};
    /// assert!(Index::new(R12, Scale::S2).is_some());
    /// assert!(Index::new(Rsp, Scale::S2).is_none());
    /// ```
    pub const fn new(reg: Gpr, scale: Scale) -> Option<Index> {
        match reg {
            Gpr::Rsp => None,
            _ => Some(Index { reg, scale }),
        }
    }

    /// The index register.
    ///
    /// ```
    /// use jit_compiler::x64::{Gpr::*, Index, Scale};
    /// assert_eq!(Index::new(R9, Scale::S8).unwrap().reg(), R9);
    /// ```
    pub const fn reg(self) -> Gpr {
        self.reg
    }

    /// Its scale.
    ///
    /// ```
    /// use jit_compiler::x64::{Gpr::*, Index, Scale};
    /// assert_eq!(Index::new(R9, Scale::S8).unwrap().scale(), Scale::S8);
    /// ```
    pub const fn scale(self) -> Scale {
        self.scale
    }
}

/// What an address is relative to.
///
/// ```
/// use jit_compiler::x64::{Assembler, Base, Gpr::*, Mem};
/// assert_eq!(Mem::base_disp(Rdi, 8).base, Base::Reg { base: Rdi, index: None });
/// let mut a = Assembler::new();
/// let l = a.new_label();
/// assert_eq!(Mem::rip(l).base, Base::Rip(l));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Base {
    /// A register, optionally plus a scaled index register.
    Reg {
        /// The base register.
        base: Gpr,
        /// The index register and its scale, if any.
        index: Option<Index>,
    },
    /// The instruction pointer, pointing at a label (resolved by `finish`).
    Rip(Label),
}

/// A memory operand: `[base + index*scale + disp]` or `[rip + label + disp]`.
///
/// ```
/// use jit_compiler::x64::{Gpr::*, Mem, Scale};
/// let m = Mem::base_index(Rdi, Rcx, Scale::S8, -16);
/// assert_eq!(m.to_string(), "[rdi+rcx*8-10h]");
/// assert_eq!(Mem::base_disp(Rsp, 8).to_string(), "[rsp+8]");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mem {
    /// Base (and index) or RIP.
    pub base: Base,
    /// Displacement added to the address (for RIP: added to the label's address).
    pub disp: i32,
}

impl Mem {
    /// `[base]`
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.mov(Rax, Mem::base(Rdi)); // ModRM 00 000 111
    /// a.mov(Rax, Mem::base(Rbp)); // [rbp] has no mod-00 form: rbp+disp8 0
    /// a.mov(Rax, Mem::base(R12)); // neither has [r12] (rm 100 means a SIB byte follows)
    /// let out = a.finish().unwrap();
    /// assert_eq!(
    ///     out.code,
    ///     [0x48, 0x8B, 0x07, 0x48, 0x8B, 0x45, 0x00, 0x49, 0x8B, 0x04, 0x24]
    /// );
    /// assert!(out.listing_text().ends_with("mov rax,[r12]\n"));
    /// ```
    pub const fn base(base: Gpr) -> Mem {
        Mem::base_disp(base, 0)
    }

    /// `[base + disp]`
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.mov(Rax, Mem::base_disp(Rdi, -8)); // disp8 (mod 01)
    /// a.mov(Rax, Mem::base_disp(Rdi, 128)); // disp32 (mod 10): 128 does not fit in an i8
    /// let out = a.finish().unwrap();
    /// assert_eq!(
    ///     out.code,
    ///     [0x48, 0x8B, 0x47, 0xF8, 0x48, 0x8B, 0x87, 0x80, 0x00, 0x00, 0x00]
    /// );
    /// let text = out.listing_text();
    /// assert!(text.contains("mov rax,[rdi-8]\n"));
    /// assert!(text.ends_with("mov rax,[rdi+80h]\n"));
    /// ```
    pub const fn base_disp(base: Gpr, disp: i32) -> Mem {
        Mem {
            base: Base::Reg { base, index: None },
            disp,
        }
    }

    /// `[base + index*scale + disp]`
    ///
    /// # Panics
    /// If `index` is `rsp`: index number 4 in a SIB byte means "no index".
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, Scale, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// a.movsd(Xmm0, Mem::base_index(Rdi, Rcx, Scale::S8, 0)); // x[i]: SIB 11 001 111
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xF2, 0x0F, 0x10, 0x04, 0xCF]);
    /// assert!(out.listing_text().ends_with("movsd xmm0,[rdi+rcx*8]\n"));
    /// assert!(std::panic::catch_unwind(|| Mem::base_index(Rdi, Rsp, Scale::S1, 0)).is_err());
    /// ```
    pub const fn base_index(base: Gpr, index: Gpr, scale: Scale, disp: i32) -> Mem {
        let Some(index) = Index::new(index, scale) else {
            panic!("rsp cannot be an index register");
        };
        Mem {
            base: Base::Reg {
                base,
                index: Some(index),
            },
            disp,
        }
    }

    /// `[rip + label]`: the address of a label, e.g. a constant in the data after the code.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Mem, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// let one = a.new_label();
    /// a.movsd(Xmm0, Mem::rip(one)); // ModRM 00 000 101: disp32 from the end of the instruction
    /// a.ret();
    /// a.bind(one);
    /// a.data_f64(1.0);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code[..9], [0xF2, 0x0F, 0x10, 0x05, 0x01, 0x00, 0x00, 0x00, 0xC3]);
    /// assert!(out.listing_text().contains("movsd xmm0,[9]\n"));
    /// ```
    pub const fn rip(label: Label) -> Mem {
        Mem::rip_disp(label, 0)
    }

    /// `[rip + label + disp]`
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Mem, Xmm::*};
    /// let mut a = Assembler::new().with_listing(true);
    /// let pair = a.new_label();
    /// a.movsd(Xmm1, Mem::rip_disp(pair, 8)); // the second qword of the 16 bytes at `pair`
    /// a.ret();
    /// a.align(16);
    /// a.bind(pair);
    /// a.data_u128(2 << 64 | 1);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code[..8], [0xF2, 0x0F, 0x10, 0x0D, 0x10, 0x00, 0x00, 0x00]); // 16 + 8 - 8
    /// assert!(out.listing_text().contains("movsd xmm1,[18h]\n"));
    /// ```
    pub const fn rip_disp(label: Label, disp: i32) -> Mem {
        Mem {
            base: Base::Rip(label),
            disp,
        }
    }
}

impl core::fmt::Display for Mem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::intel::write_mem(f, self, &|_| None)
    }
}

/// Defines a "register or memory" operand enum with `From` conversions.
macro_rules! reg_or_mem {
    ($(#[$meta:meta])* $name:ident($reg:ident)) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            /// A register operand.
            $reg($reg),
            /// A memory operand.
            Mem(Mem),
        }

        impl From<$reg> for $name {
            fn from(r: $reg) -> $name {
                $name::$reg(r)
            }
        }

        impl From<Mem> for $name {
            fn from(m: Mem) -> $name {
                $name::Mem(m)
            }
        }
    };
}

reg_or_mem! {
    /// An `xmm/m` operand: an [`Xmm`] register or memory (the ModRM `rm` field).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, Xmm::*, XmmMem};
    /// assert_eq!(XmmMem::from(Xmm2), XmmMem::Xmm(Xmm2));
    /// assert_eq!(XmmMem::from(Mem::base(Rdi)), XmmMem::Mem(Mem::base(Rdi)));
    /// let mut a = Assembler::new();
    /// a.addsd(Xmm0, Xmm2); // ModRM 11 000 010
    /// a.addsd(Xmm0, Mem::base(Rdi)); // ModRM 00 000 111
    /// assert_eq!(a.finish().unwrap().code, [0xF2, 0x0F, 0x58, 0xC2, 0xF2, 0x0F, 0x58, 0x07]);
    /// ```
    XmmMem(Xmm)
}

reg_or_mem! {
    /// A `ymm/m` operand: a [`Ymm`] register or memory.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, Mem, Ymm::*, YmmMem};
    /// assert_eq!(YmmMem::from(Ymm2), YmmMem::Ymm(Ymm2));
    /// let mut a = Assembler::new();
    /// a.vsqrtpd(Ymm0, Ymm2);
    /// a.vsqrtpd(Ymm0, Mem::base(Rdi));
    /// assert_eq!(a.finish().unwrap().code, [0xC5, 0xFD, 0x51, 0xC2, 0xC5, 0xFD, 0x51, 0x07]);
    /// ```
    YmmMem(Ymm)
}

reg_or_mem! {
    /// An `r/m64` operand: a [`Gpr`] or memory.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*, GprMem, Mem};
    /// assert_eq!(GprMem::from(Rdx), GprMem::Gpr(Rdx));
    /// let mut a = Assembler::new();
    /// a.jmp_indirect(Rdx); // FF /4, ModRM 11 100 010
    /// a.jmp_indirect(Mem::base_disp(Rdx, 8)); // ModRM 01 100 010
    /// assert_eq!(a.finish().unwrap().code, [0xFF, 0xE2, 0xFF, 0x62, 0x08]);
    /// ```
    GprMem(Gpr)
}
