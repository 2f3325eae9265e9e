package deliver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/casewire/casewire/secretbox"
	"github.com/casewire/casewire/store/storetest"
)

// fakeDNS answers fixed addresses, as a name controlled by an attacker would.
type fakeDNS map[string][]string

func (f fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range f[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if len(out) == 0 {
		return nil, errors.New("no such host")
	}
	return out, nil
}

func TestCheckURL(t *testing.T) {
	dns := fakeDNS{
		"hooks.example.com":  {"93.184.215.14"},
		"rebind.example.com": {"93.184.215.14", "127.0.0.1"},
		"meta.example.com":   {"169.254.169.254"},
		"v6meta.example.com": {"fd00:ec2::254"},
		"mapped.example.com": {"::ffff:10.0.0.1"},
	}
	cases := []struct {
		url      string
		insecure bool
		ok       bool
	}{
		{"https://hooks.example.com/casewire", false, true},
		{"https://93.184.215.14:8443/x", false, true},
		{"http://hooks.example.com/", false, false},
		{"http://hooks.example.com/", true, true},
		{"http://127.0.0.1:9000/", true, true},
		{"ftp://hooks.example.com/", true, false},
		{"https://user:pw@hooks.example.com/", false, false},
		{"https://hooks.example.com/#frag", false, false},
		{"/relative", false, false},
		{"https://localhost/", false, false},
		{"https://127.0.0.1/", false, false},
		{"https://127.1.2.3/", false, false},
		{"https://[::1]/", false, false},
		{"https://0.0.0.0/", false, false},
		{"https://10.1.2.3/", false, false},
		{"https://172.16.0.1/", false, false},
		{"https://192.168.1.1/", false, false},
		{"https://100.100.100.200/", false, false},
		{"https://169.254.169.254/latest/meta-data/", false, false},
		{"https://[fe80::1]/", false, false},
		{"https://[fd00:ec2::254]/", false, false},
		{"https://[::ffff:127.0.0.1]/", false, false},
		{"https://[::127.0.0.1]/", false, false},
		{"https://[::ffff:0:a9fe:a9fe]/", false, false},
		{"https://[2002:a9fe:a9fe::1]/", false, false},
		{"https://[2001:0:4136:e378::1]/", false, false},
		{"https://[fec0::1]/", false, false},
		{"https://[100::1]/", false, false},
		{"https://[2606:4700::1111]/", false, true},
		{"HTTPS://hooks.example.com/", false, true},
		{"https://224.0.0.1/", false, false},
		{"https://rebind.example.com/", false, false},
		{"https://meta.example.com/", false, false},
		{"https://v6meta.example.com/", false, false},
		{"https://mapped.example.com/", false, false},
		{"https://nowhere.example.com/", false, false},
	}
	for _, c := range cases {
		err := CheckURL(context.Background(), dns, c.url, c.insecure)
		if (err == nil) != c.ok {
			t.Errorf("CheckURL(%q, insecure=%v) = %v, want ok=%v", c.url, c.insecure, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidURL) {
			t.Errorf("CheckURL(%q) error %v is not ErrInvalidURL", c.url, err)
		}
	}
}

// "localhost" with the system resolver: refused at registration.
func TestCheckURLRefusesLocalhostName(t *testing.T) {
	if err := CheckURL(context.Background(), nil, "https://localhost:8443/", false); err == nil {
		t.Fatal("localhost accepted")
	}
}

// A URL that passed registration but whose name now resolves to a loopback address is
// refused when connecting, before any byte is sent.
func TestDialRefusesBlockedAddress(t *testing.T) {
	hit := false
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	defer srv.Close()
	st := storetest.Open(t)
	key, _ := secretbox.NewKey()
	ring, _ := secretbox.Parse(key)
	cfg := testConfig(Config{Schedule: Schedule{}})
	cfg.AllowInsecure = false
	f := startOn(t, st, ring, cfg)
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	ep, _ := f.endpoint(t, "https://93.184.215.14/", Filter{})
	if err := st.Ent.WebhookEndpoint.UpdateOneID(ep.ID).SetURL(url).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := f.emit(t, "IOE0912345678", 1, "review")
	d := f.waitState(t, ep.ID, ev.ID, StateFailed)
	att := f.attempts(t, d.ID)[0]
	if !strings.Contains(att.Error, "not allowed") || hit {
		t.Fatalf("attempt error %q, receiver hit %v", att.Error, hit)
	}
	if strings.Contains(att.Error, srv.URL[8:]) && strings.Contains(att.Error, "localhost") {
		t.Fatalf("error names the URL: %q", att.Error)
	}
}

func TestIsHTTPSIgnoresTheCaseOfTheScheme(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://hooks.example.com/": true,
		"HTTPS://hooks.example.com/": true,
		"http://hooks.example.com/":  false,
		"https:/hooks.example.com/":  true, // CheckURL refuses it at registration
		"hooks.example.com/https://": false,
		"%zz":                        false,
	} {
		if got := isHTTPS(raw); got != want {
			t.Errorf("isHTTPS(%q) = %v, want %v", raw, got, want)
		}
	}
}
