//! `--mode iterative`: exactly the book's loop. One client at a time; the next one waits in
//! the listen backlog until the current one leaves.

use crate::client::serve_client;
use common::text::Message;

use crate::server::Server;

/// The book's server loop:
///
/// ```python
/// while True:
///     print('waiting for connection...')
///     tcpCliSock, addr = tcpSerSock.accept()
///     while True:
///         data = tcpCliSock.recv(BUFSIZ)
///         if not data: break
///         tcpCliSock.send('[%s] %s' % (ctime(), data))
///     tcpCliSock.close()
/// ```
pub fn serve(server: &Server) -> ! {
    loop {
        server.log.event(Message::WaitingForConnection, &[]);
        // cs, addr = ss.accept()
        let (mut cs, peer) = server.accept();
        // One at a time: the only client, so --max-clients never turns it away.
        let Some(slot) = server.admit(peer) else {
            server.turn_away(cs, peer);
            continue;
        };
        let ending = serve_client(server, &mut cs, peer);
        // cs.close()
        drop(cs);
        server.trace.call(format_args!("close()  [{peer}]"));
        slot.release(&ending);
    }
}
