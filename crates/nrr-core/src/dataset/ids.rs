//! Customer ids interned in one buffer, and their merge by the customer map.

use super::{Lines, Pause};
use crate::customer_map::CustomerMap;

/// Customer ids interned in one byte buffer, so a million customers cost no million
/// allocations. A customer's index is its position in first-appearance order.
#[derive(Clone, Debug, Default)]
pub struct Ids {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// Each id's hash, so growing the table and merging builders never hash an id twice.
    hashes: Vec<u64>,
    table: hashbrown::HashTable<u32>,
}

fn hash_id(id: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(id)
}

impl Ids {
    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn bytes_of(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The id with index `i`.
    pub fn get(&self, i: usize) -> &str {
        // Only whole `&str`s are ever appended, so every range is valid UTF-8.
        std::str::from_utf8(self.bytes_of(i)).unwrap_or("")
    }

    /// All ids in index order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The index of `id`, if present.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        let id = id.as_bytes();
        self.table
            .find(hash_id(id), |&i| self.bytes_of(i as usize) == id)
            .copied()
    }

    /// Orders two ids by their text (bytes), without decoding them.
    pub fn cmp_ids(&self, a: u32, b: u32) -> std::cmp::Ordering {
        self.bytes_of(a as usize).cmp(self.bytes_of(b as usize))
    }

    /// `true` when index `i` holds `id`.
    pub fn is(&self, i: u32, id: &str) -> bool {
        self.bytes_of(i as usize) == id.as_bytes()
    }

    /// Makes room for `additional` more ids (of about 16 bytes).
    pub fn reserve(&mut self, additional: usize) {
        self.ends.reserve(additional);
        self.hashes.reserve(additional);
        self.bytes.reserve(additional * 16);
        let hashes = &self.hashes;
        self.table.reserve(additional, |&j| hashes[j as usize]);
    }

    /// The index of `id`, adding it if new.
    pub fn intern(&mut self, id: &str) -> u32 {
        let id = id.as_bytes();
        self.intern_hashed(id, hash_id(id))
    }

    fn intern_hashed(&mut self, id: &[u8], h: u64) -> u32 {
        if let Some(&i) = self.table.find(h, |&i| self.bytes_of(i as usize) == id) {
            return i;
        }
        let i = self.ends.len() as u32;
        self.bytes.extend_from_slice(id);
        self.ends.push(self.bytes.len());
        self.hashes.push(h);
        let hashes = &self.hashes;
        self.table.insert_unique(h, i, |&j| hashes[j as usize]);
        i
    }

    /// Merges segments of ids (read in this order) into one set without duplicates, in
    /// first-appearance order. Returns it (without a lookup table) and, for every id of every
    /// segment in order, its index in it. Duplicates are found shard by shard (by hash) in
    /// parallel, each shard's table small enough to stay in cache.
    pub(super) fn unify(segments: Vec<Ids>) -> (Ids, Vec<u32>) {
        use rayon::prelude::*;
        const SHARD_BITS: u32 = 6;
        const SHARDS: usize = 1 << SHARD_BITS;
        // Middle bits: hashbrown takes the bucket from the low bits and the tag from the top
        // seven, so sharding on either would make every id of a shard collide.
        let shard = |h: u64| ((h >> 32) as usize) & (SHARDS - 1);
        let mut bases = Vec::with_capacity(segments.len() + 1);
        let mut total = 0usize;
        for seg in &segments {
            bases.push(total);
            total += seg.len();
        }
        bases.push(total);
        // Every segment's ids bucketed by shard (a counting sort per segment).
        let buckets: Vec<(Vec<u32>, Vec<usize>)> = segments
            .par_iter()
            .map(|seg| {
                let mut offsets = vec![0usize; SHARDS + 1];
                for &h in &seg.hashes {
                    offsets[shard(h) + 1] += 1;
                }
                for k in 0..SHARDS {
                    offsets[k + 1] += offsets[k];
                }
                let mut next = offsets.clone();
                let mut order = vec![0u32; seg.len()];
                for (i, &h) in seg.hashes.iter().enumerate() {
                    order[next[shard(h)]] = i as u32;
                    next[shard(h)] += 1;
                }
                (order, offsets)
            })
            .collect();
        // Per shard: which ids repeat an earlier one, as (provisional index, first one's).
        let dups: Vec<Vec<(u32, u32)>> = (0..SHARDS)
            .into_par_iter()
            .map(|k| {
                let size: usize = buckets.iter().map(|(_, o)| o[k + 1] - o[k]).sum();
                let mut table: hashbrown::HashTable<(u32, u32)> =
                    hashbrown::HashTable::with_capacity(size);
                let mut dups = Vec::new();
                for (si, seg) in segments.iter().enumerate() {
                    let (order, offsets) = &buckets[si];
                    for &i in &order[offsets[k]..offsets[k + 1]] {
                        let (i, h) = (i as usize, seg.hashes[i as usize]);
                        let id = seg.bytes_of(i);
                        let prov = (bases[si] + i) as u32;
                        match table.find(h, |&(s2, i2)| {
                            segments[s2 as usize].bytes_of(i2 as usize) == id
                        }) {
                            Some(&(s2, i2)) => {
                                dups.push((prov, (bases[s2 as usize] + i2 as usize) as u32))
                            }
                            None => {
                                table.insert_unique(h, (si as u32, i as u32), |&(s2, i2)| {
                                    segments[s2 as usize].hashes[i2 as usize]
                                });
                            }
                        }
                    }
                }
                dups
            })
            .collect();
        let mut first: Vec<u32> = (0..total as u32).collect();
        for (prov, to) in dups.into_iter().flatten() {
            first[prov as usize] = to;
        }
        // Dense indices in first-appearance order; a repeat takes its first one's index.
        let mut dense = vec![0u32; total];
        let mut out = Ids::default();
        for (si, seg) in segments.iter().enumerate() {
            for i in 0..seg.len() {
                let prov = bases[si] + i;
                let f = first[prov] as usize;
                if f == prov {
                    dense[prov] = out.ends.len() as u32;
                    out.bytes.extend_from_slice(seg.bytes_of(i));
                    out.ends.push(out.bytes.len());
                    out.hashes.push(seg.hashes[i]);
                } else {
                    dense[prov] = dense[f];
                }
            }
        }
        (out, dense)
    }
}

/// The customer ids with those `map` replaces merged into their targets (new indices in
/// first-appearance order), every line and pause moved to its customer's new index; returns
/// the ids and the number of lines whose customer was mapped.
pub(super) fn merge_ids(
    ids: Ids,
    map: &CustomerMap,
    lines: &mut Lines,
    pauses: &mut [Pause],
) -> (Ids, u64) {
    let mut merged = Ids::default();
    let mut was_mapped = Vec::with_capacity(ids.len());
    let new_index: Vec<u32> = ids
        .iter()
        .map(|id| {
            let target = map.target(id);
            was_mapped.push(target.is_some());
            merged.intern(target.unwrap_or(id))
        })
        .collect();
    let mut mapped = 0u64;
    for c in &mut lines.customer {
        mapped += u64::from(was_mapped[*c as usize]);
        *c = new_index[*c as usize];
    }
    for p in pauses {
        p.customer = new_index[p.customer as usize];
    }
    (merged, mapped)
}
