//! The persistent translation cache's files (the translator's `cache::persist` holds their
//! contents): translations of a program saved when its process ends or execs, placed by later
//! runs of it wherever the guest code they were made from is unchanged.
//!
//! One file per program (by its path, size and modification time) and context
//! (a64x's binary, the lift options, the host's features), in a directory of the user's
//! (`--cache-dir`, `A64X_CACHE_DIR`; by default `$XDG_CACHE_HOME/a64x` or `~/.cache/a64x`):
//! private (mode 0700, owned by the user, not a symlink) or not used. Every entry carries a
//! SipHash tag under the directory's key (`key`, 16 random bytes, mode 0600): a file written by
//! anyone without the key, corrupted or cut short has its entries rejected and the blocks are
//! translated as usual. The guest runs as the same user, so the VM refuses it every open of the
//! key file (by device and inode, `a64x_syscalls::keep_private`). Files are written to a
//! temporary name and renamed, so readers never see a torn file and the last of concurrent
//! writers wins; the directory is bounded (the least recently used files go first).

use a64x_translator::cache::persist::{FileOut, Store, MAX_FILE_BYTES};
use a64x_translator::lift::LiftOptions;
use a64x_translator::siphash::siphash24;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// Translations made by a process fewer than this, or than the file's entries over
/// `NEW_FRACTION`, are not worth rewriting its file for (a warm run promotes a few dozen blocks
/// that its next run promotes again at the cost of those few translations).
const MIN_NEW: usize = 16;
const NEW_FRACTION: usize = 32;
/// A forked child saves its translations from this many on, if the file is still the one its
/// store read: they are of code its parent never runs (what a shell's child does between fork
/// and exec or exit), which every later child would make again, never saved, since each makes
/// fewer than `MIN_NEW` (13 to 40 blocks, 0.6 ms, in each of bash's subshells); the first child
/// saves them, and its siblings, finding the file changed, leave it.
const MIN_NEW_FORKED: usize = 4;
/// Bytes of cache files a directory keeps (`A64X_CACHE_SIZE` in MiB changes it).
const MAX_DIR_BYTES: u64 = 1 << 30;
/// A save checks the directory's bound with the odds of its file's growth in this many
/// parts of the bound: about once for each such part written, as measuring the directory takes a
/// stat of every file in it (45 ms for 6,000 files, more than a cold start of Python), which
/// every save did. The directory may go over its bound by about one part (32 MiB of 1 GiB)
/// before a check brings it back.
const CHECKS_PER_BOUND: u64 = 32;

struct Opened {
    store: Arc<Store>,
    /// The file the store read, by device and inode (None: there was none).
    loaded: Option<(u64, u64)>,
    /// The file's mapping (address, length) the store reads, if there was a file.
    mapping: Option<(usize, usize)>,
    dir: PathBuf,
    /// The file's name in `dir`.
    name: OsString,
}

/// The current program's cache file; replaced when the guest execs in place.
static OPEN: Mutex<Option<Opened>> = Mutex::new(None);

fn opened() -> MutexGuard<'static, Option<Opened>> {
    OPEN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The default cache directory: `$XDG_CACHE_HOME/a64x`, else `$HOME/.cache/a64x` when the home
/// directory exists. A home that does not (`HOME=/nonexistent`, as Debian's build daemons and
/// system users have, so that nothing is written there) is not made: no cache by default.
pub fn default_dir() -> Option<PathBuf> {
    let absolute = |v: OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").and_then(absolute) {
        return Some(x.join("a64x"));
    }
    std::env::var_os("HOME")
        .and_then(absolute)
        .filter(|h| h.is_dir())
        .map(|h| h.join(".cache/a64x"))
}

/// Open the cache in `dir` for `program` translated with `lift`: the store to give the code
/// cache, with the saved translations of earlier runs loaded. An error says why there is none.
pub fn open(dir: &Path, program: &Path, lift: LiftOptions) -> Result<Arc<Store>, String> {
    private_dir(dir)?;
    let key = read_key(dir)?;
    let context = context(lift)?;
    let name = file_name(program, context)?;
    let mut store = Store::new(key, context);
    let path = dir.join(&name);
    let mapping = map_private(&path, MAX_FILE_BYTES as u64);
    // (A file not mapped, not ours or empty, is told apart from a later one all the same.)
    let loaded = mapping.map_or_else(|| identity(&path), |(_, _, id)| Some(id));
    if let Some((at, len, _)) = mapping {
        // SAFETY: the mapping is unmapped only once the store is gone (`Retired::release`).
        // A file of another format or context is replaced at the next save.
        let _ = unsafe { store.load(at, len) };
    }
    let store = Arc::new(store);
    let mut open = opened();
    if open.is_some() {
        return Err("opened twice".to_string());
    }
    *open = Some(Opened {
        store: store.clone(),
        loaded,
        mapping: mapping.map(|(at, len, _)| (at as usize, len)),
        dir: dir.to_path_buf(),
        name,
    });
    Ok(store)
}

/// The file at `path` by device and inode, if there is one (not following a symlink).
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Make `dir` (mode 0700) if needed; an error unless it is a directory, not a symlink, owned
/// by this user and writable by nobody else.
fn private_dir(dir: &Path) -> Result<(), String> {
    let made = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir);
    made.map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let m = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !m.is_dir() || !ours(&m, 0o022) {
        return Err(format!("{} is not a private directory of this user", dir.display()));
    }
    Ok(())
}

/// The file at `path` mapped read-only (where, how long, its device and inode), if it is a regular file (not a
/// symlink) of this user that nobody else can write, of at most `max` bytes. Mapped, its pages
/// are those of every process reading it; whoever can write it may still cut it short under the
/// mapping, which is why the store reads it through probes.
fn map_private(path: &Path, max: u64) -> Option<(*const u8, usize, (u64, u64))> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .ok()?;
    let m = f.metadata().ok()?;
    if !m.is_file() || !ours(&m, 0o022) || m.len() > max || m.len() == 0 {
        return None;
    }
    let fd = std::os::fd::AsRawFd::as_raw_fd(&f);
    // Used now: the last the bound on the directory evicts (see `evict`).
    // SAFETY: our descriptor; a null `times` means now.
    unsafe { libc::futimens(fd, std::ptr::null()) };
    let len = m.len() as usize;
    // SAFETY: a new read-only mapping of our descriptor, at an address the kernel picks (outside
    // the guest region, which a64x has claimed).
    let at = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            // Populated at once: a run uses most of its program's entries, and one call maps
            // them for less than a fault every few pages.
            libc::MAP_PRIVATE | libc::MAP_POPULATE,
            fd,
            0,
        )
    };
    (at != libc::MAP_FAILED).then_some((at as *const u8, len, (m.dev(), m.ino())))
}

/// The directory's key, made if it has none; the guest may not open it from now on.
fn read_key(dir: &Path) -> Result<[u64; 2], String> {
    let path = dir.join("key");
    for _ in 0..2 {
        if let Some(f) = open_key(&path) {
            let m = f.metadata().map_err(|e| e.to_string())?;
            if !m.is_file() || !ours(&m, 0o077) || m.len() != 16 {
                return Err(format!("{} is not a private key file", path.display()));
            }
            a64x_syscalls::keep_private(m.dev(), m.ino());
            let mut k = [0u8; 16];
            (&f).read_exact(&mut k).map_err(|e| e.to_string())?;
            let word = |i: usize| u64::from_le_bytes(k[i..i + 8].try_into().expect("8 bytes"));
            return Ok([word(0), word(8)]);
        }
        make_key(dir, &path)?;
    }
    Err(format!("cannot read {}", path.display()))
}

/// Whether what `m` describes belongs to this user and has none of the permission bits `others`
/// (0o022: nobody else may write it; 0o077: nobody else may use it at all).
fn ours(m: &std::fs::Metadata, others: u32) -> bool {
    // SAFETY: geteuid has no preconditions.
    m.uid() == unsafe { libc::geteuid() } && m.mode() & others == 0
}

fn open_key(path: &Path) -> Option<File> {
    let flags = libc::O_NOFOLLOW | libc::O_CLOEXEC;
    OpenOptions::new().read(true).custom_flags(flags).open(path).ok()
}

/// Write 16 random bytes to a new file and link it as `path` (another process may win).
fn make_key(dir: &Path, path: &Path) -> Result<(), String> {
    let tmp = dir.join(format!(".key.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut k = [0u8; 16];
    crate::loader::fill_random(&mut k);
    let written = new_private_file(&tmp).and_then(|mut f| f.write_all(&k));
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(format!("{}: {e}", path.display())),
        _ => Ok(()),
    }
}

fn new_private_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// What the code depends on besides the guest's words: this a64x binary (by identity), the lift
/// options and the host features the backend uses.
fn context(lift: LiftOptions) -> Result<u64, String> {
    let me = std::fs::metadata("/proc/self/exe").map_err(|e| format!("a64x's own binary: {e}"))?;
    let host = a64x_translator::x64::host::HostFeatures::detect();
    let text = format!(
        "a64x {} {} {} {} {} {lift:?} {host:?}",
        me.dev(),
        me.ino(),
        me.size(),
        me.mtime(),
        me.mtime_nsec()
    );
    Ok(siphash24(0, 0, text.as_bytes()))
}

/// The file of `program` in `context`: named by the program's path, size and modification time.
/// Not by device and inode: a root made again from the same packages (a fresh chroot or container
/// of each CI job) has the same paths, sizes and times on new inodes, and should find its
/// translations. A different program that matches all three only has its entries rejected: they
/// are checked against the guest words they were made from.
fn file_name(program: &Path, context: u64) -> Result<OsString, String> {
    let path = crate::realpath::canonicalize(program).map_err(|e| format!("{}: {e}", program.display()))?;
    let m = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut id = path.as_os_str().as_bytes().to_vec();
    for v in [m.size(), m.mtime() as u64, m.mtime_nsec() as u64] {
        id.extend_from_slice(&v.to_le_bytes());
    }
    Ok(format!("{:016x}.tc", siphash24(context, 1, &id)).into())
}

/// Save this process's new translations (with the file's entries) if there are enough of them:
/// at exit and before an exec. They stay in memory: the process is about to end (or to be
/// replaced), and freeing them was a dozen munmaps of their chunks, about 1% of a cold python
/// start (an exec that fails saves them again at the exit, as the same file).
pub fn save() {
    let open = opened();
    let Some(o) = open.as_ref() else { return };
    let s = o.store.stats();
    let worth = s.new >= MIN_NEW && s.new * NEW_FRACTION >= s.entries;
    let child_worth = s.forked && s.new >= MIN_NEW_FORKED && identity(&o.dir.join(&o.name)) == o.loaded;
    if !worth && !child_worth {
        return;
    }
    let tmp = o
        .dir
        .join(format!(".{}.{}", o.name.to_string_lossy(), std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = new_private_file(&tmp).and_then(|f| {
        // The new entries go out as runs of tens or hundreds of KiB, which a buffer smaller
        // than them passes straight to write(); the file's old entries, one by one, are
        // gathered. (A buffer of a megabyte copied nearly every byte of a cold python's 10 MB
        // file into itself first.)
        let mut out = Out(std::io::BufWriter::with_capacity(64 << 10, &f));
        o.store.write_to(&mut out)?;
        out.flush()
    });
    let new_len = written
        .and_then(|()| std::fs::metadata(&tmp))
        .and_then(|m| std::fs::rename(&tmp, o.dir.join(&o.name)).map(|()| m.len()));
    let Ok(new_len) = new_len else {
        let _ = std::fs::remove_file(&tmp);
        return;
    };
    let max = dir_bound();
    let growth = new_len.saturating_sub(o.mapping.map_or(0, |(_, len)| len as u64));
    if check_due(growth, max, random_u64()) {
        evict(&o.dir, &o.name, max);
    }
}

/// A cache file being written: in order through a buffer, and the parts
/// [`FileOut::alongside`] is given at their place by a thread of their own, while the saving
/// thread makes ready what follows them.
struct Out<'f>(std::io::BufWriter<&'f File>);

impl Write for Out<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.write(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0.write_all(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl FileOut for Out<'_> {
    fn alongside(&mut self, parts: &[&[u8]], at: u64, meanwhile: &mut dyn FnMut()) -> std::io::Result<()> {
        self.0.flush()?;
        let file: &File = self.0.get_ref();
        let write_parts = move || {
            let mut offset = at;
            for part in parts {
                file.write_all_at(part, offset)?;
                offset += part.len() as u64;
            }
            Ok::<u64, std::io::Error>(offset)
        };
        let end = std::thread::scope(|s| {
            let side = crate::signal::host::with_all_blocked(|| {
                std::thread::Builder::new()
                    .name("a64x-save".into())
                    .stack_size(64 << 10)
                    .spawn_scoped(s, write_parts)
            });
            match side {
                Ok(side) => {
                    meanwhile();
                    side.join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("the writer panicked")))
                }
                // No thread to be had: all of it here.
                Err(_) => {
                    let end = write_parts();
                    meanwhile();
                    end
                }
            }
        })?;
        self.0.get_mut().seek(SeekFrom::Start(end)).map(drop)
    }
}

/// The directory's bound in bytes.
fn dir_bound() -> u64 {
    std::env::var("A64X_CACHE_SIZE")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(MAX_DIR_BYTES, |mib| mib.saturating_mul(1 << 20))
}

/// Whether a save whose file grew by `growth` bytes checks the bound `max`, given a uniformly
/// random `r`: with the odds `growth` in `max / CHECKS_PER_BOUND` (certainly from there on).
fn check_due(growth: u64, max: u64, r: u64) -> bool {
    let part = (max / CHECKS_PER_BOUND).max(1);
    growth >= part || r % part < growth
}

/// 64 random bits from the kernel (0 if it has none to give).
fn random_u64() -> u64 {
    let mut r = [0u8; 8];
    // SAFETY: getrandom(2) into a local buffer of its length.
    unsafe { libc::getrandom(r.as_mut_ptr().cast(), r.len(), libc::GRND_NONBLOCK) };
    u64::from_ne_bytes(r)
}

/// Run a fork's `clone` (see `Store::fork`). The file's record is held across it, so that a
/// child never starts with it held by a thread it does not have (one saving at its exit).
pub fn fork(clone: &mut dyn FnMut() -> i64) -> i64 {
    match opened().as_ref() {
        Some(o) => o.store.fork(clone),
        None => clone(),
    }
}

/// Save the program's new translations and close its cache file: the guest execs another
/// program in this process, which opens its own. The file stays mapped until
/// [`Retired::release`].
pub fn close() -> Retired {
    save();
    // (The process goes on: what was saved is in the file now.)
    if let Some(o) = opened().as_ref() {
        o.store.forget_new();
    }
    Retired(opened().take())
}

/// A closed cache file: its store and mapping.
pub struct Retired(Option<Opened>);

impl Retired {
    /// Unmap the file, if nothing else holds its store any more (the code caches that used it
    /// are gone); else it stays mapped, as the store may still read it.
    pub fn release(self) {
        let Some(Opened {
            store,
            mapping: Some((at, len)),
            ..
        }) = self.0
        else {
            return;
        };
        if Arc::into_inner(store).is_some() {
            // SAFETY: the mapping `open` made, which the store just dropped was the last to read.
            unsafe { libc::munmap(at as *mut libc::c_void, len) };
        }
    }
}

/// What the store did, for `--stats`.
pub fn stats() -> Option<a64x_translator::cache::persist::StoreStats> {
    opened().as_ref().map(|o| o.store.stats())
}

/// Delete the least recently written cache files of `dir` (not `keep`) while they hold more than
/// `max` bytes.
fn evict(dir: &Path, keep: &OsString, max: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    // (By the time to the nanosecond: files saved in the same second go oldest first too.)
    let mut files: Vec<((i64, i64), u64, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "tc") && &e.file_name() != keep)
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some(((m.mtime(), m.mtime_nsec()), m.len(), e.path()))
        })
        .collect();
    let kept = std::fs::metadata(dir.join(keep)).map_or(0, |m| m.len());
    let mut total = kept + files.iter().map(|f| f.1).sum::<u64>();
    files.sort();
    for (_, len, path) in files {
        if total <= max {
            break;
        }
        if std::fs::remove_file(path).is_ok() {
            total -= len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_checked_about_once_a_part_written() {
        let max = 1 << 30;
        let part = max / CHECKS_PER_BOUND;
        // A file growing by a part or more checks it always; by nothing, never.
        assert!(check_due(part, max, u64::MAX - 1));
        assert!(check_due(10 * part, max, 12345));
        assert!(!check_due(0, max, 0));
        // By a quarter of a part: a quarter of the draws.
        let draws = 4096u64;
        let due = (0..draws)
            .filter(|i| check_due(part / 4, max, i * (part / draws) + 7))
            .count() as u64;
        assert_eq!(due, draws / 4);
        // A bound smaller than the parts it is checked in.
        assert!(check_due(1, 3, 0));
    }

    #[test]
    fn parts_written_alongside_land_between_what_comes_before_and_after() {
        let path = std::env::temp_dir().join(format!("a64x-out-test.{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let f = new_private_file(&path).expect("a file");
        let mut out = Out(std::io::BufWriter::with_capacity(8, &f));
        out.write_all(b"HEAD").expect("written");
        let big = vec![7u8; 3 << 20];
        let parts: [&[u8]; 3] = [b"abc", &big, b"defg"];
        let mut ran = false;
        out.alongside(&parts, 4, &mut || ran = true).expect("written");
        out.write_all(b"and the rest").expect("written");
        out.flush().expect("flushed");
        let file = std::fs::read(&path).expect("read back");
        let _ = std::fs::remove_file(&path);
        assert!(ran);
        assert_eq!(file, [&b"HEADabc"[..], &big, b"defgand the rest"].concat());
    }
}
