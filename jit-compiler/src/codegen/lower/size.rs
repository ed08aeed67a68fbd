//! An early stop for code that will not fit [`CodegenOptions::max_code_len`]: the limit is
//! there so that hostile input gets an error rather than exhausting memory, and the
//! instruction list outgrows the code it encodes to (16 bytes an entry against 4 to 8 bytes
//! an instruction). Checking the code's length only at the end let a 12 MiB source of
//! `x^n` terms (n near 2^63: 114 multiplications each) take 16 s and 2.1 GB before it failed.
//!
//! [`CodegenOptions::max_code_len`]: crate::codegen::CodegenOptions::max_code_len

use crate::error::{Error, ErrorKind, Result, Span};
use crate::x64::{Inst, encode};

/// Instructions measured at a time once measuring has started.
const BATCH: usize = 1 << 12;

/// Slack above the limit before the early stop: the measured list can be a few bytes longer
/// than the final body (the frame drops some instructions after a tail call), and the exact
/// limit is checked on the final code anyway.
const SLACK: usize = 256;

/// Measures the encoded length of the instruction list as it grows, from the point where it
/// could first exceed the limit (an instruction takes at most 15 bytes), in batches: nothing
/// for code well under the limit, and each instruction encoded once more beyond that point.
pub(super) struct SizeCheck {
    limit: usize,
    /// Instructions measured so far.
    measured: usize,
    /// Their encoded length in bytes.
    bytes: usize,
    /// The list length at which to measure next.
    next: usize,
}

impl SizeCheck {
    pub(super) fn new(limit: usize) -> SizeCheck {
        SizeCheck {
            limit,
            measured: 0,
            bytes: 0,
            next: limit / 16,
        }
    }

    /// Measures the instructions added since the last call if it is time to; the error for
    /// code past the limit (spanning `span()`, the whole expression).
    #[inline]
    pub(super) fn check(&mut self, insts: &[Inst], span: impl Fn() -> Span) -> Result<()> {
        if insts.len() >= self.next && self.measure(insts) {
            return Err(Error::new(
                ErrorKind::CodeTooLarge,
                span(),
                format!(
                    "the machine code would be more than {} bytes, the limit",
                    self.limit
                ),
            ));
        }
        Ok(())
    }

    fn measure(&mut self, insts: &[Inst]) -> bool {
        let new = insts.get(self.measured..).unwrap_or_default();
        self.bytes += new.iter().map(|i| encode(i).len()).sum::<usize>();
        self.measured = insts.len();
        self.next = insts.len() + BATCH;
        self.bytes > self.limit.saturating_add(SLACK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x64::{SseOp, Xmm, XmmMem};

    #[test]
    fn measures_only_from_where_the_limit_can_be_reached() {
        let add = Inst::Sse {
            op: SseOp::Addsd,
            dst: Xmm::Xmm0,
            src: XmmMem::Xmm(Xmm::Xmm1),
        }; // 4 bytes
        let mut check = SizeCheck::new(1 << 20);
        let list = vec![add; (1 << 20) / 16 - 1];
        let span = Span::default;
        assert!(check.check(&list, span).is_ok());
        assert_eq!(
            check.measured, 0,
            "not measured below limit/16 instructions"
        );
        let list = vec![add; (1 << 20) / 4];
        assert!(check.check(&list, span).is_ok(), "exactly the limit");
        assert_eq!(check.bytes, 1 << 20);
        let list = vec![add; (1 << 20) / 4 + SLACK / 4 + BATCH];
        let error = check.check(&list, span).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::CodeTooLarge);
    }
}
