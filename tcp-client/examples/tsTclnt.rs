//! The book's TCP client, `tsTclnt.py` (book 16.3.4), line for line, with its Python beside
//! it: what a student types first. Start the server, then this, in two terminals:
//!
//! ```text
//! cargo run -p tcp-server
//! cargo run -p tcp-client --example tsTclnt
//! ```
//!
//! No options and no extras. Like the book's, it takes one `recv()` for the whole reply, which
//! a slow network can cut in two (book 16.2.3); `cargo run -p tcp-client` is the same program
//! ready for a classroom.

#![allow(non_snake_case)] // the book's file name

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;

// HOST = 'localhost'
const HOST: &str = "localhost";
// PORT = 21567
const PORT: u16 = 21567;
// BUFSIZ = 1024
const BUFSIZ: usize = 1024;
// ADDR = (HOST, PORT)
const ADDR: (&str, u16) = (HOST, PORT);

fn main() -> io::Result<()> {
    // tcpCliSock = socket(AF_INET, SOCK_STREAM)
    // tcpCliSock.connect(ADDR)
    let mut tcpCliSock = TcpStream::connect(ADDR)?;

    // while True:
    loop {
        // data = raw_input('> ')
        print!("> ");
        io::stdout().flush()?;
        let mut data = String::new();
        io::stdin().lock().read_line(&mut data)?;
        let data = data.trim_end_matches(['\r', '\n']);
        // if not data: break
        if data.is_empty() {
            break;
        }
        // tcpCliSock.send(data)
        tcpCliSock.write_all(data.as_bytes())?;
        // data = tcpCliSock.recv(BUFSIZ)
        let mut data = [0; BUFSIZ];
        let n = tcpCliSock.read(&mut data)?;
        // if not data: break
        if n == 0 {
            break;
        }
        // print data
        println!("{}", String::from_utf8_lossy(&data[..n]));
    }

    // tcpCliSock.close(): Rust closes it as `tcpCliSock` goes out of scope
    Ok(())
}
