package deliver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrInvalidURL means an endpoint URL is refused; the wrapped text says why and names no
// secret.
var ErrInvalidURL = errors.New("invalid webhook URL")

// ErrBlockedAddress means a webhook host resolved to an address casewire does not call.
var ErrBlockedAddress = errors.New("address not allowed for webhooks")

// blocked lists ranges beyond what netip's predicates cover: shared address space (which
// holds some clouds' metadata services), benchmarking, reserved and documentation ranges,
// the IPv4 broadcast address, and the IPv6 ranges that carry or translate an IPv4 address
// or are deprecated (IPv4-compatible, IPv4-translated, NAT64, 6to4, Teredo, site-local,
// discard), since a translator on the way could turn them into a blocked IPv4 address.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("::ffff:0:0:0/96"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fec0::/10"),
}

// allowedAddr reports whether a webhook may connect to ip: a public unicast address, not
// loopback, private, link-local (which holds 169.254.169.254, the usual cloud metadata
// address), multicast or unspecified.
func allowedAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// guard is a net.Dialer Control function that refuses blocked addresses at connection
// time, after DNS resolution, so a name that changes its answer cannot reach them.
func guard(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
	}
	if !allowedAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, ap.Addr())
	}
	return nil
}

// Resolver looks up host names; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// CheckURL validates an endpoint URL at registration: https (http too when insecure is
// set), a host, no credentials, and every address the host resolves to allowed unless
// insecure is set.
func CheckURL(ctx context.Context, r Resolver, raw string, insecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("%w: not an absolute URL", ErrInvalidURL)
	}
	switch {
	case len(raw) > 2000:
		return fmt.Errorf("%w: longer than 2000 characters", ErrInvalidURL)
	case u.Scheme != "https" && !(insecure && u.Scheme == "http"):
		return fmt.Errorf("%w: the scheme must be https", ErrInvalidURL)
	case u.User != nil:
		return fmt.Errorf("%w: credentials in the URL are not allowed", ErrInvalidURL)
	case u.Fragment != "":
		return fmt.Errorf("%w: a fragment is not allowed", ErrInvalidURL)
	}
	if insecure {
		return nil
	}
	return checkHost(ctx, r, u.Hostname())
}

func checkHost(ctx context.Context, r Resolver, host string) error {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !allowedAddr(ip) {
			return fmt.Errorf("%w: %s is not a public address", ErrInvalidURL, ip)
		}
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("%w: host %q does not resolve", ErrInvalidURL, host)
	}
	for _, ip := range addrs {
		if !allowedAddr(ip) {
			return fmt.Errorf("%w: host %q resolves to %s, which is not a public address",
				ErrInvalidURL, host, ip.Unmap())
		}
	}
	return nil
}
