//! The book's UDP timestamp client (16.3.7, `tsUclnt.py`), line for line, with the book's
//! Python above each line. No options, no extras: start `cargo run -p udp-server --example
//! tsUserv` first, then `cargo run -p udp-client --example tsUclnt`.
//!
//! The same program, ready for a classroom, is `cargo run -p udp-client` (`src/main.rs`).

use std::io::{self, Write}; // from socket import *
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};

const HOST: &str = "localhost"; // HOST = 'localhost'
const PORT: u16 = 21567; // PORT = 21567
const BUFSIZ: usize = 1024; // BUFSIZ = 1024

// As in Python, any error ends the program: `?` hands it to `main`, which prints one line
// (`Error: ...`) and exits 1. And as in Python, with no server the client waits for a reply
// forever. udp-client instead waits 2 s, sends again, says when the server looks down, and
// takes replies only from the server's address.
fn main() -> io::Result<()> {
    let mut out = io::stdout(); // where print and raw_input's prompt write
    // ADDR = (HOST,PORT)    (looked up once, IPv4 only: `localhost` may be ::1 first, and an
    //                        AF_INET socket sends to IPv4 addresses)
    let mut addr = (HOST, PORT)
        .to_socket_addrs()?
        .find(SocketAddr::is_ipv4)
        .ok_or(io::ErrorKind::NotFound)?;
    // udpCliSock = socket(AF_INET,SOCK_DGRAM)    (std binds it to a free port at once;
    //                                             Python's first sendto does that)
    let udp_cli_sock = UdpSocket::bind(("0.0.0.0", 0))?;
    let mut line = String::new(); // what raw_input reads
    let mut buf = [0; BUFSIZ]; // where recvfrom(BUFSIZ) puts what it reads

    // while True:
    loop {
        // data = raw_input('> ')
        write!(out, "> ")?;
        out.flush()?;
        line.clear();
        io::stdin().read_line(&mut line)?;
        let data = line.trim_end_matches(['\r', '\n']);
        // if not data: break     (the end of input stops here too; Python raises EOFError)
        if data.is_empty() {
            break;
        }
        // udpCliSock.sendto(data,ADDR)
        //   (a datagram goes whole or not at all: send_to is all of Python's sendto)
        udp_cli_sock.send_to(data.as_bytes(), addr)?;
        // data,ADDR = udpCliSock.recvfrom(BUFSIZ)    (ADDR becomes whoever answered)
        let (n, from) = udp_cli_sock.recv_from(&mut buf)?;
        addr = from;
        let data = &buf[..n];
        // if not data: break
        if data.is_empty() {
            break;
        }
        // print data
        //   (writeln! to stdout rather than println!: println! panics when nobody reads the
        //   output any more, `| head -1`; writeln! returns the error, and `?` ends the program)
        writeln!(out, "{}", String::from_utf8_lossy(data))?;
    }
    // udpCliSock.close(): Rust closes it when main ends
    Ok(())
}
