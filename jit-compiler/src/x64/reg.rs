//! Registers: the 16 general-purpose registers and the 16 SSE/AVX vector registers.
//!
//! Each enum's discriminant is the register's *hardware number* (0–15). The low three bits go
//! into a ModRM/SIB field or the low bits of an opcode; bit 3 goes into a REX (or VEX) prefix
//! bit, which is why `r8`–`r15` and `xmm8`–`xmm15` usually cost one extra byte.

/// Defines a register enum whose discriminants are hardware numbers, with names.
macro_rules! registers {
    ($(#[$meta:meta])* $name:ident [$ex:ident $exn:literal $extext:literal] { $($v:ident = $n:literal $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name {
            $(#[doc = concat!("`", $text, "` (hardware number ", $n, ")")] $v = $n,)*
        }

        impl $name {
            /// Every register, in hardware-number order.
            ///
            /// ```
            #[doc = concat!("use jit_compiler::x64::", stringify!($name), ";")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::ALL[", $exn, "], ", stringify!($name), "::", stringify!($ex), ");")]
            #[doc = concat!("assert!(", stringify!($name), "::ALL.iter().enumerate().all(|(n, r)| r.num() as usize == n));")]
            /// ```
            pub const ALL: [$name; 16] = [$($name::$v),*];

            /// The hardware number (0–15) used in the encoding.
            ///
            /// ```
            #[doc = concat!("use jit_compiler::x64::", stringify!($name), ";")]
            #[doc = concat!("let r = ", stringify!($name), "::", stringify!($ex), ";")]
            #[doc = concat!("assert_eq!(r.num(), ", $exn, ");")]
            /// assert_eq!(r.num() & 7, 0); // the ModRM/SIB/opcode bits
            /// assert_eq!(r.num() >> 3, 1); // the REX or VEX bit
            /// ```
            pub const fn num(self) -> u8 {
                self as u8
            }

            /// The register with hardware number `n`.
            ///
            /// # Panics
            /// If `n > 15`.
            ///
            /// ```
            #[doc = concat!("use jit_compiler::x64::", stringify!($name), ";")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::from_num(", $exn, "), ", stringify!($name), "::", stringify!($ex), ");")]
            #[doc = concat!("assert!(std::panic::catch_unwind(|| ", stringify!($name), "::from_num(16)).is_err());")]
            /// ```
            pub const fn from_num(n: u8) -> $name {
                assert!(n < 16, "register numbers are 0..=15");
                Self::ALL[n as usize]
            }

            /// The Intel-syntax name, as printed by disassemblers.
            ///
            /// ```
            #[doc = concat!("use jit_compiler::x64::", stringify!($name), ";")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::", stringify!($ex), ".name(), \"", $extext, "\");")]
            #[doc = concat!("assert_eq!(", stringify!($name), "::", stringify!($ex), ".to_string(), \"", $extext, "\");")]
            /// ```
            pub const fn name(self) -> &'static str {
                match self { $($name::$v => $text,)* }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

registers! {
    /// A 64-bit general-purpose register.
    ///
    /// ```
    /// use jit_compiler::x64::Gpr;
    /// assert_eq!(Gpr::R12.num(), 12);
    /// assert_eq!(Gpr::Rsi.to_string(), "rsi");
    /// assert_eq!(Gpr::Rsi.name32(), "esi");
    /// assert_eq!(Gpr::Rsi.name8(), "sil");
    /// ```
    Gpr [R8 8 "r8"] {
        Rax = 0 "rax", Rcx = 1 "rcx", Rdx = 2 "rdx", Rbx = 3 "rbx",
        Rsp = 4 "rsp", Rbp = 5 "rbp", Rsi = 6 "rsi", Rdi = 7 "rdi",
        R8 = 8 "r8", R9 = 9 "r9", R10 = 10 "r10", R11 = 11 "r11",
        R12 = 12 "r12", R13 = 13 "r13", R14 = 14 "r14", R15 = 15 "r15",
    }
}

registers! {
    /// A 128-bit SSE register (also the low half of the matching [`Ymm`]).
    ///
    /// ```
    /// use jit_compiler::x64::{Xmm, Ymm};
    /// assert_eq!(Xmm::from_num(9), Xmm::Xmm9);
    /// assert_eq!(Xmm::Xmm9.ymm(), Ymm::Ymm9);
    /// ```
    Xmm [Xmm8 8 "xmm8"] {
        Xmm0 = 0 "xmm0", Xmm1 = 1 "xmm1", Xmm2 = 2 "xmm2", Xmm3 = 3 "xmm3",
        Xmm4 = 4 "xmm4", Xmm5 = 5 "xmm5", Xmm6 = 6 "xmm6", Xmm7 = 7 "xmm7",
        Xmm8 = 8 "xmm8", Xmm9 = 9 "xmm9", Xmm10 = 10 "xmm10", Xmm11 = 11 "xmm11",
        Xmm12 = 12 "xmm12", Xmm13 = 13 "xmm13", Xmm14 = 14 "xmm14", Xmm15 = 15 "xmm15",
    }
}

registers! {
    /// A 256-bit AVX register; its low 128 bits are the matching [`Xmm`].
    ///
    /// ```
    /// use jit_compiler::x64::{Xmm, Ymm};
    /// assert_eq!(Ymm::Ymm3.xmm(), Xmm::Xmm3);
    /// ```
    Ymm [Ymm8 8 "ymm8"] {
        Ymm0 = 0 "ymm0", Ymm1 = 1 "ymm1", Ymm2 = 2 "ymm2", Ymm3 = 3 "ymm3",
        Ymm4 = 4 "ymm4", Ymm5 = 5 "ymm5", Ymm6 = 6 "ymm6", Ymm7 = 7 "ymm7",
        Ymm8 = 8 "ymm8", Ymm9 = 9 "ymm9", Ymm10 = 10 "ymm10", Ymm11 = 11 "ymm11",
        Ymm12 = 12 "ymm12", Ymm13 = 13 "ymm13", Ymm14 = 14 "ymm14", Ymm15 = 15 "ymm15",
    }
}

const NAMES32: [&str; 16] = [
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d",
    "r13d", "r14d", "r15d",
];

const NAMES8: [&str; 16] = [
    "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", "r8b", "r9b", "r10b", "r11b", "r12b",
    "r13b", "r14b", "r15b",
];

impl Gpr {
    /// Name of the low 32 bits (`eax`, `r8d`, …). Writing a 32-bit register zeroes bits 32–63.
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// assert_eq!(R8.name32(), "r8d");
    /// let mut a = Assembler::new().with_listing(true);
    /// a.mov(Rcx, 5u32); // the 32-bit form, shorter, and as good: the upper half is zeroed
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0xB9, 0x05, 0x00, 0x00, 0x00]);
    /// assert!(out.listing_text().ends_with(&format!("mov {},5\n", Rcx.name32())));
    /// ```
    pub const fn name32(self) -> &'static str {
        NAMES32[self as usize]
    }

    /// Name of the low 8 bits (`al`, `sil`, `r8b`, …).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Cond, Gpr::*};
    /// assert_eq!(R8.name8(), "r8b");
    /// let mut a = Assembler::new().with_listing(true);
    /// a.setcc(Cond::L, Rdx);
    /// let out = a.finish().unwrap();
    /// assert_eq!(out.code, [0x0F, 0x9C, 0xC2]);
    /// assert!(out.listing_text().ends_with(&format!("setl {}\n", Rdx.name8())));
    /// ```
    pub const fn name8(self) -> &'static str {
        NAMES8[self as usize]
    }

    /// True for `rsp`, `rbp`, `rsi`, `rdi`: their low bytes `spl`, `bpl`, `sil`, `dil` exist
    /// only with a REX prefix (without one, numbers 4–7 mean `ah`, `ch`, `dh`, `bh`).
    ///
    /// ```
    /// use jit_compiler::x64::{Assembler, Gpr::*};
    /// assert!(Rdi.byte_needs_rex() && !Rbx.byte_needs_rex());
    /// let mut a = Assembler::new();
    /// a.movzx(Rax, Rbx); // bl: no prefix
    /// a.movzx(Rax, Rdi); // dil: REX 40 (without it, 0F B6 C7 would read bh)
    /// assert_eq!(a.finish().unwrap().code, [0x0F, 0xB6, 0xC3, 0x40, 0x0F, 0xB6, 0xC7]);
    /// ```
    pub const fn byte_needs_rex(self) -> bool {
        matches!(self, Gpr::Rsp | Gpr::Rbp | Gpr::Rsi | Gpr::Rdi)
    }
}

impl Xmm {
    /// The 256-bit register whose low half this is.
    ///
    /// ```
    /// use jit_compiler::x64::{Xmm, Ymm};
    /// assert_eq!(Xmm::Xmm12.ymm(), Ymm::Ymm12);
    /// ```
    pub const fn ymm(self) -> Ymm {
        Ymm::from_num(self.num())
    }
}

impl Ymm {
    /// The 128-bit low half of this register.
    ///
    /// ```
    /// use jit_compiler::x64::{Xmm, Ymm};
    /// assert_eq!(Ymm::Ymm12.xmm(), Xmm::Xmm12);
    /// assert_eq!(Ymm::Ymm12.xmm().ymm(), Ymm::Ymm12);
    /// ```
    pub const fn xmm(self) -> Xmm {
        Xmm::from_num(self.num())
    }
}
