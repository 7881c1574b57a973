//! The book's TCP timestamp client (16.3.4, `tsTclnt.py`), line for line, with the book's
//! Python above each line. No options, no extras: start `cargo run -p tcp-server --example
//! tsTserv` first, then `cargo run -p tcp-client --example tsTclnt`.
//!
//! The same program, ready for a classroom, is `cargo run -p tcp-client` (`src/main.rs`).

use std::io::{self, Read, Write}; // from socket import *
use std::net::TcpStream;

const HOST: &str = "localhost"; // HOST = 'localhost'
const PORT: u16 = 21567; // PORT = 21567
const BUFSIZ: usize = 1024; // BUFSIZ = 1024
const ADDR: (&str, u16) = (HOST, PORT); // ADDR = (HOST,PORT)

// As in Python, any error ends the program: `?` hands it to `main`, which prints one line
// (`Error: ...`) and exits 1. tcp-client instead says what went wrong and what to do (no
// server there: which program to start), and waits for a whole reply, up to its newline.
fn main() -> io::Result<()> {
    let mut out = io::stdout(); // where print and raw_input's prompt write
    // tcpCliSock = socket(AF_INET,SOCK_STREAM)
    // tcpCliSock.connect(ADDR)
    // (std does both in one call)
    let mut tcp_cli_sock = TcpStream::connect(ADDR)?;
    let mut line = String::new(); // what raw_input reads
    let mut buf = [0; BUFSIZ]; // where recv(BUFSIZ) puts what it reads

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
        // tcpCliSock.send(data)
        //   (write_all is Python's sendall, not send: send, like Rust's write, may take only
        //   part of the data and say how much; the book's line ignores that, and a student
        //   who writes `write` here repeats that partial-send bug)
        tcp_cli_sock.write_all(data.as_bytes())?;
        // data = tcpCliSock.recv(BUFSIZ)
        let n = tcp_cli_sock.read(&mut buf)?;
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
    // tcpCliSock.close(): Rust closes it when main ends
    Ok(())
}
