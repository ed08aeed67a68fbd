//! Memory operands, labels and the "register or memory" operand types.
//!
//! x86-64 addresses have the shape `[base + index*scale + disp]` or `[rip + disp]`. The size
//! of the memory access is never stored here: it is implied by the instruction (`addsd` reads
//! a qword, `addpd` an xmmword, `vaddpd ymm` a ymmword).

use super::reg::{Gpr, Xmm, Ymm};

/// A position in the code, created by [`Assembler::new_label`](super::Assembler::new_label)
/// and bound with [`Assembler::bind`](super::Assembler::bind). Jumps and RIP-relative
/// operands refer to labels; their displacements are filled in by `finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub(crate) u32);

impl Label {
    /// The label's number (labels are numbered from 0 in creation order).
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
    pub const fn bits(self) -> u8 {
        self as u8
    }

    /// The multiplication factor (1, 2, 4 or 8).
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
    pub const fn new(reg: Gpr, scale: Scale) -> Option<Index> {
        match reg {
            Gpr::Rsp => None,
            _ => Some(Index { reg, scale }),
        }
    }

    /// The index register.
    pub const fn reg(self) -> Gpr {
        self.reg
    }

    /// Its scale.
    pub const fn scale(self) -> Scale {
        self.scale
    }
}

/// What an address is relative to.
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
    pub const fn base(base: Gpr) -> Mem {
        Mem::base_disp(base, 0)
    }

    /// `[base + disp]`
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
    pub const fn rip(label: Label) -> Mem {
        Mem::rip_disp(label, 0)
    }

    /// `[rip + label + disp]`
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
    XmmMem(Xmm)
}

reg_or_mem! {
    /// A `ymm/m` operand: a [`Ymm`] register or memory.
    YmmMem(Ymm)
}

reg_or_mem! {
    /// An `r/m64` operand: a [`Gpr`] or memory.
    GprMem(Gpr)
}
