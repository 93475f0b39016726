//! The table behind `hashmap/new`: a hash table with a dense part for integer keys.
//!
//! Programs often use a hashmap as an array: integer keys from 0 to some bound, most
//! of them present. In the hash table each such entry costs 32 bytes plus a control
//! byte at a scattered place, so a 100,000-key table overflows the L2 cache and every
//! lookup compares a key it first has to fetch from memory. Here, integer key `k` below
//! `dense.len()` lives in `dense[k]` instead (16 bytes, no key stored, no compare);
//! every other key lives in `table`. A key is in one part only.
//!
//! The dense part grows two ways: by one slot when a key lands just past its end, and,
//! when the hash table is full and about to grow, to the largest size that would be
//! more than a third occupied by the integer keys there are (the table's keys in that
//! range move over). Both are amortised: the second runs only when the table would
//! double anyway. Iteration order is unspecified for hashmaps (LANGUAGE.md §12.4): the
//! dense keys come first, in order, then the table's.

use crate::value::Value;

#[derive(Clone, Default)]
pub struct HashMap {
    /// `dense[k]` is the value of the integer key `k`, `None` when it is absent.
    dense: Vec<Option<Value>>,
    /// How many slots of `dense` hold a value.
    dense_count: usize,
    /// Every key that is not an integer in `0..dense.len()`.
    table: hashbrown::HashMap<Value, Value>,
}

/// A dense part is worth having while more than 1 in `MIN_DENSITY` of its slots are
/// used: then it takes at most about as much memory as the hash entries it replaces.
const MIN_DENSITY: usize = 3;

impl HashMap {
    pub fn new() -> HashMap {
        HashMap::default()
    }

    pub fn with_capacity(capacity: usize) -> HashMap {
        HashMap { table: hashbrown::HashMap::with_capacity(capacity), ..HashMap::default() }
    }

    pub fn len(&self) -> usize {
        self.dense_count + self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dense slot of `key`, if it has one.
    #[inline]
    fn dense_index(&self, key: &Value) -> Option<usize> {
        match key {
            // A negative key turns into an index above any vector's length.
            Value::Int(k) if (*k as u64) < self.dense.len() as u64 => Some(*k as usize),
            _ => None,
        }
    }

    #[inline]
    pub fn get(&self, key: &Value) -> Option<&Value> {
        match self.dense_index(key) {
            Some(index) => self.dense[index].as_ref(),
            None => self.table.get(key),
        }
    }

    pub fn get_mut(&mut self, key: &Value) -> Option<&mut Value> {
        match self.dense_index(key) {
            Some(index) => self.dense[index].as_mut(),
            None => self.table.get_mut(key),
        }
    }

    pub fn contains_key(&self, key: &Value) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, returning the value it replaced.
    pub fn insert(&mut self, key: Value, value: Value) -> Option<Value> {
        if let Some(index) = self.dense_index(&key) {
            return self.put_dense(index, value);
        }
        if let Value::Int(k) = key {
            // Appending keeps the dense part more than a third full (a queue whose
            // keys keep growing moves on to the table instead of growing it forever).
            let stays_dense = (self.dense_count + 1) * MIN_DENSITY > self.dense.len() + 1;
            if k >= 0 && k as u64 == self.dense.len() as u64 && stays_dense {
                return self.append_dense(k as usize, value);
            }
        }
        // A new key in a full table: the table would grow, so first see whether its
        // integer keys should move to the dense part instead. (Looked up again only
        // then; otherwise one lookup inserts or replaces.)
        let full = self.table.len() == self.table.capacity();
        if full && !self.table.contains_key(&key) && self.grow_dense() {
            return self.insert(key, value);
        }
        self.table.insert(key, value)
    }

    pub fn remove(&mut self, key: &Value) -> Option<Value> {
        let Some(index) = self.dense_index(key) else { return self.table.remove(key) };
        let old = self.dense[index].take();
        if old.is_some() {
            self.dense_count -= 1;
            // Below a sixth full (half the density that grows it, so no back and
            // forth) the dense part costs more than it saves: its entries go back
            // to the table and iteration is again proportional to the entries.
            if self.dense_count * 2 * MIN_DENSITY < self.dense.len() {
                self.move_dense_to_table();
            }
        }
        old
    }

    fn move_dense_to_table(&mut self) {
        let dense = std::mem::take(&mut self.dense);
        self.dense_count = 0;
        for (k, slot) in dense.into_iter().enumerate() {
            if let Some(value) = slot {
                self.table.insert(Value::Int(k as i64), value);
            }
        }
    }

    /// Every entry: the dense keys in ascending order, then the table's.
    pub fn iter(&self) -> impl Iterator<Item = (Value, &Value)> {
        let dense = self.dense.iter().enumerate().filter_map(|(k, slot)| Some((Value::Int(k as i64), slot.as_ref()?)));
        dense.chain(self.table.iter().map(|(k, v)| (k.clone(), v)))
    }

    /// Every entry, cloned.
    pub fn entries(&self) -> impl Iterator<Item = (Value, Value)> + '_ {
        self.iter().map(|(k, v)| (k, v.clone()))
    }

    /// Every entry, keys in the total order (LANGUAGE.md §3.3): how hashmaps print and
    /// compare, whatever their iteration order.
    pub fn sorted_entries(&self) -> Vec<(Value, &Value)> {
        let mut entries: Vec<(Value, &Value)> = self.iter().collect();
        entries.sort_by(|a, b| crate::compare::total_cmp(&a.0, &b.0));
        entries
    }

    pub fn keys(&self) -> impl Iterator<Item = Value> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.dense.iter().flatten().chain(self.table.values())
    }

    fn put_dense(&mut self, index: usize, value: Value) -> Option<Value> {
        let old = self.dense[index].replace(value);
        if old.is_none() {
            self.dense_count += 1;
        }
        old
    }

    /// Inserts key `k`, which is `dense.len()`, as a new last dense slot.
    fn append_dense(&mut self, k: usize, value: Value) -> Option<Value> {
        // It may have gone to the table while it was past the dense part.
        let old = if self.table.is_empty() { None } else { self.table.remove(&Value::Int(k as i64)) };
        self.dense.push(Some(value));
        self.dense_count += 1;
        old
    }

    /// Called when the table is full: grows the dense part to the largest length that
    /// the integer keys would fill more than `1 / MIN_DENSITY` of, moving those keys
    /// out of the table. Returns whether it moved any.
    fn grow_dense(&mut self) -> bool {
        let start = self.dense.len() as u64;
        // in_bin[b]: table keys in start..2^b; largest[b]: the largest of them.
        let mut in_bin = [0usize; 65];
        let mut largest = [0u64; 65];
        for key in self.table.keys() {
            if let Value::Int(k) = *key {
                if k >= 0 && k as u64 >= start {
                    let bin = 64 - (k as u64).leading_zeros() as usize;
                    in_bin[bin] += 1;
                    largest[bin] = largest[bin].max(k as u64);
                }
            }
        }
        let (mut used, mut new_len) = (self.dense_count, None);
        for bin in 0..in_bin.len() {
            used += in_bin[bin];
            if in_bin[bin] > 0 {
                let len = largest[bin] + 1;
                if (used as u64).saturating_mul(MIN_DENSITY as u64) > len {
                    new_len = Some(len as usize);
                }
            }
        }
        let Some(new_len) = new_len else { return false };
        self.dense.resize(new_len, None);
        let (dense, count) = (&mut self.dense, &mut self.dense_count);
        self.table.retain(|key, value| match *key {
            Value::Int(k) if k >= 0 && (k as u64) < new_len as u64 => {
                dense[k as usize] = Some(std::mem::take(value));
                *count += 1;
                false
            }
            _ => true,
        });
        self.table.shrink_to_fit();
        true
    }
}

impl PartialEq for HashMap {
    fn eq(&self, other: &HashMap) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(&k) == Some(v))
    }
}

impl FromIterator<(Value, Value)> for HashMap {
    fn from_iter<I: IntoIterator<Item = (Value, Value)>>(entries: I) -> HashMap {
        let mut map = HashMap::new();
        map.extend(entries);
        map
    }
}

impl Extend<(Value, Value)> for HashMap {
    fn extend<I: IntoIterator<Item = (Value, Value)>>(&mut self, entries: I) {
        for (k, v) in entries {
            self.insert(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(k: i64) -> Value {
        Value::Int(k)
    }

    #[test]
    fn sequential_keys_go_dense() {
        let mut map = HashMap::new();
        for k in 0..100 {
            assert!(map.insert(int(k), int(k * 2)).is_none());
        }
        assert_eq!(map.dense.len(), 100);
        assert!(map.table.is_empty());
        assert_eq!(map.len(), 100);
        assert!(map.get(&int(42)) == Some(&int(84)));
        assert!(map.get(&int(100)).is_none());
        assert!(map.get(&int(-1)).is_none());
        assert!(map.insert(int(42), int(0)) == Some(int(84)));
        assert_eq!(map.len(), 100);
    }

    #[test]
    fn scattered_keys_move_to_the_dense_part_when_the_table_grows() {
        // 1..=5000 times a stride coprime with 10007: scattered over 0..10007.
        let mut map = HashMap::new();
        for i in 1..=5000 {
            map.insert(int(i * 7919 % 10007), int(i));
        }
        assert_eq!(map.len(), 5000);
        assert!(map.dense.len() > 5000, "dense part: {}", map.dense.len());
        assert!(map.table.len() < 1000, "left in the table: {}", map.table.len());
        for i in 1..=5000 {
            assert!(map.get(&int(i * 7919 % 10007)) == Some(&int(i)));
        }
        let mut keys: Vec<i64> = map.keys().map(|k| if let Value::Int(k) = k { k } else { panic!() }).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 5000);
    }

    #[test]
    fn sparse_and_other_keys_stay_in_the_table() {
        let mut map = HashMap::new();
        for i in 0..1000 {
            map.insert(int(i * 1_000_003), int(i));
            map.insert(Value::str(format!("k{i}")), int(i));
            map.insert(Value::Float(i as f64), int(-i));
        }
        assert_eq!(map.len(), 3000);
        assert!(map.dense.len() <= 1, "dense part: {}", map.dense.len());
        assert!(map.get(&Value::Float(3.0)) == Some(&int(-3)));
        assert!(map.get(&int(3_000_009)) == Some(&int(3)));
        assert!(map.get(&Value::str("k7")) == Some(&int(7)));
    }

    #[test]
    fn a_key_past_the_end_found_in_the_table_is_moved_not_duplicated() {
        let mut map = HashMap::new();
        map.insert(int(0), int(0));
        map.insert(int(2), int(2)); // past the end: table
        map.insert(int(1), int(1)); // appends slot 1
        map.insert(int(2), int(20)); // appends slot 2, taking it from the table
        assert_eq!(map.len(), 3);
        assert!(map.table.is_empty());
        assert!(map.get(&int(2)) == Some(&int(20)));
        assert_eq!(map.iter().count(), 3);
    }

    #[test]
    fn removal_and_nil_values() {
        let mut map = HashMap::new();
        for k in 0..10 {
            map.insert(int(k), Value::Nil);
        }
        assert!(map.contains_key(&int(5)), "a nil value is still an entry");
        assert!(map.remove(&int(5)) == Some(Value::Nil));
        assert!(!map.contains_key(&int(5)));
        assert!(map.remove(&int(5)).is_none());
        assert_eq!(map.len(), 9);
        for k in 0..10 {
            map.remove(&int(k));
        }
        assert!(map.is_empty());
        assert!(map.dense.is_empty());
    }

    #[test]
    fn a_queue_of_growing_keys_keeps_the_dense_part_small() {
        // Insert at the tail, remove at the head, 8 entries live at a time.
        let mut map = HashMap::new();
        for k in 0..100_000 {
            map.insert(int(k), int(k));
            if k >= 8 {
                assert!(map.remove(&int(k - 8)).is_some());
            }
        }
        assert_eq!(map.len(), 8);
        assert!(map.dense.len() <= 3 * 8, "dense part: {}", map.dense.len());
        assert_eq!(map.iter().count(), 8);
        assert!(map.get(&int(99_999)) == Some(&int(99_999)));
        assert!(map.get(&int(99_991)).is_none());
    }

    #[test]
    fn a_dense_part_emptied_below_a_sixth_goes_back_to_the_table() {
        let mut map: HashMap = (0..600).map(|k| (int(k), int(k))).collect();
        assert_eq!(map.dense.len(), 600);
        for k in 0..550 {
            map.remove(&int(k));
        }
        assert!(map.dense.is_empty(), "dense part kept: {}", map.dense.len());
        assert_eq!(map.len(), 50);
        assert!((550..600).all(|k| map.get(&int(k)) == Some(&int(k))));
    }

    #[test]
    fn equality_ignores_where_entries_live() {
        let dense: HashMap = (0..3).map(|k| (int(k), int(k))).collect();
        // Keys 2 and 1 arrive past the end of the dense part: they stay in the table.
        let mut table: HashMap = (0..3).rev().map(|k| (int(k), int(k))).collect();
        assert_eq!((dense.dense.len(), table.dense.len()), (3, 1));
        assert!(dense == table && table == dense);
        table.insert(int(2), int(0));
        assert!(dense != table && table != dense);
    }
}
