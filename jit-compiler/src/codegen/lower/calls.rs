//! Calls from the generated code into Rust: built-in functions without an instruction
//! (`sin`, `pow`, ...) and user functions, called directly through a slot of the constant
//! pool, and user closures, called through the runtime's trampoline.

use super::Gen;
use crate::ast::NodeId;
use crate::codegen::regs::Home;
use crate::codegen::{Abi, Symbol};
use crate::x64::{Gpr, GprMem, Inst, Mem, SseOp, SseStoreOp, Xmm, XmmMem};

impl Gen<'_> {
    /// A call into Rust: values live in caller-saved registers are saved first; arguments go
    /// to `xmm0`, `xmm1`, ...; the result comes back in `xmm0`.
    pub(super) fn call(&mut self, id: NodeId, symbol: Symbol, args: &[NodeId]) {
        self.has_calls = true;
        // A single argument that dies here goes straight to xmm0 instead of through memory
        // (`sin(cos(x))` needs no stores at all).
        let preloaded = match args {
            [a] if self.regs.uses(*a) == 1 && self.regs.reg(*a).is_some() => {
                let ra = self.regs.reg(*a).unwrap_or(Xmm::Xmm0);
                if self.regs.holder(Xmm::Xmm0).is_some_and(|w| w != *a) {
                    self.spill(Xmm::Xmm0);
                }
                if ra != Xmm::Xmm0 {
                    self.sse(SseOp::Movapd, Xmm::Xmm0, ra);
                }
                self.regs.release_reg(*a);
                true
            }
            _ => false,
        };
        // An argument already in its register stays there: the spills below store it if it
        // has no memory home yet and free the register without changing it.
        let in_place: u16 = (args.iter().enumerate().take(16))
            .filter(|&(i, &arg)| self.regs.reg(arg) == Some(Xmm::from_num(i as u8)))
            .fold(0, |mask, (i, _)| mask | 1 << i);
        for r in Xmm::ALL {
            if self.abi.is_caller_saved(r) {
                self.spill(r);
            }
        }
        for (i, &arg) in args.iter().enumerate().skip(usize::from(preloaded)) {
            if i < 16 && in_place & (1 << i) != 0 {
                continue;
            }
            let dst = Xmm::from_num(i as u8);
            match self.operand(arg) {
                XmmMem::Xmm(r) if r == dst => {}
                XmmMem::Xmm(r) => self.sse(SseOp::Movapd, dst, r),
                XmmMem::Mem(m) => self.sse(SseOp::Movsd, dst, m),
            }
        }
        let slot = self.pool.call_slot(self.asm, symbol);
        if args.len() <= self.abi.register_args() {
            self.plain_calls.push(self.insts.len());
        }
        self.emit(Inst::Call(GprMem::Mem(Mem::rip(slot))));
        self.regs.reserve(Xmm::Xmm0);
        self.finish(id, Xmm::Xmm0);
    }

    /// A user closure: the arguments are stored in consecutive stack slots and the runtime's
    /// trampoline is called with (context, pointer to the arguments), which fit the first two
    /// integer argument registers of either convention.
    pub(super) fn call_closure(&mut self, id: NodeId, f: u32, args: &[NodeId]) {
        self.has_calls = true;
        for r in Xmm::ALL {
            if self.abi.is_caller_saved(r) {
                self.spill(r);
            }
        }
        self.blocks = true;
        let first = self.regs.new_block(args.len().max(1) as u32);
        for (i, &arg) in args.iter().enumerate() {
            let dst = self.mem(Home::Slot(first + i as u32));
            let src = match self.operand(arg) {
                XmmMem::Xmm(r) => r,
                XmmMem::Mem(m) => {
                    self.sse(SseOp::Movsd, Xmm::Xmm0, m);
                    Xmm::Xmm0
                }
            };
            self.emit(Inst::SseStore {
                op: SseStoreOp::Movsd,
                dst,
                src,
            });
        }
        let (ctx_reg, args_reg) = match self.abi {
            Abi::SysV => (Gpr::Rdi, Gpr::Rsi),
            Abi::Win64 => (Gpr::Rcx, Gpr::Rdx),
        };
        let ctx = self.pool.call_slot(self.asm, Symbol::UserContext(f));
        self.emit(Inst::Mov {
            dst: ctx_reg,
            src: GprMem::Mem(Mem::rip(ctx)),
        });
        let args_at = self.mem(Home::Slot(first));
        self.emit(Inst::Lea {
            dst: args_reg,
            src: args_at,
        });
        let tramp = self.pool.call_slot(self.asm, Symbol::Trampoline);
        self.emit(Inst::Call(GprMem::Mem(Mem::rip(tramp))));
        self.regs.reserve(Xmm::Xmm0);
        self.finish(id, Xmm::Xmm0);
    }
}
