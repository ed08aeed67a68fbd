//! Where each value lives while the body is generated: in an XMM register, in memory (a
//! constant in the pool, an argument passed on the stack, a spill slot), or both.
//!
//! Allocation is linear: values are computed in the schedule's order; a register is freed at
//! the last use of its value. When all sixteen are taken, the value computed longest ago is
//! spilled (with Sethi–Ullman ordering it is usually the one needed last).

use crate::ast::NodeId;
use crate::x64::{Label, Xmm};

/// A memory home of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Home {
    /// A constant in the pool after the code.
    Const(Label),
    /// Argument `i` that is passed in memory (beyond the register arguments).
    ArgMem(u32),
    /// A spill slot in the stack frame.
    Slot(u32),
}

/// Where one value is: its register, its memory home, and when it was computed; and how
/// many of its uses are still ahead (kept here rather than in a vector of their own: the
/// generator reads both for the same value, and one vector takes one bounds check).
#[derive(Clone, Copy, Default)]
pub(crate) struct Value {
    uses: u32,
    reg: Option<Xmm>,
    home: Option<Home>,
    born: u32,
    /// Has the value been read from its spill slot?
    reloaded: bool,
}

/// The register file and value locations.
pub struct Regs {
    /// The value in each register; meaningful only where `held` has its bit. (A mask and
    /// plain ids rather than `[Option<NodeId>; 16]`: an id has no spare value for `None`,
    /// so the options took sixteen stores to clear per compilation, and the free register
    /// is the lowest clear bit of one word instead of a loop over sixteen.)
    holder: [NodeId; 16],
    /// Which registers hold a value (bit `n` for `xmm{n}`). The masks are `u32`, not `u16`:
    /// LLVM reads one 16-bit mask with a 32-bit load, which spans two 16-bit masks stored
    /// separately, and the CPU cannot forward two stores to one load (a stall of about a
    /// dozen cycles, twice a node, found with `perf annotate`).
    held: u32,
    /// Per value: its register, its memory home, when it was computed (one vector, so
    /// one allocation).
    values: Vec<Value>,
    free_slots: Vec<u32>,
    slots: u32,
    /// The closure arguments' block: its first slot and its length (0: none yet).
    block: (u32, u32),
    /// Registers used so far (bit `n` for `xmm{n}`), and those kept out of allocation.
    used: u32,
    reserved: u32,
}

/// The bits of the sixteen registers in a mask.
const ALL_REGS: u32 = 0xffff;

impl Regs {
    /// Room for one value per entry of `uses` (how many times each is used), in the memory
    /// of an earlier register file (see [`Regs::give_back`]).
    #[inline]
    pub(crate) fn reusing(uses: &[u32], mut values: Vec<Value>, mut free_slots: Vec<u32>) -> Regs {
        values.clear();
        values.extend(uses.iter().map(|&uses| Value {
            uses,
            ..Value::default()
        }));
        free_slots.clear();
        Regs {
            holder: [NodeId::from_index(0); 16],
            held: 0,
            values,
            free_slots,
            slots: 0,
            block: (0, 0),
            used: 0,
            reserved: 0,
        }
    }

    /// Swaps the vectors into `values` and `free_slots`, for the next [`Regs::reusing`].
    /// (Swapped in place: returned by value, they were copied through a temporary.)
    pub(crate) fn give_back(&mut self, values: &mut Vec<Value>, free_slots: &mut Vec<u32>) {
        std::mem::swap(&mut self.values, values);
        std::mem::swap(&mut self.free_slots, free_slots);
    }

    /// How many uses of `v` are still ahead.
    pub fn uses(&self, v: NodeId) -> u32 {
        self.values[v.index()].uses
    }

    /// One use of `v` is made: it dies with its last (its register and spill slot are freed).
    pub fn consume(&mut self, v: NodeId) {
        let value = &mut self.values[v.index()];
        value.uses = value.uses.saturating_sub(1);
        if value.uses == 0 {
            self.kill(v);
        }
    }

    /// The register holding `v`, if any.
    pub fn reg(&self, v: NodeId) -> Option<Xmm> {
        self.values[v.index()].reg
    }

    /// The memory home of `v`, if any.
    pub fn home(&self, v: NodeId) -> Option<Home> {
        self.values[v.index()].home
    }

    /// Gives `v` a memory home.
    pub fn set_home(&mut self, v: NodeId, home: Home) {
        self.values[v.index()].home = Some(home);
    }

    /// Records that `v` is read from its spill slot.
    pub fn mark_reloaded(&mut self, v: NodeId) {
        self.values[v.index()].reloaded = true;
    }

    /// Was `v` ever read from its spill slot?
    pub fn reloaded(&self, v: NodeId) -> bool {
        self.values[v.index()].reloaded
    }

    /// Records that `r` now holds `v` (computed at schedule position `at`).
    pub fn assign(&mut self, v: NodeId, r: Xmm, at: u32) {
        if let Some(old) = self.holder(r) {
            self.values[old.index()].reg = None;
        }
        self.holder[r.num() as usize] = v;
        self.held |= 1 << r.num();
        self.values[v.index()].reg = Some(r);
        self.values[v.index()].born = at;
        self.used |= 1 << r.num();
    }

    /// Forgets that `v` is in a register (the register becomes free).
    pub fn release_reg(&mut self, v: NodeId) {
        if let Some(r) = self.values[v.index()].reg.take() {
            self.held &= !(1 << r.num());
        }
    }

    /// `v` is dead: frees its register and spill slot.
    pub fn kill(&mut self, v: NodeId) {
        self.release_reg(v);
        if let Some(Home::Slot(s)) = self.values[v.index()].home {
            self.free_slot(v, s);
        }
    }

    /// [`Regs::kill`] for a value with a spill slot: the slot is free again. (Out of line:
    /// few values are spilled, and the vector's growth path made `consume` save and restore
    /// three registers on every call.)
    #[cold]
    #[inline(never)]
    fn free_slot(&mut self, v: NodeId, slot: u32) {
        self.values[v.index()].home = None;
        self.free_slots.push(slot);
    }

    /// The value in register `r`.
    pub fn holder(&self, r: Xmm) -> Option<NodeId> {
        (self.held & (1 << r.num()) != 0).then(|| self.holder[r.num() as usize])
    }

    /// The lowest-numbered free register (neither holding a value nor reserved).
    pub fn free_reg(&self) -> Option<Xmm> {
        // (masked: `!` sets the sixteen bits above the registers too)
        let free = !(self.held | self.reserved) & ALL_REGS;
        (free != 0).then(|| Xmm::from_num(free.trailing_zeros() as u8))
    }

    /// The register to spill: of those holding a value and not reserved, the one whose value
    /// was computed longest ago (the lowest-numbered on a tie).
    pub fn victim(&self) -> Option<Xmm> {
        Xmm::ALL
            .into_iter()
            .filter(|r| !self.is_reserved(*r))
            .filter_map(|r| self.holder(r).map(|v| (self.values[v.index()].born, r)))
            .min_by_key(|(born, _)| *born)
            .map(|(_, r)| r)
    }

    /// Keeps `r` out of allocation until [`Regs::clear_reserved`]: a temporary of the
    /// instruction sequence being generated.
    pub fn reserve(&mut self, r: Xmm) {
        self.reserved |= 1 << r.num();
    }

    fn is_reserved(&self, r: Xmm) -> bool {
        self.reserved & (1 << r.num()) != 0
    }

    /// Ends the current node: its temporaries are free again. (They count as used from
    /// here, rather than at each [`Regs::reserve`], which is made two or three times a node.)
    pub fn clear_reserved(&mut self) {
        self.used |= self.reserved;
        self.reserved = 0;
    }

    /// A fresh or recycled spill slot.
    pub fn new_slot(&mut self) -> u32 {
        self.free_slots.pop().unwrap_or_else(|| {
            self.slots += 1;
            self.slots - 1
        })
    }

    /// `n` consecutive slots for the arguments of a closure call; the first's index.
    ///
    /// Every call uses the same block: its arguments are stored right before the call and
    /// are dead once it returns, so one block as long as the most arguments of any call
    /// serves them all (a block per call made the frame grow with the number of calls in
    /// the source: 1.6 MB for a megabyte of `f() + f() + ...`, past a thread's stack). A
    /// call with more arguments than the block holds gets a longer one, and the shorter
    /// one's slots become spill slots.
    pub fn new_block(&mut self, n: u32) -> u32 {
        let (first, len) = self.block;
        if n <= len {
            return first;
        }
        self.free_slots.extend(first..first + len);
        self.slots += n;
        self.block = (self.slots - n, n);
        self.slots - n
    }

    /// How many spill slots the frame needs.
    pub fn slot_count(&self) -> u32 {
        self.slots
    }

    /// Which registers were ever used (bit `n` for `xmm{n}`).
    pub fn used_mask(&self) -> u16 {
        // (only the low sixteen bits are ever set: nothing is cut off)
        (self.used | self.reserved) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_reg_skips_held_and_reserved_registers() {
        let mut regs = Regs::reusing(&[1, 1, 1], Vec::new(), Vec::new());
        let (a, b) = (NodeId::from_index(0), NodeId::from_index(1));
        assert_eq!(regs.free_reg(), Some(Xmm::Xmm0));
        regs.assign(a, Xmm::Xmm0, 1);
        regs.reserve(Xmm::Xmm1);
        assert_eq!(regs.free_reg(), Some(Xmm::Xmm2));
        assert_eq!(
            (regs.holder(Xmm::Xmm0), regs.holder(Xmm::Xmm1)),
            (Some(a), None)
        );
        regs.assign(b, Xmm::Xmm0, 2); // `a` is pushed out of xmm0
        assert_eq!((regs.holder(Xmm::Xmm0), regs.reg(a)), (Some(b), None));
        regs.release_reg(b);
        regs.clear_reserved();
        assert_eq!(regs.holder(Xmm::Xmm0), None);
        assert_eq!(regs.free_reg(), Some(Xmm::Xmm0));
    }

    #[test]
    fn no_free_reg_when_all_are_taken() {
        let uses = [1; 16];
        let mut regs = Regs::reusing(&uses, Vec::new(), Vec::new());
        for (i, r) in Xmm::ALL.into_iter().enumerate() {
            regs.assign(NodeId::from_index(i), r, i as u32);
        }
        assert_eq!(regs.free_reg(), None);
        assert_eq!(regs.victim(), Some(Xmm::Xmm0)); // computed longest ago
    }
}
