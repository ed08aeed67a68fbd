//! Functions that SSE2 has no single instruction for, computed with comparison masks and
//! bitwise selection: `floor`, `ceil`, `round` and `trunc` (`roundsd` needs SSE4.1), `sign`,
//! and `min`/`max` with the interpreter's NaN rule (`minsd` alone returns its second operand
//! when either is NaN).
//!
//! A comparison (`cmpsd`) writes all ones or all zeros; `andpd`, `andnpd` and `orpd` then
//! pick between two values without a branch: `(m & a) | (!m & b)`.

use super::{CMP_LE, CMP_LT, CMP_NLT, CMP_UNORD, Gen};
use crate::ast::NodeId;
use crate::codegen::pool::{ABS_MASK, NEG_ONE_MASK, ONE_MASK, SIGN_MASK};
use crate::x64::{Gpr, GprFromXmmOp, Inst, SseOp, Xmm, XmmFromGprOp};

impl Gen<'_> {
    /// `trunc(x)` with baseline SSE2 (no `roundsd`, which needs SSE4.1): convert to a 64-bit
    /// integer and back, put the sign of `x` back on (so `trunc(-0.5) = -0`), and keep `x`
    /// itself when `|x| >= 2^52` (already an integer), or it is NaN or infinite.
    pub(super) fn trunc(&mut self, x: Xmm) -> Xmm {
        let t = self.alloc();
        self.emit(Inst::GprFromXmm {
            op: GprFromXmmOp::Cvttsd2si,
            dst: Gpr::Rax,
            src: x,
        });
        self.sse(SseOp::Xorpd, t, t);
        self.emit(Inst::XmmFromGpr {
            op: XmmFromGprOp::Cvtsi2sd,
            dst: t,
            src: Gpr::Rax,
        });
        let sign = self.mask(SIGN_MASK);
        let s = self.copy_op(SseOp::Andpd, x, sign);
        self.sse(SseOp::Orpd, t, s);
        let abs = self.mask(ABS_MASK);
        let big = self.copy_op(SseOp::Andpd, x, abs);
        let limit = self.constant(4_503_599_627_370_496.0);
        self.cmp(big, limit, CMP_NLT);
        // t = big ? x : t
        self.copy_then(SseOp::Andpd, s, x, big.into());
        self.sse(SseOp::Andnpd, big, t);
        self.copy_then(SseOp::Orpd, t, big, s.into());
        t
    }

    /// `floor`: `t - 1` where `x < t`. (Subtracting `+0` elsewhere keeps `-0`.)
    pub(super) fn floor_fix(&mut self, x: Xmm, t: Xmm) {
        let m = self.compare_into(x, t, CMP_LT);
        let one = self.mask(ONE_MASK);
        self.sse(SseOp::Andpd, m, one);
        self.sse(SseOp::Subsd, t, m);
    }

    /// `ceil`: `t - (-1)` where `t < x`; subtracting (not adding `+0`) keeps `ceil(-0.5) = -0`.
    pub(super) fn ceil_fix(&mut self, x: Xmm, t: Xmm) {
        let m = self.compare_into(t, x, CMP_LT);
        let neg_one = self.mask(NEG_ONE_MASK);
        self.sse(SseOp::Andpd, m, neg_one);
        self.sse(SseOp::Subsd, t, m);
    }

    /// `round` (half away from zero): `d = x - t` is exact; where `|d| >= 0.5`, move one
    /// away from zero: `t - (-copysign(1, x))`.
    pub(super) fn round_fix(&mut self, x: Xmm, t: Xmm) {
        let d = self.copy_op(SseOp::Subsd, x, t);
        let abs = self.mask(ABS_MASK);
        self.sse(SseOp::Andpd, d, abs);
        let h = self.alloc();
        let half = self.constant(0.5);
        self.sse(SseOp::Movsd, h, half);
        self.cmp(h, d, CMP_LE);
        let sign = self.mask(SIGN_MASK);
        let s = self.copy_op(SseOp::Andpd, x, sign);
        let neg_one = self.mask(NEG_ONE_MASK);
        self.sse(SseOp::Xorpd, s, neg_one);
        self.sse(SseOp::Andpd, s, h);
        self.sse(SseOp::Subsd, t, s);
    }

    /// `sign(x)`: `copysign(1, x)` where `0 < |x|`, else `x` itself (`±0`, NaN).
    #[inline(never)]
    pub(super) fn sign(&mut self, id: NodeId, a: NodeId) {
        let x = self.in_reg(a);
        let abs = self.mask(ABS_MASK);
        let ax = self.copy_op(SseOp::Andpd, x, abs);
        let nz = self.alloc();
        self.sse(SseOp::Xorpd, nz, nz);
        self.cmp(nz, ax, CMP_LT);
        let s = ax;
        let sign = self.mask(SIGN_MASK);
        self.copy_then(SseOp::Andpd, s, x, sign.into());
        let one = self.mask(ONE_MASK);
        self.sse(SseOp::Orpd, s, one);
        self.sse(SseOp::Andpd, s, nz);
        self.sse(SseOp::Andnpd, nz, x);
        self.sse(SseOp::Orpd, nz, s);
        self.finish(id, nz);
    }

    /// `min(a, b)` as the interpreter defines it: `b` if `a` is NaN or `b < a`, else `a`.
    /// `minsd r, a` with `r = b` gives `b < a ? b : a` (and `a` if either is NaN); a mask of
    /// "`a` is NaN" then selects `b`. `max` is the same with `maxsd`.
    #[inline(never)]
    pub(super) fn min_max(&mut self, id: NodeId, inst: SseOp, a: NodeId, b: NodeId) {
        let ra = self.in_reg(a);
        let rb = self.in_reg(b);
        let r = self.alloc();
        self.copy_then(inst, r, rb, ra.into());
        let nan = self.compare_into(ra, ra, CMP_UNORD);
        let t = self.alloc();
        self.copy_then(SseOp::Andpd, t, rb, nan.into());
        self.sse(SseOp::Andnpd, nan, r);
        self.sse(SseOp::Orpd, nan, t);
        self.finish(id, nan);
    }
}
