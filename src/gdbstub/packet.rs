//! The framing of gdb's remote serial protocol (the gdb manual, "Remote Protocol": Overview):
//! `$DATA#CS` packets with a two-digit hex checksum (the sum of DATA's bytes modulo 256), `+`/`-`
//! acknowledgements until `QStartNoAckMode`, `}` escapes (the byte xor 0x20) for `#`, `$`, `}`
//! and `*`, and the interrupt byte 0x03 that gdb sends outside packets for Ctrl-C.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

/// The connection to gdb: TCP (`-g PORT`) or a Unix socket (`-g PATH`).
pub enum Conn {
    /// `target remote :PORT`.
    Tcp(std::net::TcpStream),
    /// `target remote PATH`.
    Unix(UnixStream),
}

impl Conn {
    fn stream(&mut self) -> &mut dyn ReadWrite {
        match self {
            Conn::Tcp(s) => s,
            Conn::Unix(s) => s,
        }
    }

    /// The socket's descriptor.
    pub fn fd(&self) -> RawFd {
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// What arrived from gdb.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A packet's data, unescaped.
    Packet(Vec<u8>),
    /// Ctrl-C.
    Interrupt,
    /// gdb went away.
    Closed,
}

/// A connection with its read buffer and acknowledgement mode.
pub struct Channel {
    conn: Conn,
    input: Vec<u8>,
    at: usize,
    /// `QStartNoAckMode` was agreed: no `+` after each packet.
    pub no_ack: bool,
    last_sent: Vec<u8>,
    /// A Ctrl-C seen while looking for something else.
    interrupted: bool,
    /// gdb closed the connection (seen by [`Channel::poll_interrupt`]).
    pub closed: bool,
}

impl Channel {
    /// A channel over `conn`.
    pub fn new(conn: Conn) -> Channel {
        Channel {
            conn,
            input: Vec::new(),
            at: 0,
            no_ack: false,
            last_sent: Vec::new(),
            interrupted: false,
            closed: false,
        }
    }

    /// The socket's descriptor.
    pub fn fd(&self) -> RawFd {
        self.conn.fd()
    }

    fn byte(&mut self) -> Option<u8> {
        if self.at == self.input.len() {
            let mut buf = [0u8; 4096];
            let n = loop {
                match self.conn.stream().read(&mut buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r.ok()?,
                }
            };
            if n == 0 {
                return None;
            }
            self.input = buf[..n].to_vec();
            self.at = 0;
        }
        self.at += 1;
        Some(self.input[self.at - 1])
    }

    /// The next packet or interrupt (blocking).
    pub fn recv(&mut self) -> Incoming {
        if std::mem::take(&mut self.interrupted) {
            return Incoming::Interrupt;
        }
        loop {
            match self.byte() {
                None => return Incoming::Closed,
                Some(0x03) => return Incoming::Interrupt,
                Some(b'$') => {}
                Some(b'-') => {
                    let again = self.last_sent.clone();
                    let _ = self.conn.stream().write_all(&again);
                    continue;
                }
                Some(_) => continue, // `+`, or noise between packets
            }
            match self.packet_body() {
                None => return Incoming::Closed,
                Some(Some(data)) => {
                    if !self.no_ack {
                        let _ = self.conn.stream().write_all(b"+");
                    }
                    return Incoming::Packet(data);
                }
                Some(None) => {
                    let _ = self.conn.stream().write_all(b"-");
                }
            }
        }
    }

    /// After `$`: the data up to `#` and its checksum; Some(None) when the checksum is wrong.
    fn packet_body(&mut self) -> Option<Option<Vec<u8>>> {
        let mut data = Vec::new();
        let mut sum = 0u8;
        loop {
            let b = self.byte()?;
            if b == b'#' {
                break;
            }
            sum = sum.wrapping_add(b);
            if b == b'}' {
                let e = self.byte()?;
                sum = sum.wrapping_add(e);
                data.push(e ^ 0x20);
            } else {
                data.push(b);
            }
        }
        let hi = self.byte()?;
        let lo = self.byte()?;
        let given = std::str::from_utf8(&[hi, lo])
            .ok()
            .and_then(|s| u8::from_str_radix(s, 16).ok());
        Some((given == Some(sum)).then_some(data))
    }

    /// Send one packet (escaping what must be).
    pub fn send(&mut self, data: &[u8]) -> io::Result<()> {
        let mut out = Vec::with_capacity(data.len() + 4);
        out.push(b'$');
        let mut sum = 0u8;
        for &b in data {
            let esc: &[u8] = if matches!(b, b'#' | b'$' | b'}' | b'*') {
                &[b'}', b ^ 0x20]
            } else {
                std::slice::from_ref(&b)
            };
            for &e in esc {
                sum = sum.wrapping_add(e);
                out.push(e);
            }
        }
        out.extend_from_slice(format!("#{sum:02x}").as_bytes());
        self.last_sent = out.clone();
        self.conn.stream().write_all(&out)
    }

    /// Whether gdb sent Ctrl-C (looked at without blocking; a packet that arrives while the
    /// guest runs waits in the buffer).
    pub fn poll_interrupt(&mut self) -> bool {
        if self.interrupted {
            return true;
        }
        let mut buf = [0u8; 256];
        // SAFETY: a non-blocking recv into our buffer.
        let n = unsafe { libc::recv(self.fd(), buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
        if n > 0 {
            self.input.drain(..self.at);
            self.at = 0;
            self.input.extend_from_slice(&buf[..n as usize]);
        } else if n == 0 {
            self.closed = true;
        }
        if let Some(i) = self.input[self.at..].iter().position(|&b| b == 0x03) {
            self.input.remove(self.at + i);
            self.interrupted = true;
        }
        self.interrupted
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of hex text; None if it is not hex.
pub fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Channel, UnixStream) {
        let (a, b) = UnixStream::pair().expect("socketpair");
        (Channel::new(Conn::Unix(a)), b)
    }

    #[test]
    fn packets_checksums_escapes_and_interrupts() {
        let (mut ch, mut gdb) = pair();
        // m(6d) + 1(31) + 0(30) + ,(2c) + 4(34) = 0x12e: checksum 2e.
        gdb.write_all(b"+$m10,4#2e").unwrap();
        assert_eq!(ch.recv(), Incoming::Packet(b"m10,4".to_vec()));
        let mut ack = [0u8; 1];
        gdb.read_exact(&mut ack).unwrap();
        assert_eq!(&ack, b"+");
        // A wrong checksum is refused with `-`, then the good copy is taken.
        gdb.write_all(b"$g#00$g#67").unwrap();
        assert_eq!(ch.recv(), Incoming::Packet(b"g".to_vec()));
        let mut acks = [0u8; 2];
        gdb.read_exact(&mut acks).unwrap();
        assert_eq!(&acks, b"-+");
        gdb.write_all(b"\x03").unwrap();
        assert!(ch.poll_interrupt());
        assert_eq!(ch.recv(), Incoming::Interrupt);
        // `}` escapes on the way out: `#` is sent as `}` `\x03`.
        ch.send(b"a#").unwrap();
        let mut out = [0u8; 7];
        gdb.read_exact(&mut out).unwrap();
        let sum = [b'a', b'}', 0x03].iter().fold(0u8, |s, &b| s.wrapping_add(b));
        assert_eq!(&out, format!("$a}}\x03#{sum:02x}").as_bytes());
        drop(gdb);
        assert_eq!(ch.recv(), Incoming::Closed);
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(unhex(b"00ab10"), Some(vec![0, 0xab, 0x10]));
        assert_eq!(unhex(b"0g"), None);
        assert_eq!(unhex(b"abc"), None);
    }
}
