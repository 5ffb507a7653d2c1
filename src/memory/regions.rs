//! Guest address space, bookkeeping: the sorted, non-overlapping list of guest mappings with
//! split and merge, as mm/mmap.c keeps its VMAs (what /proc/self/maps shows, see fs/proc/task_mmu.c).

use std::collections::BTreeMap;

/// One guest mapping, `[start, end)`, page-aligned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// The protection the guest asked for (guest `PROT_*` bits, PROT_EXEC and PROT_BTI included),
    /// not the host's: PROT_EXEC pages are host-readable only.
    pub prot: i32,
    /// `MAP_SHARED` (the `s` of /proc/self/maps) rather than private.
    pub shared: bool,
    /// File offset of `start` for file mappings; 0 for anonymous ones.
    pub offset: u64,
    /// Device of the mapped file (0 for anonymous memory).
    pub dev: u64,
    /// Inode of the mapped file (0 for anonymous memory).
    pub inode: u64,
    /// What /proc/self/maps shows in the last column: a path, `[heap]`, `[stack]`, or empty.
    pub name: String,
    /// A System V shared memory segment attached by `shmat` (its id is `inode`, as
    /// /proc/self/maps shows it, 0 included); `offset` is then the offset into the segment.
    pub sysv: bool,
}

impl Region {
    /// An anonymous private region.
    pub fn anon(start: u64, end: u64, prot: i32, name: &str) -> Region {
        Region {
            start,
            end,
            prot,
            shared: false,
            offset: 0,
            dev: 0,
            inode: 0,
            name: name.to_string(),
            sysv: false,
        }
    }

    /// Whether `offset` means something (a file's or a shared memory segment's): it then follows
    /// the region's start when it is split.
    pub fn has_offset(&self) -> bool {
        self.inode != 0 || self.sysv
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the region is empty (never true for a stored region).
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Whether `next`, starting where `self` ends, can be folded into it (the kernel's
    /// `can_vma_merge_after`: same flags and file, contiguous file offsets).
    fn mergeable_with(&self, next: &Region) -> bool {
        self.end == next.start
            && self.prot == next.prot
            && self.shared == next.shared
            && self.dev == next.dev
            && self.inode == next.inode
            && self.name == next.name
            && self.sysv == next.sysv
            && (!self.has_offset() || self.offset + self.len() == next.offset)
    }
}

/// The guest mappings, keyed by start address.
#[derive(Debug, Default)]
pub struct RegionMap {
    map: BTreeMap<u64, Region>,
}

impl RegionMap {
    /// All regions in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.map.values()
    }

    /// The region containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Region> {
        self.map
            .range(..=addr)
            .next_back()
            .map(|(_, r)| r)
            .filter(|r| addr < r.end)
    }

    /// Splits the region containing `addr` in two at `addr` (a no-op at a boundary or a hole).
    fn split_at(&mut self, addr: u64) {
        let Some(r) = self.find(addr) else { return };
        if r.start == addr {
            return;
        }
        let left_start = r.start;
        let mut right = r.clone();
        right.start = addr;
        if right.has_offset() {
            right.offset += addr - left_start;
        }
        if let Some(left) = self.map.get_mut(&left_start) {
            left.end = addr;
        }
        self.map.insert(addr, right);
    }

    /// Start keys of the regions that overlap `[start, end)`, after splitting at both ends.
    fn isolate(&mut self, start: u64, end: u64) -> Vec<u64> {
        self.split_at(start);
        self.split_at(end);
        self.map.range(start..end).map(|(&k, _)| k).collect()
    }

    /// Forgets `[start, end)`, keeping the parts of regions outside it.
    pub fn remove_range(&mut self, start: u64, end: u64) {
        for k in self.isolate(start, end) {
            self.map.remove(&k);
        }
    }

    /// Records a new region, replacing whatever was recorded in its range.
    pub fn insert(&mut self, region: Region) {
        let (start, end) = (region.start, region.end);
        self.remove_range(start, end);
        self.map.insert(start, region);
        self.merge_around(start, end);
    }

    /// Sets the protection of `[start, end)`; the whole range must be covered.
    pub fn set_prot(&mut self, start: u64, end: u64, prot: i32) {
        for k in self.isolate(start, end) {
            if let Some(r) = self.map.get_mut(&k) {
                r.prot = prot;
            }
        }
        self.merge_around(start, end);
    }

    /// Folds mergeable neighbours from the region before `start` to the one after `end`.
    fn merge_around(&mut self, start: u64, end: u64) {
        let from = self.map.range(..start).next_back().map_or(start, |(&k, _)| k);
        let keys: Vec<u64> = self.map.range(from..=end).map(|(&k, _)| k).collect();
        let mut cur: Option<u64> = None;
        for k in keys {
            if let Some(c) = cur {
                let fold = match (self.map.get(&c), self.map.get(&k)) {
                    (Some(a), Some(b)) => a.mergeable_with(b),
                    _ => false,
                };
                if fold {
                    if let Some(b) = self.map.remove(&k) {
                        if let Some(a) = self.map.get_mut(&c) {
                            a.end = b.end;
                        }
                    }
                    continue;
                }
            }
            cur = Some(k);
        }
    }

    /// The sub-ranges of `[start, end)` not covered by any region, in order.
    pub fn gaps(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let mut gaps = Vec::new();
        let mut at = start;
        let first = self.find(start).map_or(start, |r| r.start);
        for r in self.map.range(first..end).map(|(_, r)| r) {
            if r.start > at {
                gaps.push((at, r.start));
            }
            at = at.max(r.end);
            if at >= end {
                break;
            }
        }
        if at < end {
            gaps.push((at, end));
        }
        gaps
    }

    /// The sub-ranges of `[start, end)` covered by regions, in order (adjacent pieces not joined).
    pub fn covered(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let first = self.find(start).map_or(start, |r| r.start);
        self.map
            .range(first..end)
            .map(|(_, r)| (r.start.max(start), r.end.min(end)))
            .filter(|(s, e)| s < e)
            .collect()
    }

    /// Whether any region overlaps `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        !self.covered(start, end).is_empty()
    }

    /// Removes and returns every region.
    pub fn take_all(&mut self) -> Vec<Region> {
        std::mem::take(&mut self.map).into_values().collect()
    }
}
