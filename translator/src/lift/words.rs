//! The guest words a lift read: what a translation depends on and what lifting it again must see
//! (the persistent cache compares them with memory before it places a saved translation; a
//! fault's map is made by lifting the block again from them).

/// The guest words a lift read, sorted by address, kept as runs of consecutive addresses (most
/// blocks read one or two): per run three u32s, the start's low and high halves and the count
/// with [`EXECUTABLE`] set when the words were executable, then the words of an executable run.
/// Held in place up to [`IN_PLACE`] u32s (a run of up to 11 words: most quick translations'),
/// else one allocation of a few dozen bytes, where a vector of (address, word) pairs took 16
/// bytes a word and, for a block decoded from the cache file, a second allocation (a warm
/// start places tens of thousands of blocks; an allocation each was 5% of placing one).
#[derive(Debug, Default)]
pub struct GuestWords(smallvec::SmallVec<[u32; IN_PLACE]>);

/// The u32s [`GuestWords`] holds without an allocation (64 bytes in all).
const IN_PLACE: usize = 14;

/// Set in a run's count when its words were executable (and so are kept).
const EXECUTABLE: u32 = 1 << 31;

/// Words of one run at most (a block reads a few dozen).
pub const MAX_RUN: u32 = 1 << 16;

/// Consecutive words a lift read: `len` of them from `start`, `words` if they were executable
/// (None: every fetch there gave None).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run<'a> {
    /// The first word's address.
    pub start: u64,
    /// How many words.
    pub len: u32,
    /// The words, if they were executable.
    pub words: Option<&'a [u32]>,
}

impl GuestWords {
    /// The words a lift read (sorted, each address once). (A loop over them, sized first:
    /// made for every block translated.)
    pub fn new(words: &[(u64, Option<u32>)]) -> GuestWords {
        debug_assert!(words.windows(2).all(|w| w[0].0 < w[1].0), "sorted, each once");
        // Whether the word after (address, executable) `prev` starts a run.
        let starts_run = |prev: Option<(u64, bool)>, (a, w): (u64, Option<u32>)| {
            prev.is_none_or(|(p, e)| a != p.wrapping_add(4) || w.is_some() != e)
        };
        let (mut size, mut prev) = (0, None);
        for &(a, w) in words {
            size += 3 * usize::from(starts_run(prev, (a, w))) + usize::from(w.is_some());
            prev = Some((a, w.is_some()));
        }
        // Written as a plain slice, in place or in a vector of the exact size, then made the
        // SmallVec (each push or extend of a SmallVec asks whether it is in place or not).
        let (mut buf, mut heap) = ([0u32; IN_PLACE], Vec::new());
        let out: &mut [u32] = if size <= IN_PLACE {
            &mut buf[..size]
        } else {
            heap.resize(size, 0);
            &mut heap
        };
        let (mut at, mut header, mut prev) = (0, 0, None);
        for &(a, w) in words {
            if starts_run(prev, (a, w)) {
                header = at;
                out[at..at + 3].copy_from_slice(&run_header(a, 0, w.is_some()));
                at += 3;
            }
            out[header + 2] += 1;
            if let Some(w) = w {
                out[at] = w;
                at += 1;
            }
            prev = Some((a, w.is_some()));
        }
        debug_assert_eq!(at, size, "sized exactly");
        GuestWords(if size <= IN_PLACE {
            smallvec::SmallVec::from_buf_and_len(buf, size)
        } else {
            smallvec::SmallVec::from_vec(heap)
        })
    }

    /// The runs, by address.
    pub fn runs(&self) -> impl Iterator<Item = Run<'_>> + Clone + '_ {
        let mut rest = &self.0[..];
        std::iter::from_fn(move || {
            let (&[lo, hi, count], tail) = rest.split_first_chunk::<3>()?;
            let len = count & !EXECUTABLE;
            let (words, tail) = if count & EXECUTABLE != 0 {
                let (w, t) = tail.split_at(len as usize);
                (Some(w), t)
            } else {
                (None, tail)
            };
            rest = tail;
            Some(Run {
                start: u64::from(lo) | u64::from(hi) << 32,
                len,
                words,
            })
        })
    }

    /// Whether `fetch` gives every word as it was read (None where it was not executable).
    pub fn match_fetch(&self, fetch: &dyn Fn(u64) -> Option<u32>) -> bool {
        self.runs().all(|r| {
            let at = |i: u32| r.start.wrapping_add(4 * u64::from(i));
            match r.words {
                Some(w) => w.iter().zip(0..).all(|(&w, i)| fetch(at(i)) == Some(w)),
                None => (0..r.len).all(|i| fetch(at(i)).is_none()),
            }
        })
    }

    /// Every address read, in order.
    pub fn addresses(&self) -> impl Iterator<Item = u64> + '_ {
        self.runs()
            .flat_map(|r| (0..u64::from(r.len)).map(move |i| r.start + 4 * i))
    }

    /// What the recorded fetch returned for `a` (None for what it never read).
    pub fn fetch(&self, a: u64) -> Option<u32> {
        let r = self
            .runs()
            .find(|r| a >= r.start && a - r.start < 4 * u64::from(r.len))?;
        let i = (a - r.start) / 4;
        (a - r.start).is_multiple_of(4).then_some(())?;
        r.words.map(|w| w[i as usize])
    }
}

/// A run's three u32s: its start's low and high halves, and `len` with [`EXECUTABLE`] set when
/// its words were executable.
fn run_header(start: u64, len: u32, executable: bool) -> [u32; 3] {
    let flag = if executable { EXECUTABLE } else { 0 };
    [start as u32, (start >> 32) as u32, len | flag]
}

/// Builds [`GuestWords`] a run at a time, in one pass (a saved translation's runs are read
/// from the file this way: checked and appended together).
#[derive(Default)]
pub struct RunsBuilder(smallvec::SmallVec<[u32; IN_PLACE]>);

impl RunsBuilder {
    /// Append the run of `len` words from `start` (after the runs before it, shorter than
    /// [`MAX_RUN`]), with its words if they were executable: `4 * len` little-endian bytes.
    pub fn run(&mut self, start: u64, len: u32, words: Option<&[u8]>) {
        debug_assert!(len < MAX_RUN && words.is_none_or(|w| w.len() == 4 * len as usize));
        self.0.extend_from_slice(&run_header(start, len, words.is_some()));
        if let Some(bytes) = words {
            let at = self.0.len();
            self.0.resize(at + bytes.len() / 4, 0);
            for (w, b) in self.0[at..].iter_mut().zip(bytes.chunks_exact(4)) {
                *w = u32::from_le_bytes(b.try_into().expect("4 bytes"));
            }
        }
    }

    /// The words.
    pub fn finish(self) -> GuestWords {
        GuestWords(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_words_keep_every_word_read_in_runs() {
        let read = [
            (0x1000, Some(1)),
            (0x1004, Some(2)),
            (0x1008, None),
            (0x100c, None),
            (0x2000, Some(3)),
            (0x2008, Some(4)),
        ];
        let words = GuestWords::new(&read);
        let runs: Vec<_> = words
            .runs()
            .map(|r| (r.start, r.len, r.words.map(<[u32]>::to_vec)))
            .collect();
        let expected = [
            (0x1000, 2, Some(vec![1, 2])),
            (0x1008, 2, None),
            (0x2000, 1, Some(vec![3])),
            (0x2008, 1, Some(vec![4])),
        ];
        assert_eq!(runs, expected);
        for &(a, w) in &read {
            assert_eq!(words.fetch(a), w);
        }
        assert_eq!(words.fetch(0x2004), None, "never read");
        let memory = |a: u64| read.iter().find(|&&(x, _)| x == a).and_then(|&(_, w)| w);
        assert!(words.match_fetch(&memory));
        // A word changed, a page that became executable or one that no longer is: not the same.
        assert!(!words.match_fetch(&|a| if a == 0x2008 { Some(5) } else { memory(a) }));
        assert!(!words.match_fetch(&|a| if a == 0x1008 { Some(0) } else { memory(a) }));
        assert!(!words.match_fetch(&|a| if a == 0x1000 { None } else { memory(a) }));
        assert!(GuestWords::new(&[]).match_fetch(&|_| None));
    }
}
