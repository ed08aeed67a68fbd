//! Two divisions in one `divpd` (planned by [`crate::codegen::pair`]): the dividends are
//! packed into one register, the divisors into another, one `divpd` divides both lanes, and
//! the second quotient is brought down from the high lane at the next step.
//!
//! ```text
//!     unpcklpd a, c      ; a = (a, c): a's own register when a dies here, else a copy
//!     unpcklpd b, d      ; b = (b, d)
//!     divpd    a, b      ; (a/b, c/d): the first division's value is the low lane
//!     movapd   q, a      ; the second's: the high lane, brought down
//!     unpckhpd q, q
//! ```
//!
//! With AVX the unpacks and the division take their three-operand forms, into fresh
//! registers when a source is still needed, and `vunpckhpd q, a, a` needs no copy. The
//! operands are read from registers (loaded first if they are in memory): the packed forms
//! read 16 bytes from memory, and SSE2 wants them aligned.

use super::Gen;
use crate::ast::{Node, NodeId};
use crate::x64::{SseOp, Xmm};

impl Gen<'_> {
    /// `a / b` and the next node of the order (the pair's second division, `c / d`) in one
    /// `divpd`; the result register holds `a / b` low and `c / d` high.
    pub(super) fn divide_pair(&mut self, id: NodeId, a: NodeId, b: NodeId) {
        self.paired += 1;
        let Node::Binary(_, c, d) = self.dag.ast.node(self.dag.order[self.pos as usize]) else {
            // (the planner pairs divisions only)
            return self.arithmetic(id, SseOp::Divsd, false, a, b);
        };
        let operands = [a, b, c, d];
        let count = |v: NodeId| operands.iter().filter(|&&u| u == v).count() as u32;
        // The dividends' register may become the result only if the divisors are not read
        // from it afterwards (0: no occurrence lets it be overwritten).
        let dividend_uses = if b == a || d == a { 0 } else { count(a) };
        let dividends = self.pack(a, c, dividend_uses);
        let divisors = self.pack(b, d, count(b));
        self.copy_then(SseOp::Divpd, dividends, dividends, divisors.into());
        self.consume(c);
        self.consume(d);
        self.finish_binary(id, a, b, dividends);
    }

    /// Is the division being lowered the second of a pair (right after the first)?
    pub(super) fn second_of_pair(&self) -> bool {
        let Some(&first) = self.paired.checked_sub(1).map(|k| &self.pairs[k]) else {
            return false;
        };
        self.dag.order[self.pos as usize - 2] == first
    }

    /// The second division of a pair: the high lane of the first's register (the node just
    /// before this one in the order).
    pub(super) fn high_lane(&mut self, id: NodeId) {
        let low = self.dag.order[self.pos as usize - 2];
        let Some(pair) = self.regs.reg(low) else {
            // Cannot happen: nothing runs between the two, and the first one's value is
            // still to be used (by a later node). (Tests would see it; a release build
            // must not panic while compiling, and the random tests compare every result.)
            debug_assert!(false, "the first division of a pair is not in a register");
            return;
        };
        self.regs.reserve(pair);
        let r = self.alloc();
        self.copy_then(SseOp::Unpckhpd, r, pair, pair.into());
        // (the operands were consumed with the first division)
        self.record(id, r);
    }

    /// A register holding `lo` in its low lane and `hi` in its high lane: `lo`'s own
    /// register when all its remaining uses are the `occurrences` in this pair, else a new
    /// one.
    fn pack(&mut self, lo: NodeId, hi: NodeId, occurrences: u32) -> Xmm {
        let high = self.in_reg(hi);
        // `lo` lives on under AVX: into a fresh register; else in `lo`'s (or its copy's)
        let (dst, low) = match self.beside(lo, occurrences) {
            Some(fresh) => fresh,
            None => {
                let r = self.writable(lo, occurrences);
                (r, r)
            }
        };
        self.copy_then(SseOp::Unpcklpd, dst, low, high.into());
        dst
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{count, listing_for as listing};
    use crate::codegen::Abi;

    /// E5 of `bench/src/exprs.rs`: five divisions, two of them paired (see `pair.rs` for why
    /// not four).
    const E5: &str = "(a*b + c*d - e/f + g*h) * (a - b) / (c + d*e) + (f*g - h) * (a + b*c) - d*(e - f*g) + h/(a+1) + a^2*b - c^3/(d+2) + (e*f - g)/(h*h + 1) - (b - c)*(g + h)*e";

    #[test]
    fn e5_divides_once_in_a_pair_and_three_times_alone() {
        for abi in [Abi::SysV, Abi::Win64] {
            let sse2 = listing(E5, abi, false);
            assert_eq!(count(&sse2, "divpd"), 1, "{sse2}");
            assert_eq!(count(&sse2, "divsd"), 3, "{sse2}");
            let avx = listing(E5, abi, true);
            assert_eq!(count(&avx, "vdivpd"), 1, "{avx}");
            assert_eq!(count(&avx, "divsd") + count(&avx, "vdivsd"), 3, "{avx}");
        }
    }

    #[test]
    fn a_pair_packs_divides_and_unpacks() {
        // the dividends in a's register (it dies), the divisors in b's
        let sse2 = listing("a/b + c/d", Abi::SysV, false);
        for (mnemonic, n) in [("unpcklpd", 2), ("divpd", 1), ("unpckhpd", 1), ("divsd", 0)] {
            assert_eq!(count(&sse2, mnemonic), n, "{mnemonic}:\n{sse2}");
        }
        assert!(sse2.contains("unpcklpd xmm0,xmm2"), "{sse2}");
        assert!(sse2.contains("unpcklpd xmm1,xmm3"), "{sse2}");
        assert!(sse2.contains("divpd xmm0,xmm1"), "{sse2}");
        // with AVX, the second quotient comes down without a copy
        let avx = listing("a/b + c/d", Abi::SysV, true);
        for (mnemonic, n) in [("vunpcklpd", 2), ("vdivpd", 1), ("vunpckhpd", 1)] {
            assert_eq!(count(&avx, mnemonic), n, "{mnemonic}:\n{avx}");
        }
        assert_eq!(count(&avx, "movapd"), 0, "{avx}");
    }

    #[test]
    fn operands_still_needed_are_kept() {
        // `a` and `b` are used again after the pair: packed into new registers
        let sse2 = listing("(a/b + c/d) * a * b", Abi::SysV, false);
        assert!(!sse2.contains("unpcklpd xmm0,") && !sse2.contains("unpcklpd xmm1,"));
        assert_eq!(count(&sse2, "divpd"), 1, "{sse2}");
        let avx = listing("(a/b + c/d) * a * b", Abi::SysV, true);
        assert!(avx.contains("vunpcklpd xmm4,xmm0,xmm2"), "{avx}");
    }

    #[test]
    fn dependent_divisions_stay_scalar() {
        for src in ["x/(y/z)", "x/y/z"] {
            let sse2 = listing(src, Abi::SysV, false);
            assert_eq!(count(&sse2, "divpd"), 0, "{sse2}");
            assert_eq!(count(&sse2, "divsd"), 2, "{sse2}");
        }
    }
}
