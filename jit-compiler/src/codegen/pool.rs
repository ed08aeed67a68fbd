//! The data after the code: 16-byte masks, 8-byte constants and the 8-byte address slots
//! that calls go through (`call qword ptr [rip+slot]`), which the runtime fills in from the
//! relocation table when it loads the code. Addressing it RIP-relative keeps the code
//! position-independent, so the bytes can be copied anywhere.

use super::{Reloc, Symbol};
use crate::hash::hash128;
use crate::x64::{Assembler, Label};
use hashbrown::HashTable;
use std::collections::HashMap;

/// Bits of the 16-byte masks (both lanes the same unless noted).
pub const SIGN_MASK: u128 = 0x8000_0000_0000_0000_8000_0000_0000_0000;
/// Clears the sign bit.
pub const ABS_MASK: u128 = 0x7FFF_FFFF_FFFF_FFFF_7FFF_FFFF_FFFF_FFFF;
/// `-1.0` in both lanes.
pub const NEG_ONE_MASK: u128 = 0xBFF0_0000_0000_0000_BFF0_0000_0000_0000;
/// `1.0` in both lanes: turns a comparison mask into `1.0` or `0.0`.
pub const ONE_MASK: u128 = 0x3FF0_0000_0000_0000_3FF0_0000_0000_0000;

/// Constants and call slots, each stored once.
#[derive(Default)]
pub struct Pool {
    masks: Vec<(u128, Label)>,
    consts: Vec<(u64, Label)>,
    /// An index of `consts` by bits (positions in `consts`), filled once there are more
    /// than [`LINEAR_CONSTANTS`] (so that an expression with 100 000 distinct constants still
    /// compiles in linear time), empty before; its memory is kept, like every other table of
    /// the pool.
    const_index: HashTable<u32>,
    slots: Vec<(Symbol, Label)>,
    /// An index of `slots` by symbol, filled once there are more than
    /// [`LINEAR_CONSTANTS`] (an expression calling 10 000 different user functions scanned
    /// the list for each: quadratic); empty before.
    slot_index: HashMap<Symbol, Label>,
}

/// Beyond this many constants, [`Pool::constant`] hashes instead of scanning.
const LINEAR_CONSTANTS: usize = 16;

impl Pool {
    /// Empties the pool, keeping its memory.
    pub(crate) fn clear(&mut self) {
        self.masks.clear();
        self.consts.clear();
        // (clearing a map that kept its memory writes all of its control bytes: only when used)
        if !self.const_index.is_empty() {
            self.const_index.clear();
        }
        self.slots.clear();
        if !self.slot_index.is_empty() {
            self.slot_index.clear();
        }
    }

    /// The label of a 16-byte constant.
    pub fn mask(&mut self, asm: &mut Assembler, bits: u128) -> Label {
        if let Some((_, l)) = self.masks.iter().find(|(b, _)| *b == bits) {
            return *l;
        }
        let l = asm.new_label();
        self.masks.push((bits, l));
        l
    }

    /// The label of an 8-byte constant. Most expressions have few distinct constants, and
    /// for them a linear search beats hashing; many constants are indexed.
    pub fn constant(&mut self, asm: &mut Assembler, bits: u64) -> Label {
        let found = if !self.const_index.is_empty() {
            let consts = &self.consts;
            self.const_index
                .find(hash_bits(bits), |&i| consts[i as usize].0 == bits)
                .map(|&i| consts[i as usize].1)
        } else {
            self.consts
                .iter()
                .find(|(b, _)| *b == bits)
                .map(|(_, l)| *l)
        };
        if let Some(l) = found {
            return l;
        }
        let l = asm.new_label();
        self.consts.push((bits, l));
        if !self.const_index.is_empty() || self.consts.len() > LINEAR_CONSTANTS {
            self.index_from(self.const_index.len());
        }
        l
    }

    /// Adds `consts[first..]` to the index.
    fn index_from(&mut self, first: usize) {
        crate::hash::seed_once();
        let consts = &self.consts;
        let rehash = |&i: &u32| hash_bits(consts[i as usize].0);
        for (i, &(bits, _)) in consts.iter().enumerate().skip(first) {
            // (each constant has a label, and labels are numbered in 32 bits too)
            self.const_index
                .insert_unique(hash_bits(bits), i as u32, rehash);
        }
    }

    /// The label of the address slot of a called function.
    pub fn call_slot(&mut self, asm: &mut Assembler, symbol: Symbol) -> Label {
        let found = if self.slot_index.is_empty() {
            self.slots
                .iter()
                .find(|(s, _)| *s == symbol)
                .map(|(_, l)| *l)
        } else {
            self.slot_index.get(&symbol).copied()
        };
        if let Some(l) = found {
            return l;
        }
        let l = asm.new_label();
        self.slots.push((symbol, l));
        if !self.slot_index.is_empty() {
            self.slot_index.insert(symbol, l);
        } else if self.slots.len() > LINEAR_CONSTANTS {
            self.slot_index.extend(self.slots.iter().copied());
        }
        l
    }

    /// Writes the pool at the end of the code: masks 16-byte aligned, then constants, then
    /// the address slots (zero until the runtime patches them). (The test inline, the
    /// placing out of line: most bodies without calls or constants have nothing to place.)
    #[inline]
    pub fn emit(&self, asm: &mut Assembler) {
        if !(self.masks.is_empty() && self.consts.is_empty() && self.slots.is_empty()) {
            self.place(asm);
        }
    }

    /// [`Pool::emit`] when there is something to place.
    #[inline(never)]
    fn place(&self, asm: &mut Assembler) {
        asm.align(if self.masks.is_empty() { 8 } else { 16 });
        for &(bits, l) in &self.masks {
            asm.bind(l);
            asm.data_u128(bits);
        }
        for &(bits, l) in &self.consts {
            asm.bind(l);
            asm.data_u64(bits);
        }
        for &(_, l) in &self.slots {
            asm.bind(l);
            asm.data_u64(0);
        }
    }

    /// The relocations, once the labels are placed.
    pub fn relocs(&self, offset_of: impl Fn(Label) -> Option<usize>) -> Vec<Reloc> {
        if self.slots.is_empty() {
            return Vec::new(); // (no call through a slot: nothing to collect)
        }
        self.slots
            .iter()
            .filter_map(|&(symbol, l)| {
                offset_of(l).map(|offset| Reloc {
                    offset: offset as u32,
                    symbol,
                })
            })
            .collect()
    }
}

/// The hash of a constant's bits in the index.
fn hash_bits(bits: u64) -> u64 {
    hash128(u128::from(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many constants go through the index; after `clear` the index is empty again (a
    /// constant of the previous function gets a new label) and works the same.
    #[test]
    fn index_of_many_constants_survives_clear() {
        let mut asm = Assembler::new();
        let mut pool = Pool::default();
        for round in 0..2 {
            let labels: Vec<Label> = (0..40u64).map(|i| pool.constant(&mut asm, i)).collect();
            assert_eq!(pool.const_index.len(), 40, "round {round}");
            for i in 0..40u64 {
                assert_eq!(pool.constant(&mut asm, i), labels[i as usize]);
            }
            assert_eq!(pool.consts.len(), 40);
            pool.clear();
            assert!(pool.const_index.is_empty());
            let fresh = pool.constant(&mut asm, 0);
            assert_ne!(fresh, labels[0]);
            pool.clear();
        }
    }
}
