//! The book's UDP timestamp server (16.3.6, `tsUserv.py`), line for line, with the book's
//! Python above each line. No options, no extras: `cargo run -p udp-server --example tsUserv`,
//! then `cargo run -p udp-client --example tsUclnt` in a second terminal.
//!
//! The same program, ready for a classroom, is `cargo run -p udp-server` (`src/main.rs`).

use std::io::{self, Write}; // from socket import *
use std::net::UdpSocket;

use common::ctime; // from time import ctime: std has no local time, `common` has the book's ctime

const HOST: &str = "0.0.0.0"; // HOST = ''  (every interface: what '' means to bind())
const PORT: u16 = 21567; // PORT = 21567
const BUFSIZ: usize = 1024; // BUFSIZ = 1024
const ADDR: (&str, u16) = (HOST, PORT); // ADDR = (HOST,PORT)

// As in Python, any error ends the program: `?` hands it to `main`, which prints one line
// (`Error: ...`) and exits 1. udp-server instead says what went wrong and what to do, and
// nothing a client sends stops it (Windows reports a datagram longer than BUFSIZ, or a
// client gone, as an error on the next recvfrom).
fn main() -> io::Result<()> {
    // Where print writes. `writeln!(out, ...)?` stands for print rather than `println!`: when
    // the output is gone (`| head` closed it), println! panics with a backtrace, while
    // writeln! returns the error and `?` ends the program with one line, as Python's print
    // raises an exception.
    let mut out = io::stdout();
    // udpSerSock = socket(AF_INET,SOCK_DGRAM)    # 创建一个服务器套接字
    // udpSerSock.bind(ADDR)                      # 绑定服务器套接字
    // (std does both in one call)
    let udp_ser_sock = UdpSocket::bind(ADDR)?;
    let mut buf = [0; BUFSIZ]; // where recvfrom(BUFSIZ) puts what it reads

    // while True:                                # 服务器无限循环
    loop {
        // print '等待消息（数据报）的到来...'
        writeln!(out, "等待消息（数据报）的到来...")?;
        // data,addr = udpSerSock.recvfrom(BUFSIZ)    (a longer datagram is cut to BUFSIZ)
        let (n, addr) = udp_ser_sock.recv_from(&mut buf)?;
        let data = &buf[..n];
        // udpSerSock.sendto('[%s] %s' % (ctime(),data),addr): the stamp, then the bytes
        let reply = [format!("[{}] ", ctime()).as_bytes(), data].concat();
        // send_to is Python's sendto: one datagram, whole or not at all (a datagram is never
        // sent in part, unlike a TCP send).
        udp_ser_sock.send_to(&reply, addr)?;
        // print '...received from and returned to:',addr     (Python prints addr as a tuple)
        let (ip, port) = (addr.ip(), addr.port());
        writeln!(out, "...received from and returned to: ('{ip}', {port})")?;
    }
    // udpSerSock.close(): never reached, as in the book
}
