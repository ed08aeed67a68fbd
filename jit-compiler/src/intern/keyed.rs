//! The table of mid-size trees' value numbering: keys and ids in open addressing with linear
//! probing, emptied in constant time.
//!
//! It replaced a `HashMap<Key, NodeId>`: an entry there took E5 of the benchmarks (88 nodes
//! parsed, 47 interned) about 130 instructions (the hasher behind its trait, the group probe,
//! then a second probe for the slot to insert into). Here a lookup hashes once and compares
//! keys slot by slot, and no slot is ever cleared between compilations: each holds the
//! stamp of the compilation that wrote it, and only the current stamp's slots are taken.
//! (hashbrown's `HashTable`, which the interner uses for larger trees, was tried here too,
//! given the same precomputed hash: E5 took 1 500 instructions more, 53 600 against 52 100,
//! and clearing it writes all of its control bytes, a cost that a table kept from a large
//! tree would add to every later compilation.)

use super::Key;
use crate::ast::NodeId;
use crate::hash::hash128;

/// Keys and their node ids. At most half of the slots are taken, so that probes stay short.
#[derive(Default)]
pub(super) struct KeyedTable {
    /// A power of two of them (or none).
    slots: Vec<Slot>,
    /// How many slots hold an entry of the current stamp.
    len: usize,
    /// The current compilation's stamp (never 0, the stamp of a slot never written).
    stamp: u32,
}

/// One entry, taken when its stamp is the table's.
#[derive(Clone, Copy)]
struct Slot {
    key: u128,
    /// The node id's index.
    id: u32,
    stamp: u32,
}

impl Slot {
    const EMPTY: Slot = Slot {
        key: 0,
        id: 0,
        stamp: 0,
    };
}

impl KeyedTable {
    /// Empties the table and makes room for `n` entries. (Constant time but for the growth:
    /// the slots of earlier stamps read as empty.)
    pub(super) fn reset(&mut self, n: usize) {
        self.len = 0;
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            // (once in 2^32 compilations: slots of the last stamp must not read as taken)
            self.slots.fill(Slot::EMPTY);
            self.stamp = 1;
        }
        let wanted = (2 * n).next_power_of_two();
        if self.slots.len() < wanted {
            self.slots = vec![Slot::EMPTY; wanted];
        }
    }

    /// The id of `key`; if it has none yet, `new()`'s, which is entered under it.
    #[inline]
    pub(super) fn get_or_insert_with(&mut self, key: Key, new: impl FnOnce() -> NodeId) -> NodeId {
        let mask = self.slots.len() - 1;
        let mut i = hash128(key.0) as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot.stamp != self.stamp {
                let id = new();
                self.insert_at(i, key, id);
                return id;
            }
            if slot.key == key.0 {
                return NodeId::from_index(slot.id as usize);
            }
            i = (i + 1) & mask;
        }
    }

    /// Enters `key` in the empty slot `i`, then doubles the slots if more than half are
    /// taken.
    #[inline]
    fn insert_at(&mut self, i: usize, key: Key, id: NodeId) {
        self.slots[i] = Slot {
            key: key.0,
            id: id.index() as u32,
            stamp: self.stamp,
        };
        self.len += 1;
        if 2 * self.len > self.slots.len() {
            self.grow();
        }
    }

    /// Enters `key`, known to be new.
    pub(super) fn insert(&mut self, key: Key, id: NodeId) {
        let found = self.get_or_insert_with(key, || id);
        debug_assert!(found == id, "a key entered twice");
    }

    /// Twice the slots, the entries entered again.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let stamp = self.stamp;
        let doubled = vec![Slot::EMPTY; 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.len = 0;
        for slot in old.into_iter().filter(|s| s.stamp == stamp) {
            self.insert(Key(slot.key), NodeId::from_index(slot.id as usize));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: usize) -> NodeId {
        NodeId::from_index(i)
    }

    #[test]
    fn a_key_keeps_its_first_id_until_reset() {
        crate::hash::seed_once();
        let mut table = KeyedTable::default();
        table.reset(4);
        let keys: Vec<Key> = (1..=100u128).map(|k| Key(k << 64 | k)).collect();
        // (100 entries in room for 4: it grows several times)
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(table.get_or_insert_with(k, || id(i)), id(i));
        }
        for (i, &k) in keys.iter().enumerate() {
            assert_eq!(table.get_or_insert_with(k, || id(999)), id(i));
        }
        table.reset(4);
        assert_eq!(table.len, 0);
        assert_eq!(table.get_or_insert_with(keys[7], || id(5)), id(5));
    }

    #[test]
    fn slots_of_the_last_stamp_are_empty_after_the_stamps_wrap() {
        crate::hash::seed_once();
        let mut table = KeyedTable::default();
        table.reset(4);
        table.insert(Key(7), id(1));
        table.stamp = u32::MAX;
        table.insert(Key(8), id(2));
        table.reset(4);
        assert_eq!(table.stamp, 1);
        assert_eq!(table.get_or_insert_with(Key(8), || id(3)), id(3));
        assert_eq!(table.get_or_insert_with(Key(7), || id(4)), id(4));
    }
}
