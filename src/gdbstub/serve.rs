//! The stopped thread's side of the session: the stop reply, then gdb's packets until it
//! resumes the guest (`c`, `s`, `C`, `S`, `vCont`), detaches (`D`) or kills it (`k`).

use super::packet::{hex, unhex, Incoming};
use super::{lock, regs, Session, StopReason, BREAKPOINTS, SESSION};
use crate::run::{GuestExit, Vm};
use a64x_translator::cpu::CpuState;

/// How gdb let the stopped thread go on.
#[derive(Debug, PartialEq, Eq)]
pub enum Resume {
    /// Run on, with this signal delivered (None: the one it stopped for, if any, is dropped).
    Run(Option<u32>),
    /// gdb detached: the guest runs on undebugged.
    Detach,
    /// gdb killed the guest.
    Kill,
}

/// What one packet asks of the serving loop.
enum Reply {
    /// Send this and read the next packet.
    Send(Vec<u8>),
    /// Resume the guest; the thread to step (0: none).
    Resume(Resume, u64),
}

impl Vm {
    /// At an instruction boundary with gdb attached: stop for it if a breakpoint, a step, Ctrl-C
    /// or the start says so. `Some` when gdb killed the guest.
    pub(crate) fn gdb_check(&mut self) -> Option<GuestExit> {
        let stop = super::check(self.cpu.pc, &self.mem);
        let stopped = stop.is_some();
        let result = stop.and_then(|reason| {
            let how = self.gdb_stop(reason);
            self.after_resume(how)
        });
        let step = super::take_step_start();
        if step {
            // The step runs a block of one instruction, translated now.
            let pc = self.cpu.pc;
            self.cache.invalidate(pc, pc + 4);
        }
        let behind = crate::thread::behind();
        if behind {
            // Breakpoints inserted while this thread was parked split its translations.
            crate::thread::catch_up(&mut self.cache);
        }
        if stopped || step || behind {
            // The last exit's chaining site may be in a dropped translation, or gdb moved the
            // pc: nothing to chain (as after a signal or a catch-up in the run loop).
            self.cpu.exit_site = 0;
        }
        result
    }

    /// What the run loop does after gdb resumed this thread.
    fn after_resume(&mut self, how: Resume) -> Option<GuestExit> {
        match how {
            Resume::Run(Some(sig)) => {
                let pc = self.cpu.pc;
                // SI_USER: sent by gdb's `signal SIG`, as kill(2) would.
                if self.force_sync_signal(sig as i32, 0, pc) {
                    return None;
                }
                // No handler: the default action, as for a kill(2).
                use crate::signal::DefaultAction;
                match crate::signal::default_action(sig) {
                    DefaultAction::Terminate | DefaultAction::Core => Some(GuestExit::Signaled(sig as i32)),
                    DefaultAction::Ignore | DefaultAction::Stop => None,
                }
            }
            Resume::Run(None) | Resume::Detach => None,
            Resume::Kill => Some(GuestExit::Signaled(libc::SIGKILL)),
        }
    }

    /// Stop this thread (and park the others) for gdb, report `reason`, and serve gdb until it
    /// resumes the guest.
    pub(crate) fn gdb_stop(&mut self, reason: StopReason) -> Resume {
        if !super::active() {
            return Resume::Run(match reason {
                StopReason::Signal(s) => Some(s),
                _ => None,
            });
        }
        let mut guard = lock(&SESSION);
        let Some(session) = guard.as_mut() else {
            return Resume::Detach;
        };
        super::stop_others();
        let tid = super::gettid();
        session.selected = tid;
        let watch = match reason {
            StopReason::Watch(addr) => format!("watch:{addr:x};"),
            _ => String::new(),
        };
        let stop_reply = format!("T{:02x}{watch}thread:{tid:x};", reason.gdb_signal());
        // A stop gdb resumed from is reported when it happens; the first one when gdb asks.
        if reason != StopReason::Start && session.ch.send(stop_reply.as_bytes()).is_err() {
            return end_session(guard);
        }
        loop {
            let pkt = match session.ch.recv() {
                Incoming::Packet(p) => p,
                Incoming::Interrupt => continue,
                Incoming::Closed => return end_session(guard),
            };
            match self.answer(session, &pkt, &stop_reply) {
                Reply::Send(r) => {
                    if session.ch.send(&r).is_err() {
                        return end_session(guard);
                    }
                }
                Reply::Resume(Resume::Detach, _) => {
                    let _ = session.ch.send(b"OK");
                    return end_session(guard);
                }
                Reply::Resume(how, step) => {
                    drop(guard);
                    super::refresh_watchpoints(&self.mem());
                    super::resume_all(step);
                    return how;
                }
            }
        }
    }

    /// The answer to one packet.
    fn answer(&mut self, s: &mut Session, pkt: &[u8], stop_reply: &str) -> Reply {
        let text = String::from_utf8_lossy(pkt);
        let send = |r: &str| Reply::Send(r.as_bytes().to_vec());
        let Some(&first) = pkt.first() else { return send("") };
        let args = &text[1..];
        match first {
            b'?' => send(stop_reply),
            b'g' => self.with_selected(s, |c| Some(hex(&regs::read_all(c)))),
            b'G' => self.with_selected(s, |c| {
                let bytes = unhex(args.as_bytes())?;
                regs::write_all(c, &bytes).then(|| "OK".to_string())
            }),
            b'p' => self.with_selected(s, |c| {
                regs::read(c, usize::from_str_radix(args, 16).ok()?).map(|b| hex(&b))
            }),
            b'P' => self.with_selected(s, |c| {
                let (n, v) = args.split_once('=')?;
                let ok = regs::write(c, usize::from_str_radix(n, 16).ok()?, &unhex(v.as_bytes())?);
                ok.then(|| "OK".to_string())
            }),
            b'm' => send(&self.read_memory(args).unwrap_or_else(|| "E14".into())),
            b'M' => send(if self.write_memory(args).is_some() { "OK" } else { "E14" }),
            b'Z' | b'z' if args.starts_with('2') => {
                let r = self.watchpoint(first == b'Z', args);
                // Every thread's translations go: from now on (or no longer) blocks are single
                // instructions.
                crate::thread::invalidate_everywhere(&mut self.cache, &*self.cpu, 0, u64::MAX);
                send(r)
            }
            b'Z' | b'z' => {
                let r = breakpoint(first == b'Z', args);
                if let Some(addr) = args.split(',').nth(1).and_then(|a| u64::from_str_radix(a, 16).ok()) {
                    // Translations holding the address, in every thread, are split there.
                    crate::thread::invalidate_everywhere(&mut self.cache, &*self.cpu, addr, addr.saturating_add(4));
                }
                send(r)
            }
            b'H' => {
                let tid = parse_tid(&args[1.min(args.len())..]);
                if args.starts_with('g') && tid > 0 {
                    s.selected = tid;
                }
                send("OK")
            }
            b'T' => send(if super::cpu_of(parse_tid(args)).is_some() {
                "OK"
            } else {
                "E01"
            }),
            b'c' | b's' | b'C' | b'S' => resume_simple(first, args),
            b'D' => Reply::Resume(Resume::Detach, 0),
            b'k' => Reply::Resume(Resume::Kill, 0),
            b'q' | b'Q' => Reply::Send(self.query(s, &text)),
            b'v' => match text.strip_prefix("vFile:") {
                Some(rest) => Reply::Send(s.files.answer(rest, s.sysroot.as_deref())),
                None => self.v_packet(&text),
            },
            _ => send(""),
        }
    }

    /// Run `f` on the registers of the thread gdb selected (`Hg`).
    fn with_selected(&mut self, s: &Session, f: impl FnOnce(&mut CpuState) -> Option<String>) -> Reply {
        let cpu = super::cpu_of(s.selected).unwrap_or(&mut *self.cpu as *mut CpuState);
        // SAFETY: the selected thread is this one or a parked one (its run loop waits in `park`
        // while this thread serves gdb), so nothing else touches its CpuState now.
        let answer = f(unsafe { &mut *cpu }).unwrap_or_else(|| "E01".into());
        Reply::Send(answer.into_bytes())
    }

    /// `m ADDR,LEN`: guest memory, as the guest may read it.
    fn read_memory(&self, args: &str) -> Option<String> {
        let (addr, len) = args.split_once(',')?;
        let addr = u64::from_str_radix(addr, 16).ok()?;
        let len = usize::from_str_radix(len, 16).ok()?.min(0x1000);
        let bytes = a64x_syscalls::read_bytes(&*self.mem(), addr, len).ok()?;
        Some(hex(&bytes))
    }

    /// `M ADDR,LEN:BYTES`: written where the guest may write; translations of it are dropped.
    fn write_memory(&mut self, args: &str) -> Option<()> {
        let (place, data) = args.split_once(':')?;
        let (addr, len) = place.split_once(',')?;
        let addr = u64::from_str_radix(addr, 16).ok()?;
        let bytes = unhex(data.as_bytes())?;
        if bytes.len() != usize::from_str_radix(len, 16).ok()? {
            return None;
        }
        a64x_syscalls::write_bytes(&*self.mem(), addr, &bytes).ok()?;
        let end = addr.checked_add(bytes.len() as u64)?;
        crate::thread::invalidate_everywhere(&mut self.cache, &*self.cpu, addr, end);
        Some(())
    }

    /// `Z2`/`z2,ADDR,LEN`: a write watchpoint (read and access ones, `Z3`/`Z4`, are not
    /// offered: gdb then says so).
    fn watchpoint(&self, insert: bool, args: &str) -> &'static str {
        let mut parts = args.split(',').skip(1);
        let (Some(addr), Some(len)) = (parts.next(), parts.next()) else {
            return "E01";
        };
        let (Ok(addr), Ok(len)) = (u64::from_str_radix(addr, 16), usize::from_str_radix(len, 16)) else {
            return "E01";
        };
        if len == 0 || len > 64 {
            return "E01";
        }
        super::set_watchpoint(insert, addr, len, &self.mem());
        "OK"
    }

    /// `q`/`Q` packets.
    fn query(&self, s: &mut Session, text: &str) -> Vec<u8> {
        let tid = super::gettid();
        if text.starts_with("qSupported") {
            return b"PacketSize=4000;qXfer:features:read+;qXfer:auxv:read+;qXfer:exec-file:read+;\
                     QStartNoAckMode+;vContSupported+"
                .to_vec();
        }
        if text == "QStartNoAckMode" {
            s.ch.no_ack = true;
            return b"OK".to_vec();
        }
        if let Some(rest) = text.strip_prefix("qXfer:") {
            return xfer(s, rest);
        }
        let answer: String = match text {
            "qC" => format!("QC{tid:x}"),
            "qfThreadInfo" => {
                let ids: Vec<String> = super::thread_ids().iter().map(|t| format!("{t:x}")).collect();
                format!("m{}", ids.join(","))
            }
            "qsThreadInfo" => "l".into(),
            "qAttached" => "1".into(),
            "qSymbol::" => "OK".into(),
            _ => String::new(),
        };
        answer.into_bytes()
    }

    /// `vCont?`, `vCont;ACTION[:TID]...`, `vMustReplyEmpty` and the rest (empty: unsupported).
    fn v_packet(&self, text: &str) -> Reply {
        if text == "vCont?" {
            return Reply::Send(b"vCont;c;C;s;S".to_vec());
        }
        let Some(actions) = text.strip_prefix("vCont;") else {
            return Reply::Send(Vec::new());
        };
        let me = super::gettid();
        let mut step = 0;
        let mut signal = None;
        for action in actions.split(';') {
            let (what, tid) = match action.split_once(':') {
                Some((w, t)) => (w, parse_tid(t)),
                None => (action, 0),
            };
            let applies_to_me = tid == 0 || tid == me;
            match what.as_bytes().first() {
                Some(b's' | b'S') if step == 0 => step = if tid == 0 { me } else { tid },
                _ => {}
            }
            if what.starts_with(['C', 'S']) && applies_to_me && signal.is_none() {
                signal = u8::from_str_radix(&what[1..], 16).ok().and_then(regs::from_gdb);
            }
        }
        Reply::Resume(Resume::Run(signal), step)
    }
}

/// gdb went away or detached while this thread served it: the session ends and the parked
/// threads run on.
fn end_session(mut guard: std::sync::MutexGuard<'_, Option<Session>>) -> Resume {
    super::end(&mut guard);
    drop(guard);
    super::resume_all(0);
    Resume::Detach
}

/// `c`, `s`, `C SIG`, `S SIG` (a resume address is not supported: gdb does not send one).
fn resume_simple(cmd: u8, args: &str) -> Reply {
    let signal = match cmd {
        b'C' | b'S' => u8::from_str_radix(args.split(';').next().unwrap_or(""), 16)
            .ok()
            .and_then(regs::from_gdb),
        _ => None,
    };
    let step = if matches!(cmd, b's' | b'S') { super::gettid() } else { 0 };
    Reply::Resume(Resume::Run(signal), step)
}

/// `Z0`/`Z1` (and `z`): a breakpoint at an address; watchpoints are left to gdb (it steps).
fn breakpoint(insert: bool, args: &str) -> &'static str {
    let mut parts = args.split(',');
    let (Some(kind), Some(addr)) = (parts.next(), parts.next()) else {
        return "E01";
    };
    if kind != "0" && kind != "1" {
        return "";
    }
    let Ok(addr) = u64::from_str_radix(addr, 16) else {
        return "E01";
    };
    let mut bps = BREAKPOINTS.write().unwrap_or_else(|e| e.into_inner());
    if insert {
        if !bps.contains(&addr) {
            bps.push(addr);
        }
    } else {
        bps.retain(|&b| b != addr);
    }
    super::BREAKPOINT_COUNT.store(bps.len(), std::sync::atomic::Ordering::SeqCst);
    "OK"
}

/// A thread id of `Hg`, `T`, `vCont` (hex; `-1` and `0` mean any: 0 here).
fn parse_tid(text: &str) -> u64 {
    let text = text.trim_start_matches('p').split('.').next_back().unwrap_or(text);
    if text.starts_with('-') {
        return 0;
    }
    u64::from_str_radix(text, 16).unwrap_or(0)
}

/// `qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH`: `m` and a piece, or `l` and the last one.
fn xfer(s: &Session, rest: &str) -> Vec<u8> {
    let mut parts = rest.splitn(4, ':');
    let (Some(object), Some("read"), Some(annex), Some(range)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Vec::new();
    };
    let data: Vec<u8> = match (object, annex) {
        ("features", "target.xml") => regs::target_xml().into_bytes(),
        ("auxv", "") => s.auxv.clone(),
        ("exec-file", _) => s.exe.clone().into_bytes(),
        _ => return b"E00".to_vec(),
    };
    let Some((off, len)) = range.split_once(',') else {
        return b"E00".to_vec();
    };
    let (Ok(off), Ok(len)) = (usize::from_str_radix(off, 16), usize::from_str_radix(len, 16)) else {
        return b"E00".to_vec();
    };
    let start = off.min(data.len());
    let end = start.saturating_add(len).min(data.len());
    // Binary data: the channel escapes what must be.
    let mut out = vec![if end == data.len() { b'l' } else { b'm' }];
    out.extend_from_slice(&data[start..end]);
    out
}
