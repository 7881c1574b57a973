//! The book's `ss.recvfrom()` and `ss.sendto()`, and one thing more: the reply leaves from the
//! address the datagram was sent to.
//!
//! Why: a server bound to `0.0.0.0` (or `::`) hears every address of the machine, but a
//! reply sent with a plain `sendto()` leaves from whichever address the routing table picks.
//! On a teacher's laptop with two addresses (cable and Wi-Fi), a student who wrote to the
//! other one gets a reply from an address he never wrote to, and his client rightly drops
//! it. So the socket asks the system to say where each datagram was sent (`IP_PKTINFO`,
//! `IPV6_PKTINFO`), and the reply names that address as its source. This needs `recvmsg()` and
//! `sendmsg()`, which the `nix` crate offers safely on Linux and macOS; on Windows the plain
//! calls serve, as they do for a server bound to one address.

use std::net::{IpAddr, SocketAddr};

/// One datagram received.
pub struct Received {
    /// How many bytes it had.
    pub len: usize,
    /// Who sent it: where the reply goes.
    pub from: SocketAddr,
    /// The address it was sent to: where the reply leaves from (`None` where unknown).
    pub to: Option<IpAddr>,
}

pub use system::{note_destinations, recvfrom, sendto};

#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
mod system {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
    use std::os::fd::AsRawFd;

    use nix::libc;
    use nix::sys::socket::{
        ControlMessage, ControlMessageOwned, MsgFlags, SockaddrLike, SockaddrStorage, recvmsg,
        sendmsg, setsockopt, sockopt,
    };
    use socket2::Socket;

    use super::Received;

    /// Asks the system to tell each datagram's destination address; returns the option's
    /// name for `--trace`.
    pub fn note_destinations(ss: &Socket, address: SocketAddr) -> io::Result<&'static str> {
        match address {
            SocketAddr::V4(_) => {
                setsockopt(ss, sockopt::Ipv4PacketInfo, &true).map(|()| "IP_PKTINFO")
            }
            SocketAddr::V6(_) => {
                setsockopt(ss, sockopt::Ipv6RecvPacketInfo, &true).map(|()| "IPV6_RECVPKTINFO")
            }
        }
        .map_err(io::Error::from)
    }

    /// `data, addr = ss.recvfrom(...)` into `buffer`, noting where the datagram was sent to.
    /// `control` is room for that note, kept from call to call.
    pub fn recvfrom(
        ss: &UdpSocket,
        buffer: &mut [u8],
        control: &mut Vec<u8>,
    ) -> io::Result<Received> {
        if control.is_empty() {
            *control = nix::cmsg_space!(libc::in6_pktinfo);
        }
        let mut data = [IoSliceMut::new(buffer)];
        let message = recvmsg::<SockaddrStorage>(
            ss.as_raw_fd(),
            &mut data,
            Some(control),
            MsgFlags::empty(),
        )?;
        let to = message.cmsgs()?.find_map(|cmsg| match cmsg {
            ControlMessageOwned::Ipv4PacketInfo(info) => {
                Some(IpAddr::from(info.ipi_addr.s_addr.to_ne_bytes()))
            }
            ControlMessageOwned::Ipv6PacketInfo(info) => Some(IpAddr::from(info.ipi6_addr.s6_addr)),
            _ => None,
        });
        let from = message
            .address
            .as_ref()
            .and_then(|address| match address.family() {
                Some(nix::sys::socket::AddressFamily::Inet) => address
                    .as_sockaddr_in()
                    .map(|v4| SocketAddr::V4(SocketAddrV4::from(*v4))),
                Some(nix::sys::socket::AddressFamily::Inet6) => address
                    .as_sockaddr_in6()
                    .map(|v6| SocketAddr::V6(SocketAddrV6::from(*v6))),
                _ => None,
            });
        let from = from.ok_or_else(|| io::Error::other("a datagram without a sender's address"))?;
        Ok(Received {
            len: message.bytes,
            from,
            to,
        })
    }

    /// `ss.sendto(reply, addr)`, leaving from the address `to` the datagram was sent to.
    pub fn sendto(
        ss: &UdpSocket,
        reply: &[u8],
        addr: SocketAddr,
        to: Option<IpAddr>,
    ) -> io::Result<usize> {
        let data = [IoSlice::new(reply)];
        let target = SockaddrStorage::from(addr);
        let (v4, v6, note);
        let source: &[ControlMessage] = match to {
            Some(IpAddr::V4(ip)) => {
                let ip = libc::in_addr {
                    s_addr: u32::from_ne_bytes(ip.octets()),
                };
                v4 = libc::in_pktinfo {
                    ipi_ifindex: 0,
                    ipi_spec_dst: ip,
                    ipi_addr: ip,
                };
                note = [ControlMessage::Ipv4PacketInfo(&v4)];
                &note
            }
            Some(IpAddr::V6(ip)) => {
                v6 = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: ip.octets(),
                    },
                    ipi6_ifindex: 0,
                };
                note = [ControlMessage::Ipv6PacketInfo(&v6)];
                &note
            }
            None => &[],
        };
        Ok(sendmsg(
            ss.as_raw_fd(),
            &data,
            source,
            MsgFlags::empty(),
            Some(&target),
        )?)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
mod system {
    use std::io;
    use std::net::{IpAddr, SocketAddr, UdpSocket};

    use socket2::Socket;

    use super::Received;

    /// Nothing to ask: the plain calls below know no destination; no option for `--trace`.
    pub fn note_destinations(_ss: &Socket, _address: SocketAddr) -> io::Result<&'static str> {
        Ok("")
    }

    /// The plain `recvfrom()`.
    pub fn recvfrom(
        ss: &UdpSocket,
        buffer: &mut [u8],
        _control: &mut Vec<u8>,
    ) -> io::Result<Received> {
        let (len, from) = ss.recv_from(buffer)?;
        Ok(Received {
            len,
            from,
            to: None,
        })
    }

    /// The plain `sendto()`.
    pub fn sendto(
        ss: &UdpSocket,
        reply: &[u8],
        addr: SocketAddr,
        _to: Option<IpAddr>,
    ) -> io::Result<usize> {
        ss.send_to(reply, addr)
    }
}
