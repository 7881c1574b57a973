//! The book's TCP timestamp server (16.3.3, `tsTserv.py`), line for line, with the book's
//! Python above each line. No options, no extras: `cargo run -p tcp-server --example tsTserv`,
//! then `cargo run -p tcp-client --example tsTclnt` in a second terminal.
//!
//! The same program, ready for a classroom, is `cargo run -p tcp-server` (`src/main.rs`).

use std::io::{self, Read, Write}; // from socket import *
use std::net::TcpListener;

use common::ctime; // from time import ctime: std has no local time, `common` has the book's ctime

const HOST: &str = "0.0.0.0"; // HOST = ''  (every interface: what '' means to bind())
const PORT: u16 = 21567; // PORT = 21567
const BUFSIZ: usize = 1024; // BUFSIZ = 1024
const ADDR: (&str, u16) = (HOST, PORT); // ADDR = (HOST,PORT)

// try: ... except Exception, e: raise e
// As in Python, any error ends the program: `?` hands it to `main`, which prints one line
// (`Error: ...`) and exits 1. tcp-server instead says what went wrong and what to do, and what
// one client does never stops it.
fn main() -> io::Result<()> {
    // Where print writes. `writeln!(out, ...)?` stands for print rather than `println!`: when
    // the output is gone (`| head` closed it), println! panics with a backtrace, while
    // writeln! returns the error and `?` ends the program with one line, as Python's print
    // raises an exception.
    let mut out = io::stdout();
    // tcpSerSock = socket(AF_INET,SOCK_STREAM)   # 创建服务器套接字
    // tcpSerSock.bind(ADDR)                      # 把地址绑定到套接字上
    // tcpSerSock.listen(5)                       # 监听连接
    // (std does all three in one call, and listens with a queue of 128, not 5)
    let tcp_ser_sock = TcpListener::bind(ADDR)?;
    let mut buf = [0; BUFSIZ]; // where recv(BUFSIZ) puts what it reads

    // while True:                                # 服务器无限循环
    loop {
        // print '等待客户端连接...'
        writeln!(out, "等待客户端连接...")?;
        // tcpCliSock, addr = tcpSerSock.accept()     # 接受客户端连接
        let (mut tcp_cli_sock, addr) = tcp_ser_sock.accept()?;
        // print '...connected from:',addr            (Python prints addr as a tuple)
        let (ip, port) = (addr.ip(), addr.port());
        writeln!(out, "...connected from: ('{ip}', {port})")?;

        // while True:                            # 通信循环
        loop {
            // data = tcpCliSock.recv(BUFSIZ)         # 接受TCP数据
            let n = tcp_cli_sock.read(&mut buf)?;
            let data = &buf[..n];
            // if not data: break
            if data.is_empty() {
                break;
            }
            // print '服务器接受TCP数据：',data
            writeln!(out, "服务器接受TCP数据： {}", String::from_utf8_lossy(data))?;
            // tcpCliSock.send('[%s] %s' % (ctime(), data)): the stamp, then the bytes as they came
            let reply = [format!("[{}] ", ctime()).as_bytes(), data].concat();
            // write_all is Python's sendall, not send: it writes until every byte has gone.
            // send, like Rust's write, may take only part of a long reply and return how much;
            // the book ignores that count, and a student who writes `write` here repeats the
            // bug (the rest of the reply is silently lost).
            tcp_cli_sock.write_all(&reply)?;
        }
        // (cs.close() in the pseudo-code; the book's code leaves it to Python, and Rust closes
        // tcp_cli_sock here, where it goes out of scope)
    }
    // tcpSerSock.close(): never reached, as in the book
}
